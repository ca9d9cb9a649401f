package model

import (
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestRecordedSum checks that the embedded weights are the ones whose
// sha256 `make train` recorded (`make train-check` checks that training
// reproduces them).
func TestRecordedSum(t *testing.T) {
	t.Parallel()
	rec, err := os.ReadFile("weights.sha256")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(rec))
	if got := fmt.Sprintf("%x", sha256.Sum256(Weights)); len(f) != 2 || f[0] != got || f[1] != "weights.bin" {
		t.Fatalf("weights.bin has sha256 %s, weights.sha256 says %q", got, strings.TrimSpace(string(rec)))
	}
}
