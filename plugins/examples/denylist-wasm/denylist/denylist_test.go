package denylist_test

import (
	"testing"

	"github.com/picketsec/picket/plugins/examples/denylist-wasm/denylist"
	"github.com/picketsec/picket/sdk"
	"github.com/picketsec/picket/sdk/detectortest"
)

// TestConformance runs the shared cases in-process; picket's runtime tests
// run the same file against the built module.
func TestConformance(t *testing.T) {
	suite, err := detectortest.LoadSuite("../testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	detectortest.Run(t, func(*testing.T) sdk.Detector { return denylist.New() }, suite)
}
