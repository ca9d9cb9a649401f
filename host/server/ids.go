package server

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// newEventID returns a time-ordered random ID (48 bits of milliseconds, 80
// random bits), so that IDs sort by arrival.
func newEventID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	rand.Read(b[6:])
	return "ev_" + hex.EncodeToString(b[:])
}
