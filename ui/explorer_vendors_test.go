package ui

import (
	"context"
	"testing"
)

// TestExplorerVendorsFromProcore: the explorer lists the company's vendors
// from GET /rest/v1.0/vendors?company_id=… (there is no vendors path under
// /companies/{id}; the simulator answers that with 404, as Procore does).
func TestExplorerVendorsFromProcore(t *testing.T) {
	ce, srv := simExplorer(t, false)
	items, err := ce.Vendors(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(srv.Sim.Tenant().Vendors); len(items) != want || want == 0 {
		t.Fatalf("%d vendors listed, the company has %d", len(items), want)
	}
}
