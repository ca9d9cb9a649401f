// Command recorded runs the recorded-real-traffic set (real LLM request
// bodies that other projects' test suites recorded) through the shipped
// default policy in enforce mode and prints how many requests it blocks,
// by detector and rule. With -build it rebuilds the set from those
// projects' modules in the Go module cache (go mod download -json
// MODULE@VERSION puts them there); see the README next to the set.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/internal/policyeval"
)

const defaultSet = "internal/policyeval/testdata/recorded-h26.jsonl"

// sources are the modules whose test data holds recorded LLM requests.
var sources = []string{
	"github.com/tmc/langchaingo@v0.1.14",
	"github.com/anthropics/anthropic-sdk-go/v2@v2.17.0",
}

func main() {
	set := flag.String("set", defaultSet, "the recorded-traffic JSONL")
	build := flag.Bool("build", false, "rebuild -set from the source modules (downloaded into the module cache), keeping known_fp marks of rows that stay")
	verbose := flag.Bool("v", false, "also list each passed request with findings below the block line")
	flag.Parse()
	var err error
	if *build {
		err = rebuild(*set)
	} else {
		err = run(*set, *verbose)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "recorded:", err)
		os.Exit(1)
	}
}

func run(set string, verbose bool) error {
	ctx := context.Background()
	rows, err := policyeval.ReadRecorded(set)
	if err != nil {
		return err
	}
	ev, err := policyeval.New(ctx, policyeval.Options{Budget: time.Minute})
	if err != nil {
		return err
	}
	defer ev.Close()
	res, err := ev.RunRecorded(ctx, rows)
	if err != nil {
		return err
	}
	fmt.Printf("== recorded real traffic through the default policy (%s)\n", set)
	policyeval.FprintRecorded(os.Stdout, res, verbose)
	return nil
}

type request struct {
	id, url, host string
	body          []byte
}

func rebuild(set string) error {
	known := map[string]string{}
	if old, err := policyeval.ReadRecorded(set); err == nil {
		for _, r := range old {
			if r.KnownFP != "" {
				known[r.ID] = r.KnownFP
			}
		}
	}
	var reqs []request
	for _, mod := range sources {
		dir, err := moduleDir(mod)
		if err != nil {
			return err
		}
		var files []string
		err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.Contains(p, "/testdata/") && (strings.HasSuffix(p, ".httprr") || strings.HasSuffix(p, ".httprr.gz") || strings.HasSuffix(p, ".yaml") && strings.Contains(p, "/cassettes/")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return err
		}
		sort.Strings(files)
		for _, p := range files {
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			var got []request
			if strings.HasSuffix(p, ".gz") {
				raw, err = gunzip(raw)
			}
			switch {
			case err != nil:
			case strings.Contains(p, ".httprr"):
				got, err = httprr(raw)
			default:
				got, err = vcr(raw)
			}
			if err != nil {
				return fmt.Errorf("%s/%s: %w", mod, rel, err)
			}
			for i := range got {
				got[i].id = fmt.Sprintf("%s/%s#%d", mod, rel, i)
			}
			reqs = append(reqs, got...)
		}
	}
	var out bytes.Buffer
	n, redacted := 0, 0
	seen := map[string]bool{}
	for _, r := range reqs {
		path := llmapi.URLPath(r.url)
		format := llmapi.FormatFromURL(path)
		if format == "" || !json.Valid(r.body) {
			continue
		}
		// Test suites replay the same request; one copy is enough.
		if seen[path+"\x00"+string(r.body)] {
			continue
		}
		seen[path+"\x00"+string(r.body)] = true
		body, k := redact(r.body)
		redacted += k
		hook, err := policyeval.WrapRequest(path, provider(r.host, format), "recorded-test-suite", body)
		if err != nil {
			return fmt.Errorf("%s: %w", r.id, err)
		}
		line, err := json.Marshal(policyeval.Recorded{ID: r.id, Format: string(format), KnownFP: known[r.id], Hook: hook})
		if err != nil {
			return err
		}
		out.Write(line)
		out.WriteByte('\n')
		n++
	}
	if err := os.WriteFile(set, out.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("%d requests read, %d rows written to %s (%d bytes), %d credential-like strings redacted\n", len(reqs), n, set, out.Len(), redacted)
	return nil
}

func moduleDir(mod string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Dir = os.TempDir() // outside this module: its go.mod must not change
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(b, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %v %s", mod, err, info.Error)
	}
	return info.Dir, nil
}

func gunzip(b []byte) ([]byte, error) {
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer z.Close()
	return io.ReadAll(z)
}

// httprr reads an httprr trace: "httprr trace v1\n", then per interaction
// "N M\n", an N-byte request and an M-byte response.
func httprr(raw []byte) ([]request, error) {
	rest, ok := bytes.CutPrefix(raw, []byte("httprr trace v1\n"))
	if !ok {
		return nil, fmt.Errorf("not an httprr trace")
	}
	var out []request
	for len(rest) > 0 {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			return nil, fmt.Errorf("truncated header")
		}
		f := strings.Fields(string(rest[:nl]))
		if len(f) != 2 {
			return nil, fmt.Errorf("bad header %q", rest[:nl])
		}
		nreq, err1 := strconv.Atoi(f[0])
		nresp, err2 := strconv.Atoi(f[1])
		rest = rest[nl+1:]
		if err1 != nil || err2 != nil || nreq < 0 || nresp < 0 || nreq+nresp > len(rest) {
			return nil, fmt.Errorf("bad header %q", f)
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(rest[:nreq])))
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		if req.Method == http.MethodPost {
			out = append(out, request{url: req.URL.String(), host: req.Host, body: body})
		}
		rest = rest[nreq+nresp:]
	}
	return out, nil
}

// vcr reads a go-vcr cassette.
func vcr(raw []byte) ([]request, error) {
	var c struct {
		Interactions []struct {
			Request struct {
				Body   string `yaml:"body"`
				URL    string `yaml:"url"`
				Method string `yaml:"method"`
			} `yaml:"request"`
		} `yaml:"interactions"`
	}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	var out []request
	for _, it := range c.Interactions {
		if it.Request.Method != http.MethodPost {
			continue
		}
		host := it.Request.URL
		if i := strings.Index(host, "://"); i >= 0 {
			host = host[i+3:]
		}
		host, _, _ = strings.Cut(host, "/")
		out = append(out, request{url: it.Request.URL, host: host, body: []byte(it.Request.Body)})
	}
	return out, nil
}

func provider(host string, f llmapi.Format) string {
	switch {
	case strings.Contains(host, "anthropic"):
		return "anthropic"
	case strings.Contains(host, "openrouter"):
		return "openrouter"
	case strings.Contains(host, "openai"):
		return "openai"
	case strings.Contains(host, "googleapis"):
		return "gemini"
	case strings.Contains(host, "bedrock") || strings.Contains(host, "amazonaws"):
		return "bedrock"
	}
	return string(f)
}

// credential-like strings a recording could carry in its body: API keys of
// the providers recorded here and bearer tokens. Test suites record with
// fake keys and keep them in headers, which are not kept; this is a guard.
var credential = regexp.MustCompile(`\b(sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[abposr]-[A-Za-z0-9-]{10,})`)

func redact(body []byte) ([]byte, int) {
	n := 0
	out := credential.ReplaceAllFunc(body, func([]byte) []byte { n++; return []byte("REDACTED") })
	return out, n
}
