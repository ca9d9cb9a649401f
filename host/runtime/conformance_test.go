package runtime

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/picketsec/picket/host/runtime/testdata/testdet"
	"github.com/picketsec/picket/sdk"
	"github.com/picketsec/picket/sdk/detectortest"
)

// opener returns the detectortest opener for a detector loaded from path.
func opener(source, path string) func(t *testing.T) sdk.Detector {
	return func(t *testing.T) sdk.Detector { return load(t, source, path, "") }
}

func inProcess(f sdk.Factory) func(t *testing.T) sdk.Detector {
	return func(*testing.T) sdk.Detector { return Wrap(f(), SourceBuiltin) }
}

// runAll runs the suite against every runtime given and checks that all
// give exactly the same findings (every field) for every case.
func runAll(t *testing.T, suite detectortest.Suite, runtimes map[string]func(t *testing.T) sdk.Detector) {
	results := map[string]map[string][]sdk.Finding{}
	for _, name := range []string{SourceBuiltin, SourceProcess, SourceWasm} {
		open, ok := runtimes[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) { results[name] = detectortest.Run(t, open, suite) })
	}
	var first string
	for name, r := range results {
		if first == "" {
			first = name
			continue
		}
		if !reflect.DeepEqual(r, results[first]) {
			t.Errorf("%s and %s disagree:\n%s: %+v\n%s: %+v", name, first, name, r, first, results[first])
		}
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()

	t.Run("testdet", func(t *testing.T) {
		t.Parallel()
		suite, err := detectortest.LoadSuite("testdata/testdet/cases.json")
		if err != nil {
			t.Fatal(err)
		}
		runAll(t, suite, map[string]func(*testing.T) sdk.Detector{
			SourceBuiltin: inProcess(testdet.New),
			SourceProcess: opener(SourceProcess, testdetProcess(t, "")),
			SourceWasm:    opener(SourceWasm, testdetWasm(t)),
		})
	})

	t.Run("examples/denylist-wasm", func(t *testing.T) {
		t.Parallel()
		dir := "../../plugins/examples/denylist-wasm"
		out := filepath.Join(testDir, "denylist.wasm")
		build(t, "denylist", func() error { return goBuild(dir, out, ".", true, "GOWORK=off") })
		suite, err := detectortest.LoadSuite(dir + "/testdata/cases.json")
		if err != nil {
			t.Fatal(err)
		}
		runAll(t, suite, map[string]func(*testing.T) sdk.Detector{SourceWasm: opener(SourceWasm, out)})
	})

	t.Run("examples/entropy-process", func(t *testing.T) {
		t.Parallel()
		dir := "../../plugins/examples/entropy-process"
		out := filepath.Join(testDir, "entropy-detector")
		build(t, "entropy", func() error { return goBuild(dir, out, ".", false, "GOWORK=off") })
		suite, err := detectortest.LoadSuite(dir + "/testdata/cases.json")
		if err != nil {
			t.Fatal(err)
		}
		runAll(t, suite, map[string]func(*testing.T) sdk.Detector{SourceProcess: opener(SourceProcess, out)})
	})

	t.Run("examples/wordflag-wat", func(t *testing.T) {
		t.Parallel()
		dir := "../../plugins/examples/wordflag-wat"
		mod := wat(t, dir+"/wordflag.wat")
		suite, err := detectortest.LoadSuite(dir + "/cases.json")
		if err != nil {
			t.Fatal(err)
		}
		runAll(t, suite, map[string]func(*testing.T) sdk.Detector{SourceWasm: opener(SourceWasm, mod)})
	})
}
