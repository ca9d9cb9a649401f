package main

import (
	"flag"
	"fmt"

	"github.com/picketsec/picket/host/server"
)

func init() {
	register("keys", "manage API keys: 'picket keys new' prints a new key and its hash", runKeys)
}

func runKeys(args []string) int {
	if isHelp(args) {
		fmt.Println("usage: picket keys new [--tenant NAME]\n\nPrints a new random API key and the SHA-256 to put in the tenant's api_key_sha256.")
		return 0
	}
	if len(args) == 0 || args[0] != "new" {
		return fail("usage: picket keys new")
	}
	fs := flag.NewFlagSet("keys new", flag.ContinueOnError)
	tenant := fs.String("tenant", "default", "tenant name for the printed config snippet")
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	key := newAPIKey()
	hash := server.HashKey(key)
	fmt.Printf("key:    %s\nsha256: %s\n\n", key, hash)
	fmt.Printf("Give the key to Aperture (hooks.<name>.apikey) and put the hash in picket.hcl:\n\n")
	fmt.Printf("tenant %q {\n  api_key_sha256 = [%q]\n}\n", *tenant, hash)
	return 0
}
