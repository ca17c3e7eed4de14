package main

import (
	"errors"
	"net/http"

	"procsync/auth"
	"procsync/sync/engine"
	"procsync/sync/graph"
	"procsync/sync/procore"
)

// runExitCode maps a run error to the exit code of `procsync --auto`
// (DESIGN.md): 4 for a missing or refused sign-in (including a 401 from
// either API), 3 for a brake, 1 for anything else, 0 for none.
func runExitCode(err error) int {
	var be *engine.BrakeError
	var pe *procore.Error
	var ge *graph.Error
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, auth.ErrNotSignedIn):
		return exitSignIn
	case errors.As(err, &pe) && pe.Status == http.StatusUnauthorized,
		errors.As(err, &ge) && ge.Status == http.StatusUnauthorized:
		return exitSignIn
	case errors.As(err, &be):
		return exitBrake
	}
	return exitError
}

// autoExitCode is the exit code of a finished `--auto` run: a run without
// an error still exits 1 when an action failed, since it needs a person.
func autoExitCode(res *engine.AutoResult, runErr error) int {
	if runErr == nil && res.Run != nil && res.Run.Failed() > 0 {
		return exitError
	}
	return runExitCode(runErr)
}
