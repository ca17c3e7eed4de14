package report

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// DirName is the reports directory's name inside the state directory.
const DirName = "reports"

// Dir returns the reports directory of a state directory.
func Dir(stateDir string) string { return filepath.Join(stateDir, DirName) }

// save writes an HTML page (written by html) and a CSV under a free name
// in dir.
func save(dir string, run Run, html func(io.Writer) error, csvData []byte) (htmlPath, csvPath string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("report: save: %w", err)
	}
	base := FileBase(run)
	// The HTML and the CSV share a name; try suffixes until both are free.
	for n := 1; n < 1000; n++ {
		name := base
		if n > 1 {
			name += "-" + strconv.Itoa(n)
		}
		htmlPath = filepath.Join(dir, name+".html")
		csvPath = filepath.Join(dir, name+".csv")
		err := writeNew(htmlPath, html)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("report: save: %w", err)
		}
		if err := writeNew(csvPath, func(w io.Writer) error { _, err := w.Write(csvData); return err }); err != nil {
			_ = os.Remove(htmlPath)
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return "", "", fmt.Errorf("report: save: %w", err)
		}
		return htmlPath, csvPath, nil
	}
	return "", "", fmt.Errorf("report: save: too many reports named %s in %s", base, dir)
}

// FileBase is the name the run's report files share, without extension:
// the run's start time in UTC and its id, e.g. 20261127T235701Z-run12.
func FileBase(run Run) string {
	t := run.Started
	if t.IsZero() {
		t = time.Now()
	}
	base := t.UTC().Format("20060102T150405Z")
	if run.ID != 0 {
		base += "-run" + strconv.FormatInt(run.ID, 10)
	}
	if run.DryRun {
		base += "-dry-run"
	}
	return base
}

// writeNew creates path (failing if it exists), writes it with write and
// syncs it.
func writeNew(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return err
	}
	return f.Close()
}
