//go:build race

package engine_test

// raceEnabled is true when the tests run under the race detector, which
// makes the big-tenant runs several times slower: they shrink there and
// run at full size in make test's separate pass without -race.
const raceEnabled = true
