package runtime

import (
	"fmt"
	"math"

	"github.com/picketsec/picket/sdk"
)

// ErrBadFindings wraps the error for findings that break the contract (an
// item the event does not hold, a span outside the text, an unknown
// severity). Out-of-process detectors are checked on every call, so that a
// plugin answering garbage fails that call instead of misleading the engine.
var ErrBadFindings = fmt.Errorf("invalid findings")

// ValidateFindings checks findings against the event they were found in.
func ValidateFindings(ev *sdk.Event, fs []sdk.Finding) error {
	for i, f := range fs {
		text, ok := itemText(ev, f.Item)
		if !ok {
			return fmt.Errorf("%w: finding %d: item %d is not in the event", ErrBadFindings, i, f.Item)
		}
		if f.Start < 0 || f.Start > f.End || f.End > len(text) {
			return fmt.Errorf("%w: finding %d: span [%d,%d) outside item %d of length %d", ErrBadFindings, i, f.Start, f.End, f.Item, len(text))
		}
		if f.Severity < 0 || f.Severity > sdk.SeverityCritical {
			return fmt.Errorf("%w: finding %d: unknown severity %d", ErrBadFindings, i, int(f.Severity))
		}
		if math.IsNaN(f.Confidence) || f.Confidence < 0 || f.Confidence > 1 {
			return fmt.Errorf("%w: finding %d: confidence %v outside [0,1]", ErrBadFindings, i, f.Confidence)
		}
	}
	return nil
}

func itemText(ev *sdk.Event, index int) (string, bool) {
	if ev == nil {
		return "", false
	}
	// Items are usually in index order with Index == position.
	if index >= 0 && index < len(ev.Items) && ev.Items[index].Index == index {
		return ev.Items[index].Text, true
	}
	for i := range ev.Items {
		if ev.Items[i].Index == index {
			return ev.Items[i].Text, true
		}
	}
	return "", false
}
