// Package detectortest is a conformance kit for picket detectors, in the
// spirit of testing/fstest.TestFS: given a way to open a detector and a
// Suite of labelled cases, Run checks the detector contract and the
// expected findings. Any sdk.Detector works: a value compiled into the test,
// or a process or wasm detector loaded by a host, so the same suite proves
// that every runtime gives the same answers.
//
// Run checks, for the detector under test:
//   - Info: a valid Info (id, API version, kinds, config schema) that does
//     not change between calls;
//   - config validation: every BadConfigs entry is refused with an error,
//     and Config is accepted;
//   - for every case: Detect succeeds on the event holding only the items
//     of the declared kinds (as the host sends it), does not modify the
//     event, and each finding names the detector, points at an item of a
//     declared kind, has a span inside its text, a known severity and a
//     confidence in [0,1], and quotes none of the case's Secrets in
//     Message, Redacted, Rule, Class, Category or Fingerprint;
//   - the findings match Want (order does not matter);
//   - determinism: the same event twice, and concurrently from several
//     goroutines, gives the same findings;
//   - cancellation: Detect returns promptly when its context is done.
package detectortest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picketsec/picket/sdk"
)

// Suite is a detector's labelled cases. It can be written in Go or loaded
// from JSON (LoadSuite), so that one file serves every runtime.
type Suite struct {
	// Config is the config the cases run with; empty means "{}".
	Config json.RawMessage `json:"config,omitempty"`
	// BadConfigs are configs Configure must refuse, by name.
	BadConfigs map[string]json.RawMessage `json:"bad_configs,omitempty"`
	// Cases are the labelled events.
	Cases []Case `json:"cases"`
}

// Case is one labelled event.
type Case struct {
	Name string `json:"name"`
	// Items make up the event; Run numbers them (Index = position).
	Items []sdk.Item `json:"items"`
	// Want lists the findings expected, in any order; none means the
	// detector must find nothing.
	Want []Want `json:"want,omitempty"`
	// Secrets are raw strings that must not appear in any finding's text
	// fields (the matches of a secrets detector, say).
	Secrets []string `json:"secrets,omitempty"`
}

// Want is an expected finding. Zero Severity and empty Category match any.
type Want struct {
	Rule     string       `json:"rule"`
	Item     int          `json:"item"`
	Start    int          `json:"start"`
	End      int          `json:"end"`
	Severity sdk.Severity `json:"severity,omitempty"`
	Category string       `json:"category,omitempty"`
}

func (w Want) String() string {
	return fmt.Sprintf("%s item %d [%d,%d) %s %s", w.Rule, w.Item, w.Start, w.End, w.Severity, w.Category)
}

// LoadSuite reads a Suite from a JSON file; unknown fields are errors.
func LoadSuite(path string) (Suite, error) {
	var s Suite
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("detectortest: %s: %w", path, err)
	}
	return s, nil
}

// Event returns the case's event with every item, numbered.
func (c Case) Event() *sdk.Event {
	ev := &sdk.Event{ID: "detectortest-" + c.Name, Type: sdk.EventPreRequest, Items: make([]sdk.Item, len(c.Items))}
	for i, it := range c.Items {
		if it.Tool != nil {
			t := *it.Tool
			it.Tool = &t
		}
		it.Index = i
		ev.Items[i] = it
	}
	return ev
}

// forDetector returns the event as the host sends it to a detector that
// declared info.Kinds: only the items of those kinds.
func forDetector(ev *sdk.Event, info sdk.Info) *sdk.Event {
	out := *ev
	out.Items = nil
	for _, it := range ev.Items {
		if info.Wants(it.Kind) {
			out.Items = append(out.Items, it)
		}
	}
	return &out
}

