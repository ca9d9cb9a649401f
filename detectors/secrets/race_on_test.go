//go:build race

package secrets

// raceEnabled: the race detector slows the differential test's scans
// about tenfold, so it compares a sample of the inputs with the packs.
const raceEnabled = true
