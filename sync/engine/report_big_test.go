package engine_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"procsync/sync/engine"
	"procsync/sync/graph"
	"procsync/sync/procore"
	"procsync/sync/roster"
	"procsync/sync/sim"
)

// bigFixture is newFixture for a tenant of members license-group members,
// none of them in Procore yet, and no brakes.
func bigFixture(t *testing.T, members int) *fixture {
	t.Helper()
	// A tenant whose members are all new to Procore: the first run
	// creates every one of them.
	tn := sim.NewTenant(13)
	tn.AddUsers(sim.GroupE3, members)
	tn.AddUser(&sim.User{UserPrincipalName: sim.AdminUPN, Mail: sim.AdminUPN, DisplayName: "Megan Bowen", AccountEnabled: true})
	srv, err := sim.Start(sim.Options{Tenant: tn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return simFixture(t, srv, graph.WithRetry(fast), procore.WithRetry(fast))
}

// attachmentCSV returns the CSV records a mail's one attachment carries,
// unzipping it when it is a zip.
func attachmentCSV(t *testing.T, m sim.Mail) [][]string {
	t.Helper()
	if len(m.Attachments) != 1 {
		t.Fatalf("the report mail has %d attachments, want 1", len(m.Attachments))
	}
	a := m.Attachments[0]
	data := a.Data
	if strings.HasSuffix(a.Name, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil || len(zr.File) != 1 {
			t.Fatalf("attachment %s: %v", a.Name, err)
		}
		f, err := zr.File[0].Open()
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(f); err != nil {
			t.Fatal(err)
		}
	} else if !strings.HasSuffix(a.Name, ".csv") {
		t.Fatalf("attachment %s is neither a CSV nor a zip", a.Name)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("attachment %s: %v", a.Name, err)
	}
	return recs
}

// TestBigFirstRunReportArrives covers issue 13 item 1: a first run on a
// big tenant creates every member and sends one report; every request of it
// stays under Graph's 4 MB, the mailed HTML is cut, and the attachment
// read back from the simulator lists every created user. Under the race
// detector 2,000 members (the mail is still cut); otherwise 10,000 and,
// unless -short, 50,000 (the zipped attachment). make test runs it both
// ways.
func TestBigFirstRunReportArrives(t *testing.T) {
	sizes := []int{2000}
	if !raceEnabled {
		sizes = []int{10000}
		if !testing.Short() {
			sizes = append(sizes, 50000)
		}
	}
	for _, n := range sizes {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			f := bigFixture(t, n)
			res, err := f.engine(t).RunAuto(context.Background(), engine.AutoOptions{})
			if err != nil || failedOf(res) != 0 {
				t.Fatalf("RunAuto: %d failed, %v", failedOf(res), err)
			}
			if !res.Report.Sent {
				t.Fatalf("report not sent: %+v", res.Report)
			}
			created := map[string]int64{}
			for _, a := range res.Actions {
				if a.Kind != roster.KindCreate {
					continue
				}
				if a.Status != roster.StatusDone {
					t.Fatalf("create %s: %s %s", a.Address, a.Status, a.Error)
				}
				created[strings.ToLower(a.Address)] = a.ProcoreID
			}
			if len(created) != n || len(f.srv.Sim.Created()) != n {
				t.Fatalf("created %d of %d members (simulator: %d)", len(created), n, len(f.srv.Sim.Created()))
			}

			mails := f.srv.Sim.Mails()
			if len(mails) != 1 {
				t.Fatalf("%d mails, want 1", len(mails))
			}
			for _, r := range f.srv.Sim.Requests() {
				if r.Service == sim.ServiceGraph && r.Method != http.MethodGet {
					if len(r.Body) > graph.MaxRequestBody || r.Status >= 300 {
						t.Errorf("%s %s: %d bytes, answered %d", r.Method, r.Path, len(r.Body), r.Status)
					}
				}
			}
			if len(mails[0].Content) > 1<<20 || !strings.Contains(mails[0].Content, "the attached CSV lists every row") {
				t.Errorf("mailed HTML is %d bytes or does not point at the attachment", len(mails[0].Content))
			}

			recs := attachmentCSV(t, mails[0])
			listed := map[string]bool{}
			for _, rec := range recs[1:] {
				if rec[0] == "Created" && rec[2] == string(roster.StatusDone) {
					listed[strings.ToLower(rec[3])] = true
				}
			}
			for email := range created {
				if !listed[email] {
					t.Fatalf("the attachment does not list created user %s", email)
				}
			}
			if len(listed) != len(created) {
				t.Errorf("the attachment lists %d created users, the run created %d", len(listed), len(created))
			}
			t.Logf("%d members: %d created, mail body %d bytes, attachment %s of %d bytes",
				n, len(created), len(mails[0].Content), mails[0].Attachments[0].Name, mails[0].Attachments[0].Size)
		})
	}
}