// Run checks the detector that open returns against the suite and returns
// the findings of each case, by name, for comparison across runtimes. open
// is called once per check that needs a fresh detector; it should register
// any cleanup with t.Cleanup. The detector from open may or may not have
// been configured already: Run configures it.
func Run(t *testing.T, open func(t *testing.T) sdk.Detector, s Suite) map[string][]sdk.Finding {
	t.Helper()
	ctx := context.Background()
	config := []byte(s.Config)
	if len(config) == 0 {
		config = []byte("{}")
	}
	var secrets []string
	for _, c := range s.Cases {
		secrets = append(secrets, c.Secrets...)
	}

	d := open(t)
	info := d.Info()
	t.Run("info", func(t *testing.T) {
		if err := info.Validate(); err != nil {
			t.Errorf("Info: %v", err)
		}
		if info.Version == "" {
			t.Errorf("Info: empty version")
		}
		if again := d.Info(); !reflect.DeepEqual(again, info) {
			t.Errorf("Info changed between calls: %+v, then %+v", info, again)
		}
	})

	names := make([]string, 0, len(s.BadConfigs))
	for name := range s.BadConfigs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run("bad_config/"+name, func(t *testing.T) {
			bad := open(t)
			err := bad.Configure(ctx, s.BadConfigs[name])
			if err == nil {
				t.Fatalf("Configure(%s) succeeded, want an error", s.BadConfigs[name])
			}
			if msg := err.Error(); msg == "" {
				t.Errorf("Configure(%s): empty error message", s.BadConfigs[name])
			}
			for _, secret := range secrets {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("Configure error quotes a secret")
				}
			}
		})
	}

	if err := d.Configure(ctx, config); err != nil {
		t.Fatalf("Configure(%s): %v", config, err)
	}

	results := make(map[string][]sdk.Finding, len(s.Cases))
	events := make(map[string]*sdk.Event, len(s.Cases))
	for _, c := range s.Cases {
		ev := forDetector(c.Event(), info)
		events[c.Name] = ev
		t.Run("case/"+c.Name, func(t *testing.T) {
			before := deepCopy(ev)
			got, err := d.Detect(ctx, ev)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			if !reflect.DeepEqual(before, ev) {
				t.Errorf("Detect modified the event")
			}
			checkFindings(t, info, ev, got, c.Secrets)
			checkWant(t, got, c.Want)
			again, err := d.Detect(ctx, ev)
			if err != nil {
				t.Fatalf("second Detect: %v", err)
			}
			if !reflect.DeepEqual(got, again) {
				t.Errorf("not deterministic: first %+v, then %+v", got, again)
			}
			results[c.Name] = got
		})
	}

	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, c := range s.Cases {
					want, ok := results[c.Name]
					if !ok {
						continue
					}
					got, err := d.Detect(ctx, events[c.Name])
					if err != nil {
						t.Errorf("case %s: concurrent Detect: %v", c.Name, err)
						continue
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("case %s: concurrent Detect gave %+v, serial %+v", c.Name, got, want)
					}
				}
			}()
		}
		wg.Wait()
	})

	t.Run("cancelled", func(t *testing.T) {
		big := &sdk.Event{ID: "detectortest-cancelled", Type: sdk.EventPreRequest}
		for _, c := range s.Cases {
			for _, it := range events[c.Name].Items {
				it.Index = len(big.Items)
				big.Items = append(big.Items, it)
			}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			d.Detect(cctx, big) // an error or a quick answer are both fine
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("Detect with a cancelled context did not return within 5s")
		}
	})
	return results
}

func checkFindings(t *testing.T, info sdk.Info, ev *sdk.Event, got []sdk.Finding, secrets []string) {
	t.Helper()
	for i, f := range got {
		var item *sdk.Item
		for n := range ev.Items {
			if ev.Items[n].Index == f.Item {
				item = &ev.Items[n]
			}
		}
		switch {
		case item == nil:
			t.Errorf("finding %d: item %d is not in the event", i, f.Item)
		case !info.Wants(item.Kind):
			t.Errorf("finding %d: item %d is of kind %s, which the detector did not declare", i, f.Item, item.Kind)
		case f.Start < 0 || f.Start > f.End || f.End > len(item.Text):
			t.Errorf("finding %d: span [%d,%d) outside item %d of length %d", i, f.Start, f.End, f.Item, len(item.Text))
		}
		if f.Detector != info.ID {
			t.Errorf("finding %d: detector %q, want %q", i, f.Detector, info.ID)
		}
		if f.Rule == "" || f.Category == "" || f.Message == "" {
			t.Errorf("finding %d: rule, category and message must be set: %+v", i, f)
		}
		if !f.Severity.Valid() {
			t.Errorf("finding %d: severity %d is not one of info..critical", i, int(f.Severity))
		}
		if math.IsNaN(f.Confidence) || f.Confidence < 0 || f.Confidence > 1 {
			t.Errorf("finding %d: confidence %v outside [0,1]", i, f.Confidence)
		}
		for _, s := range secrets {
			if s == "" {
				continue
			}
			for field, v := range map[string]string{"Message": f.Message, "Redacted": f.Redacted, "Rule": f.Rule, "Class": f.Class, "Category": f.Category, "Fingerprint": f.Fingerprint} {
				if strings.Contains(v, s) {
					t.Errorf("finding %d: %s quotes a raw secret", i, field)
				}
			}
		}
	}
}

func checkWant(t *testing.T, got []sdk.Finding, want []Want) {
	t.Helper()
	used := make([]bool, len(got))
	var missing []string
	for _, w := range want {
		found := false
		for i, f := range got {
			if used[i] || f.Rule != w.Rule || f.Item != w.Item || f.Start != w.Start || f.End != w.End {
				continue
			}
			if (w.Severity != 0 && f.Severity != w.Severity) || (w.Category != "" && f.Category != w.Category) {
				continue
			}
			used[i], found = true, true
			break
		}
		if !found {
			missing = append(missing, w.String())
		}
	}
	var extra []string
	for i, f := range got {
		if !used[i] {
			extra = append(extra, Want{Rule: f.Rule, Item: f.Item, Start: f.Start, End: f.End, Severity: f.Severity, Category: f.Category}.String())
		}
	}
	if len(missing) > 0 {
		t.Errorf("missing findings:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("unexpected findings:\n  %s", strings.Join(extra, "\n  "))
	}
}

func deepCopy(ev *sdk.Event) *sdk.Event {
	out := *ev
	if ev.Items == nil {
		return &out
	}
	out.Items = make([]sdk.Item, len(ev.Items))
	for i, it := range ev.Items {
		if it.Tool != nil {
			t := *it.Tool
			it.Tool = &t
		}
		out.Items[i] = it
	}
	return &out
}
