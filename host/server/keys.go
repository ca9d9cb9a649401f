package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"

	"github.com/gin-gonic/gin"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/adapters"
)

// apiKey returns the hook API key (see adapters.APIKey for the headers).
func apiKey(c *gin.Context) string { return adapters.APIKey(c.Request.Header) }

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
