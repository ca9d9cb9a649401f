// Package testdet is the detector the runtime tests and benchmarks load in
// every runtime: it flags each occurrence of a configured word, and an item
// whose text starts with "@@fault:" makes it misbehave on purpose.
package testdet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/picketsec/picket/sdk"
)

// ID is the detector's id.
const ID = "testdet"

// Detector finds a word.
type Detector struct {
	word  string
	plain bool // no Redacted and Fingerprint: the cheapest finding, for benchmarks
}

// Interface guard.
var _ sdk.Detector = (*Detector)(nil)

// New returns an unconfigured detector; the word defaults to "needle".
func New() sdk.Detector { return &Detector{word: "needle"} }

// Info describes the detector.
func (d *Detector) Info() sdk.Info {
	return sdk.Info{
		ID: ID, Version: "1.0.0", APIVersion: sdk.APIVersion,
		Description:  "flags a configured word (runtime tests)",
		Kinds:        []sdk.Kind{sdk.KindPrompt, sdk.KindToolCall, sdk.KindToolResult, sdk.KindResponse},
		ConfigSchema: `{"type":"object","properties":{"word":{"type":"string","minLength":1},"plain":{"type":"boolean"},"configure_ms":{"type":"integer","minimum":0}},"additionalProperties":false}`,
	}
}

// Configure takes {"word": "..."}.
func (d *Detector) Configure(_ context.Context, config []byte) error {
	var c struct {
		Word  *string `json:"word"`
		Plain bool    `json:"plain"`
		// ConfigureMS makes Configure take that long, as a detector that
		// compiles a large rule set does.
		ConfigureMS int `json:"configure_ms"`
	}
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return fmt.Errorf("testdet: config: %w", err)
	}
	if c.Word != nil {
		if *c.Word == "" {
			return errors.New("testdet: config: field word: must not be empty")
		}
		d.word = *c.Word
	}
	d.plain = c.Plain
	time.Sleep(time.Duration(c.ConfigureMS) * time.Millisecond)
	return nil
}

var (
	sink   [][]byte
	leaked sync.Mutex
)

// rawStdout is file descriptor 1 itself (kept in a variable: a collected
// *os.File closes its descriptor).
var rawStdout = os.NewFile(1, "stdout")

// Detect finds the word in every item.
func (d *Detector) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	var out []sdk.Finding
	for _, it := range ev.Items {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if fault, ok := strings.CutPrefix(it.Text, "@@fault:"); ok {
			switch fault {
			case "crash":
				os.Exit(3)
			case "hang":
				select {}
			case "loop":
				for {
				}
			case "grow":
				for {
					leaked.Lock()
					sink = append(sink, make([]byte, 1<<20))
					leaked.Unlock()
				}
			case "spin":
				// Busy on every CPU in the background; the call itself
				// answers as usual.
				for range runtime.GOMAXPROCS(0) {
					go func() {
						for {
						}
					}()
				}
			case "leak":
				// Memory that grows in the background and is kept; the
				// call itself answers as usual.
				go func() {
					for {
						b := make([]byte, 4<<20)
						for i := 0; i < len(b); i += 4096 {
							b[i] = 1
						}
						leaked.Lock()
						sink = append(sink, b)
						leaked.Unlock()
						time.Sleep(10 * time.Millisecond)
					}
				}()
			case "spam":
				// A line longer than any line reader's buffer, straight to
				// file descriptor 1 (past go-plugin's stdio redirection),
				// as a library printing a blob would.
				line := append(bytes.Repeat([]byte("x"), 1<<20), '\n')
				if _, err := rawStdout.Write(line); err != nil {
					return nil, err
				}
			case "pause":
				// Holds its instance a moment, then answers as usual.
				time.Sleep(300 * time.Millisecond)
				continue
			case "panic":
				panic("deliberate panic")
			case "garbage":
				return []sdk.Finding{{Detector: ID, Rule: "word", Category: "test", Item: it.Index + 1000, Start: -4, End: 1 << 30, Severity: 99}}, nil
			case "error":
				return nil, errors.New("testdet: deliberate failure")
			case "slow":
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(time.Minute):
				}
			}
		}
		text := it.Text
		for off := 0; ; {
			i := strings.Index(text[off:], d.word)
			if i < 0 {
				break
			}
			start := off + i
			end := start + len(d.word)
			f := sdk.Finding{
				Detector:   ID,
				Rule:       "word",
				Category:   "test",
				Severity:   sdk.SeverityLow,
				Confidence: 1,
				Item:       it.Index,
				Start:      start,
				End:        end,
				Message:    "configured word found",
			}
			if !d.plain {
				f.Redacted = sdk.Redact(text[start:end], 1)
				f.Fingerprint = sdk.Fingerprint(ID, "word", text[start:end])
			}
			out = append(out, f)
			off = end
		}
	}
	return out, nil
}
