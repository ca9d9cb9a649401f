package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/picketsec/picket/config"
)

// apiKey returns the hook API key from the headers Aperture and Highflame
// clients use, in order: Authorization: Bearer (Aperture's default) or
// Splunk (Aperture's "hec" authorization), cf-aig-authorization: Bearer
// (Aperture's "cf-aig-authorization"), X-Api-Key, X-Highflame-Apikey,
// X-Goog-Api-Key.
func apiKey(c *gin.Context) string { return APIKey(c.Request.Header) }

// APIKey is apiKey over plain headers, for the adapters.
func APIKey(h http.Header) string {
	if v := h.Get("Authorization"); v != "" {
		if scheme, tok, ok := strings.Cut(v, " "); ok && (strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "splunk")) {
			return strings.TrimSpace(tok)
		}
	}
	if v := h.Get("Cf-Aig-Authorization"); v != "" {
		if scheme, tok, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "bearer") {
			return strings.TrimSpace(tok)
		}
		return strings.TrimSpace(v)
	}
	for _, k := range []string{"X-Api-Key", "X-Highflame-Apikey", "X-Goog-Api-Key"} {
		if v := h.Get(k); v != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// HashKey is the hex SHA-256 of an API key, as config stores it.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// tenantFor finds the tenant whose key hashes match key. Every stored hash
// is compared, in constant time, whatever matches first.
func tenantFor(cfg *config.Config, key string) (*config.Tenant, bool) {
	sum := sha256.Sum256([]byte(key))
	var found *config.Tenant
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		for _, h := range t.APIKeySHA256 {
			want, err := hex.DecodeString(h)
			if err != nil {
				continue
			}
			if subtle.ConstantTimeCompare(sum[:], want) == 1 && found == nil {
				found = t
			}
		}
	}
	return found, found != nil
}
