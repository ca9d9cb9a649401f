package secrets

import (
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// formsH24 are assignment forms a credential is written in (code, env
// files, YAML, JSON, TOML, XML, CLI flags, HTTP headers, URL query
// parameters, connection strings, tables, prose), written for this test:
// PROV, PROVU and PROVC stand for a provider's name in lower, upper and
// title case, @V@ for the value.
var formsH24 = []string{
	"const PROVApiKey = \"@V@\";",
	"PROVU_API_KEY = \"@V@\"",
	"PROVU_API_KEY=@V@",
	"export PROVU_SECRET=@V@",
	"PROVU_TOKEN: @V@",
	"PROV:\n  api_key: @V@",
	"PROV_api_key: @V@",
	"{\"PROV\": {\"apiKey\": \"@V@\"}}",
	"{\"PROVToken\": \"@V@\"}",
	"[PROV]\nsecret = \"@V@\"",
	"[PROV]\napi_key = @V@",
	"<PROVCApiKey>@V@</PROVCApiKey>",
	"<add key=\"PROVCApiKey\" value=\"@V@\" />",
	"<entry name=\"PROV.token\">@V@</entry>",
	"PROV-cli --api-key @V@",
	"PROV deploy --PROV-token=@V@",
	"curl -H \"X-PROVC-Key: @V@\" https://api.PROV.io/v1/items",
	"curl -H \"x-api-key: @V@\" https://api.PROV.io/v1/items",
	"X-PROVC-Api-Key: @V@",
	"PROVC-Token: @V@",
	"Authorization: PROVC @V@",
	"GET https://api.PROV.io/v1/data?api_key=@V@&q=1",
	"https://api.PROV.io/v1/data?PROV_token=@V@",
	"https://hooks.PROV.io/ingest?token=@V@",
	"Server=db.PROV.io;ApiKey=@V@;Database=main",
	"Endpoint=https://PROV.io/;AccessKey=@V@",
	"PROV.api.key=@V@",
	"- name: PROVU_TOKEN\n  value: @V@",
	"docker run -e PROVU_API_KEY=@V@ img",
	"$env:PROVU_API_KEY = \"@V@\"",
	"PROV_api_key = \"@V@\"",
	"config.PROV = { apiKey: '@V@' }",
	"const client = new PROVC({ apiKey: '@V@' })",
	"headers = {\"X-PROVC-Key\": \"@V@\"}",
	"PROV login --token @V@",
	"os.environ[\"PROVU_API_KEY\"] = \"@V@\"",
	"PROVU_SECRET_KEY=\"@V@\"",
	"PROVC.apiKey = \"@V@\"",
	"\"PROV_secret\": \"@V@\",",
	"PROV_key: \"@V@\"",
	"PROVKey := \"@V@\"",
	"set PROVU_TOKEN=@V@",
	"PROV secret: @V@",
	"<PROVC><ApiKey>@V@</ApiKey></PROVC>",
	"<property name=\"PROV.secret\" value=\"@V@\"/>",
	"PROV_token = '@V@'",
	"--header \"PROVC-Auth-Token: @V@\"",
	"PROV://:@V@@api.PROV.io",
	"amqps://user:@V@@mq.PROV.io/vhost",
	"https://user:@V@@api.PROV.io/v1",
	"redis://default:@V@@cache.PROV.io:6379",
	"Your PROVC API key is @V@",
	"PROV api key: @V@",
	"PROVC key = @V@",
	"| PROVU_API_KEY | @V@ |",
	"\"api_key\" : \"@V@\"",
	"api_key => '@V@'",
	"'PROV_api_key' => '@V@',",
	":PROV_api_key => \"@V@\"",
	"  PROVU_API_KEY: \"@V@\"",
	"PROVU_API_KEY='@V@' npm start",
	"set -x PROVU_API_KEY @V@",
	"PROVC_API_KEY := @V@",
	"PROV.apiKey(\"@V@\")",
	"setApiKey(\"@V@\")",
	"PROVC.setApiKey('@V@');",
	"params = {\"api_key\": \"@V@\", \"q\": \"x\"}",
	"X-PROVC-Token: @V@",
	"--PROV-api-key=@V@",
	"-e PROVU_TOKEN=@V@",
	"ENV PROVU_API_KEY=@V@",
	"PROVU_SECRET_KEY: @V@",
	"secret_key = \"@V@\"  # PROV",
	"# PROVC credentials\nAPI_KEY=@V@",
	"PROVC:\n  credentials:\n    api_key: @V@",
	"\"PROVC\": {\n  \"apiKey\": \"@V@\"\n}",
	"wss://stream.PROV.io/ws?api_key=@V@",
	"https://api.PROV.io/v1/search?apikey=@V@",
	"access_token=@V@&token_type=bearer",
}

// valueShapesH24 generate the values: random draws of the alphabets
// providers issue keys in.
var valueShapesH24 = map[string]func(r *rand.Rand) string{
	"hex32":  func(r *rand.Rand) string { return drawH24(r, "0123456789abcdef", 32) },
	"hex40":  func(r *rand.Rand) string { return drawH24(r, "0123456789abcdef", 40) },
	"HEX32":  func(r *rand.Rand) string { return strings.ToUpper(drawH24(r, "0123456789abcdef", 32)) },
	"b62-20": func(r *rand.Rand) string { return drawH24(r, b62H24, 20) },
	"b62-32": func(r *rand.Rand) string { return drawH24(r, b62H24, 32) },
	"low40":  func(r *rand.Rand) string { return drawH24(r, "abcdefghijklmnopqrstuvwxyz0123456789", 40) },
	"b64-44": func(r *rand.Rand) string { return drawH24(r, b62H24+"+/", 43) + "=" },
	"dash": func(r *rand.Rand) string {
		a := "abcdefghijklmnopqrstuvwxyz0123456789"
		return drawH24(r, a, 8) + "-" + drawH24(r, a, 8) + "-" + drawH24(r, a, 8)
	},
	"uuid4": func(r *rand.Rand) string {
		u := drawH24(r, "0123456789abcdef", 32)
		return u[:8] + "-" + u[8:12] + "-4" + u[13:16] + "-a" + u[17:20] + "-" + u[20:]
	},
	"dig24": func(r *rand.Rand) string { return drawH24(r, "0123456789", 24) },
	"dig32": func(r *rand.Rand) string { return drawH24(r, "0123456789", 32) },
}

const b62H24 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func drawH24(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.Intn(len(alphabet))]
	}
	return string(b)
}

