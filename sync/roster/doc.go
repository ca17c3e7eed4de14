// Package roster is procsync's domain, and nothing but: the people on both
// sides (Member, ProcoreUser), the Snapshot of both directories, the Rules,
// the Plan that Diff computes from them and its approval, the fingerprint,
// and the Record of one action as the journal keeps it.
//
// It is pure: no I/O, no clock, no goroutines, and it imports nothing of
// procsync. Reading the directories and carrying a plan out are
// sync/provision's; the TUI and the headless run are two faces over both.
package roster
