// Package gen generates deterministic synthetic text for the secrets
// detector's benchmarks and throughput measurements: log lines, test
// output, source code, JSON, YAML, lock-file hashes, prose and base64 blobs,
// with a few planted, freshly generated credentials.
package gen

import (
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
)

const (
	alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	hexs  = "0123456789abcdef"
	upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b64   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	digit = "0123456789"
)

type g struct{ r *rand.Rand }

func (g g) s(alpha string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[g.r.IntN(len(alpha))]
	}
	return string(b)
}

func (g g) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

var words = strings.Fields(`the a request worker token password secret key service handler session user config
value retry timeout cache upstream model response prompt tool call result file build test deploy cluster node
pod image registry release version module package function error warning info debug client server database
query index shard replica backup restore rotate credential policy access audit log event stream batch`)

// Mixed returns about size bytes of mixed text from seed. When plant is
// true, a credential is planted about every 64 KiB; the second result is
// the number planted.
func Mixed(size int, seed uint64, plant bool) (string, int) {
	gg := g{rand.New(rand.NewPCG(seed, 0x5eed))}
	var b strings.Builder
	b.Grow(size + 4096)
	planted := 0
	nextPlant := 32 << 10
	for b.Len() < size {
		if plant && b.Len() >= nextPlant {
			b.WriteString(gg.secretLine(planted))
			planted++
			nextPlant += 64 << 10
			continue
		}
		b.WriteString(gg.line())
	}
	return b.String(), planted
}

func (g g) prose(n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = words[g.r.IntN(len(words))]
	}
	return strings.Join(ws, " ")
}

func (g g) line() string {
	switch g.r.IntN(14) {
	case 0, 1:
		return fmt.Sprintf("2026-01-%02dT%02d:%02d:%02d.%03dZ INFO worker[%d] processed job id=%s duration=%dms user=u%d@example.com\n",
			1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), g.r.IntN(1000), g.r.IntN(9999), g.s(hexs, 16), g.r.IntN(900), g.r.IntN(500))
	case 2:
		return fmt.Sprintf("tests/test_%s.py::test_%s_%s[case-%d] %s [%3d%%]\n", g.pick(words...), g.pick(words...), g.pick(words...), g.r.IntN(50), g.pick("PASSED", "PASSED", "SKIPPED", "FAILED"), g.r.IntN(101))
	case 3:
		return fmt.Sprintf("func (s *%sServer) handle%s(ctx context.Context, req *%sRequest) (*%sResponse, error) {\n\tif err := s.check(ctx, req.%s); err != nil {\n\t\treturn nil, fmt.Errorf(\"%s: %%w\", err)\n\t}\n",
			g.pick("Auth", "Token", "Cache", "Model"), g.pick("Query", "Rotate", "Login"), g.pick("Get", "Put"), g.pick("Get", "Put"), g.pick("Token", "Key", "Session"), g.pick(words...))
	case 4:
		return fmt.Sprintf(`{"request_id": "req_%s", "model": "m-%d", "usage": {"input_tokens": %d, "output_tokens": %d}, "trace": "%s", "session": "%s-%s-4%s-a%s-%s"}`+"\n",
			g.s(alnum, 24), g.r.IntN(9), g.r.IntN(90000), g.r.IntN(4000), g.s(hexs, 32), g.s(hexs, 8), g.s(hexs, 4), g.s(hexs, 3), g.s(hexs, 3), g.s(hexs, 12))
	case 5:
		return fmt.Sprintf("  image: ghcr.io/example/%s@sha256:%s\n  replicas: %d\n  secretName: %s-tls\n", g.pick(words...), g.s(hexs, 64), 1+g.r.IntN(5), g.pick(words...))
	case 6:
		return fmt.Sprintf("    \"node_modules/%s-%s\": {\n      \"version\": \"%d.%d.%d\",\n      \"integrity\": \"sha512-%s==\"\n    },\n",
			g.pick(words...), g.pick(words...), g.r.IntN(9), g.r.IntN(30), g.r.IntN(30), g.s(b64, 86))
	case 7:
		return fmt.Sprintf("github.com/%s/%s v0.%d.%d h1:%s=\n", g.pick(words...), g.pick(words...), g.r.IntN(30), g.r.IntN(30), g.s(b64, 43))
	case 8, 9, 10:
		return g.prose(8+g.r.IntN(30)) + ".\n"
	case 11:
		raw := make([]byte, 200+g.r.IntN(1200))
		for i := range raw {
			raw[i] = byte(g.r.IntN(256))
		}
		return `{"type": "image", "source": {"media_type": "image/png", "data": "` + base64.StdEncoding.EncodeToString(raw) + "\"}}\n"
	case 12:
		return fmt.Sprintf("commit %s\nAuthor: Dev %d <dev%d@example.com>\n\n    %s\n", g.s(hexs, 40), g.r.IntN(99), g.r.IntN(99), g.prose(6))
	default:
		return fmt.Sprintf("export %s_%s=%s\n", strings.ToUpper(g.pick(words...)), g.pick("HOST", "PORT", "REGION", "MODE", "LEVEL"), g.pick("eu-west-1", "8080", "debug", "prod.example.com"))
	}
}

func (g g) secretLine(i int) string {
	switch i % 5 {
	case 0:
		return fmt.Sprintf("[default]\naws_access_key_id = AKIA%s\naws_secret_access_key = %s\n", g.s(upper, 16), g.s(b64, 40))
	case 1:
		body := g.s(alnum, 30)
		return fmt.Sprintf("remote: https://x-access-token:ghp_%s%s@github.com/example/repo.git\n", body, base62(crc32.ChecksumIEEE([]byte(body))))
	case 2:
		return fmt.Sprintf("SLACK_BOT_TOKEN=xoxb-%s-%s-%s\n", g.s(digit, 12), g.s(digit, 13), g.s(alnum, 24))
	case 3:
		return fmt.Sprintf("DATABASE_URL=postgres://app:%s@db.example.com:5432/app\n", g.s(alnum, 18))
	default:
		var b strings.Builder
		b.WriteString("-----BEGIN RSA PRIVATE KEY-----\n")
		for j := 0; j < 12; j++ {
			b.WriteString(g.s(b64, 64) + "\n")
		}
		b.WriteString("-----END RSA PRIVATE KEY-----\n")
		return b.String()
	}
}

func base62(v uint32) string {
	const a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		b[i] = a[v%62]
		v /= 62
	}
	return string(b)
}
