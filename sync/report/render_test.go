package report

// The tests render a run the way the engine does, through Render.

func htmlOf(run Run) (string, error) {
	r, err := Render(run)
	if err != nil {
		return "", err
	}
	return r.HTML()
}

func mailHTMLOf(run Run) (string, error) {
	r, err := Render(run)
	if err != nil {
		return "", err
	}
	return r.MailHTML()
}

func csvOf(run Run) ([]byte, error) {
	r, err := Render(run)
	if err != nil {
		return nil, err
	}
	return r.CSV, nil
}

func attachmentOf(run Run, inlineLimit int) (Attachment, error) {
	r, err := Render(run)
	if err != nil {
		return Attachment{}, err
	}
	return r.Attachment(inlineLimit)
}

func saveRun(dir string, run Run) (htmlPath, csvPath string, err error) {
	r, err := Render(run)
	if err != nil {
		return "", "", err
	}
	return r.Save(dir)
}
