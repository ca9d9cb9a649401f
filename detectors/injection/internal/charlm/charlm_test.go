package charlm

import (
	"bytes"
	"testing"
)

func mean(s []uint8) float64 {
	t := 0
	for _, v := range s {
		t += int(v)
	}
	return float64(t) / float64(len(s))
}

// TestTrain checks that the model finds text like its training text less
// surprising than punctuation junk, and that training is deterministic.
func TestTrain(t *testing.T) {
	t.Parallel()
	texts := [][]byte{
		[]byte("the build passes on linux and the tests run in a minute."),
		[]byte("open the settings page and choose the theme you like best."),
		[]byte("we read the config file once and keep it in memory."),
	}
	m := Train(texts)
	if len(m.S) != Size {
		t.Fatalf("table of %d bytes, want %d", len(m.S), Size)
	}
	prose := m.Surprises(nil, []byte("the tests run once and keep the theme."))
	junk := m.Surprises(nil, []byte("]({=?> %%-- `(= ?? ](# {{ !-- ;) ~^["))
	if mean(prose) >= mean(junk) {
		t.Errorf("prose %.1f, junk %.1f: junk should surprise more", mean(prose), mean(junk))
	}
	if !bytes.Equal(Train(texts).S, m.S) {
		t.Error("training twice gave different tables")
	}
	if _, err := Load(m.S[:10]); err == nil {
		t.Error("a short table loaded")
	}
}
