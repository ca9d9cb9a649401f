package runtime

import (
	"context"
	"testing"

	"github.com/picketsec/picket/sdk"
)

func TestSmoke(t *testing.T) {
	for _, src := range []string{SourceProcess, SourceWasm} {
		t.Run(src, func(t *testing.T) {
			path := testdetWasm(t)
			if src == SourceProcess {
				path = testdetProcess(t, "")
			}
			h := load(t, src, path, `{"word":"needle"}`)
			fs, err := h.Detect(context.Background(), &sdk.Event{Items: []sdk.Item{{Index: 0, Kind: sdk.KindPrompt, Text: "a needle here"}}})
			if err != nil || len(fs) != 1 || fs[0].Start != 2 {
				t.Fatalf("Detect = %+v, %v", fs, err)
			}
		})
	}
}