// TestGenericFormsProbe: random values in every form of formsH24 under
// three provider names no rule knows (two made up), each shape drawn
// anew per form (fixed seed): how many are not blocked (no finding >=
// high), per shape. The bound is what the detector reached when the test
// was written (h24); a change that loses forms fails it. PICKET_PROBE_V=1
// lists the misses.
//
//	go test -run TestGenericFormsProbe -v ./detectors/secrets/
func TestGenericFormsProbe(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	r := rand.New(rand.NewSource(7))
	var shapes []string
	for s := range valueShapesH24 {
		shapes = append(shapes, s)
	}
	sort.Strings(shapes)
	miss, total := map[string]int{}, 0
	for _, p := range []string{"zorblax", "quintly", "deepgram"} {
		rep := strings.NewReplacer("PROVU", strings.ToUpper(p), "PROVC", strings.ToUpper(p[:1])+p[1:], "PROV", p)
		for _, f := range formsH24 {
			for _, s := range shapes {
				text := strings.ReplaceAll(rep.Replace(f), "@V@", valueShapesH24[s](r))
				total++
				high := false
				for _, fd := range detect(t, d, sdk.Item{Text: text}) {
					high = high || fd.Severity >= sdk.SeverityHigh
				}
				if !high {
					miss[s]++
					if os.Getenv("PICKET_PROBE_V") != "" {
						fmt.Printf("miss %-6s %q\n", s, text)
					}
				}
			}
		}
	}
	n := 0
	for _, s := range shapes {
		n += miss[s]
	}
	t.Logf("not blocked: %d of %d (%v)", n, total, miss)
	// UUIDs under a credential name are graded medium by the generic
	// tier's model (the corpus's UUID credentials are mostly fabricated
	// ones); the rest must stay under the bound.
	if rest := n - miss["uuid4"]; rest > boundH24 {
		t.Errorf("%d values of shapes other than uuid4 not blocked, bound %d", rest, boundH24)
	}
}

const boundH24 = 85
