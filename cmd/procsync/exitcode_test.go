package main

import (
	"errors"
	"fmt"
	"testing"

	"procsync/auth"
	"procsync/sync/engine"
	"procsync/sync/graph"
	"procsync/sync/procore"
)

func TestRunExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{&engine.BrakeError{Creates: 9, MaxCreates: 1}, 3},
		{&procore.Error{Op: "list users", Status: 401}, 4},
		{&graph.Error{Op: "list groups", Status: 401}, 4},
		{&procore.Error{Op: "list users", Status: 500}, 1},
		{fmt.Errorf("snapshot: %w", &auth.NotSignedInError{Provider: auth.Graph, Reason: "no stored sign-in"}), 4},
	} {
		if got := runExitCode(tc.err); got != tc.want {
			t.Errorf("runExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
