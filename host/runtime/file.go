package runtime

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// checkFile verifies that the plugin file of spec exists and has the sha256
// the config gives. It returns the digest and, when read is set, the
// content (hashed and returned from the same read, so that what was checked
// is what runs).
func checkFile(spec Spec, read bool) (sum []byte, data []byte, err error) {
	if spec.Path == "" {
		return nil, nil, fmt.Errorf("no path")
	}
	want, err := parseSHA256(spec.SHA256)
	if err != nil {
		return nil, nil, &FieldError{Field: "sha256", Err: err}
	}
	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("open plugin: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("open plugin: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("plugin %s is not a regular file", spec.Path)
	}
	h := sha256.New()
	if read {
		data, err = io.ReadAll(f)
		h.Write(data)
	} else {
		_, err = io.Copy(h, f)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read plugin: %w", err)
	}
	sum = h.Sum(nil)
	if subtle.ConstantTimeCompare(sum, want) != 1 {
		return nil, nil, &FieldError{Field: "sha256", Err: fmt.Errorf("checksum mismatch: %s has sha256 %x, config says %x", spec.Path, sum, want)}
	}
	return sum, data, nil
}

func parseSHA256(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("sha256 is required for process and wasm detectors")
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("sha256 %q is not 64 hex digits", s)
	}
	return b, nil
}
