package injection

import (
	"testing"

	"github.com/picketsec/picket/detectors/injection/internal/trainer"
)

// TestTrainerWindows checks that training cuts long texts into the windows
// the detector judges.
func TestTrainerWindows(t *testing.T) {
	if trainer.WindowBytes != winBlocks<<blockShift || trainer.StepBytes != stepBlocks<<blockShift {
		t.Fatalf("trainer windows %d/%d, detector %d/%d", trainer.WindowBytes, trainer.StepBytes, winBlocks<<blockShift, stepBlocks<<blockShift)
	}
}
