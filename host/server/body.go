package server

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// MaxBody is the largest hook body accepted, before and after decoding:
// Aperture's own request limit.
const MaxBody = 50 << 20

// httpError is an error with the status to answer it with.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

var errTooLarge = &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d MiB", MaxBody>>20)}

// readBody reads the request body, decoding gzip and zstd, and refuses
// bodies over MaxBody whether compressed or not.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBody {
		return nil, errTooLarge
	}
	raw, err := readLimited(r.Body, MaxBody)
	if err != nil {
		return nil, err
	}
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
		return raw, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, &httpError{http.StatusBadRequest, "gzip body: " + err.Error()}
		}
		return decoded(readLimited(zr, MaxBody))
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(raw), zstd.WithDecoderMaxMemory(MaxBody), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, &httpError{http.StatusBadRequest, "zstd body: " + err.Error()}
		}
		defer zr.Close()
		return decoded(readLimited(zr, MaxBody))
	default:
		return nil, &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q is not supported (use gzip or zstd)", enc)}
	}
}

func decoded(b []byte, err error) ([]byte, error) {
	var he *httpError
	if err != nil && !errors.As(err, &he) {
		return nil, &httpError{http.StatusBadRequest, "compressed body: " + err.Error()}
	}
	return b, err
}

// readLimited reads r to the end, failing with errTooLarge past limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}
