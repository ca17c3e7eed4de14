package ui

import (
	"context"
	"fmt"
	"sync"
)

// fakeExplorer is an in-memory ExplorerBackend: one company with one
// project, two users, a template, a vendor, a license group and a SKU.
// It records the writes it was asked for. The explorer against procsync's
// real clients and the simulator is tested in cmd/procsync.
type fakeExplorer struct {
	writable bool

	mu     sync.Mutex
	users  []ExplorerItem
	gets   []string
	writes []string
}

const fakeCompanyID = 562949953421312

func newFakeExplorer(writable bool) *fakeExplorer {
	return &fakeExplorer{writable: writable, users: []ExplorerItem{
		{ID: 11, Label: "ana@contoso.com", Note: "Ana Lima", Email: "ana@contoso.com", JSON: []byte(`{"id":11,"email_address":"ana@contoso.com"}`)},
		{ID: 12, Label: "ben@contoso.com", Note: "Ben Ode", Email: "ben@contoso.com", JSON: []byte(`{"id":12,"email_address":"ben@contoso.com"}`)},
	}}
}

func (f *fakeExplorer) Writable() bool { return f.writable }

func (f *fakeExplorer) Companies(context.Context) ([]ExplorerItem, error) {
	return []ExplorerItem{{ID: fakeCompanyID, Label: "Contoso Construction", Note: fmt.Sprintf("#%d", fakeCompanyID), JSON: []byte(`{"id":562949953421312}`)}}, nil
}

func (f *fakeExplorer) Projects(context.Context, int64, string) ([]ExplorerItem, error) {
	return []ExplorerItem{{ID: 21, Label: "Contoso HQ Fit-Out", Note: "#21", JSON: []byte(`{"id":21}`)}}, nil
}

func (f *fakeExplorer) ProjectUsers(context.Context, int64, int64) ([]ExplorerItem, error) {
	return f.CompanyUsers(context.Background(), 0)
}

func (f *fakeExplorer) CompanyUsers(context.Context, int64) ([]ExplorerItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ExplorerItem(nil), f.users...), nil
}

func (f *fakeExplorer) PermissionTemplates(context.Context, int64) ([]ExplorerItem, error) {
	return []ExplorerItem{{ID: 31, Label: "Standard", Note: "#31", JSON: []byte(`{"id":31}`)}}, nil
}

func (f *fakeExplorer) Vendors(context.Context, int64) ([]ExplorerItem, error) {
	return []ExplorerItem{{ID: 41, Label: "Acme Steel", Note: "#41", JSON: []byte(`{"id":41}`)}}, nil
}

func (f *fakeExplorer) LicenseGroups(context.Context) ([]ExplorerItem, error) {
	return []ExplorerItem{{Key: "g1", Label: "License – Procore", Note: `matched by name prefix "License –"`, JSON: []byte(`{"id":"g1"}`)}}, nil
}

func (f *fakeExplorer) GroupMembers(context.Context, string, string) ([]ExplorerItem, error) {
	return []ExplorerItem{{Key: "u1", Label: "ana@contoso.com", Email: "ana@contoso.com", JSON: []byte(`{"id":"u1"}`)}}, nil
}

func (f *fakeExplorer) SubscribedSKUs(context.Context) ([]ExplorerItem, error) {
	return []ExplorerItem{{Key: "s1", Label: "ENTERPRISEPACK", Note: "3 of 10 units used", JSON: []byte(`{"skuId":"s1"}`)}}, nil
}

func (f *fakeExplorer) Get(_ context.Context, api, path string) (*ConsoleResponse, error) {
	f.mu.Lock()
	f.gets = append(f.gets, api+" "+path)
	f.mu.Unlock()
	return &ConsoleResponse{API: api, Path: path, Status: 200, RequestID: "req-1", Body: []byte(`{"ok":true}`)}, nil
}

func (f *fakeExplorer) write(what string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.writable {
		return ErrReadOnly
	}
	f.writes = append(f.writes, what)
	return nil
}

func (f *fakeExplorer) CreateUser(_ context.Context, _ int64, u NewUser) (ExplorerItem, error) {
	if err := f.write("create " + u.Email); err != nil {
		return ExplorerItem{}, err
	}
	it := ExplorerItem{ID: 13, Label: u.Email, Note: u.FirstName + " " + u.LastName, Email: u.Email, JSON: []byte(`{"id":13}`)}
	f.mu.Lock()
	f.users = append(f.users, it)
	f.mu.Unlock()
	return it, nil
}

func (f *fakeExplorer) SetUserActive(_ context.Context, _, userID int64, active bool) (ExplorerItem, error) {
	if err := f.write(fmt.Sprintf("active %d %v", userID, active)); err != nil {
		return ExplorerItem{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.users {
		if f.users[i].ID == userID {
			f.users[i].Inactive = !active
			return f.users[i], nil
		}
	}
	return ExplorerItem{}, fmt.Errorf("no user #%d", userID)
}

func (f *fakeExplorer) AddToProject(_ context.Context, _, projectID, userID, templateID int64) error {
	return f.write(fmt.Sprintf("add %d to %d as %d", userID, projectID, templateID))
}

// recorded returns the console GETs and writes so far.
func (f *fakeExplorer) recorded() (gets, writes []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.gets...), append([]string(nil), f.writes...)
}
