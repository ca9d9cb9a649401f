package server

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/picketsec/picket/sdk"
)

// spoolData is what an asynchronous event needs to be evaluated after a
// restart.
type spoolData struct {
	Event      *sdk.Event `json:"event"`
	TenantMode string     `json:"tenant_mode,omitempty"`
	// Trace is the W3C traceparent of the hook call that queued the event,
	// so that its evaluation's span joins that trace ("" without telemetry).
	Trace string `json:"trace,omitempty"`
}

// sealer encrypts spools with AES-256-GCM, so that the content of events
// waiting for evaluation is never at rest in clear.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("spool key: want 32 bytes, have %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(d *spoolData) ([]byte, error) {
	plain, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, plain, nil), nil
}

func (s *sealer) open(b []byte) (*spoolData, error) {
	n := s.aead.NonceSize()
	if len(b) < n {
		return nil, errors.New("spool: too short")
	}
	plain, err := s.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("spool: cannot decrypt (was it sealed with another key?): %w", err)
	}
	var d spoolData
	if err := json.Unmarshal(plain, &d); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	return &d, nil
}
