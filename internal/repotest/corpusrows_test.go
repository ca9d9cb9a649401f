package repotest

import (
	"bufio"
	"encoding/json"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// minRowLen is the shortest corpus row the check looks for: shorter texts
// ("whoami", "ls -la") are idioms anyone writes, not copied rows.
const minRowLen = 32

// No rule, example, allowlist, training seed or test in the repository is
// a corpus row word for word: the corpus measures the detectors, and a row
// copied into them would make the numbers lie. The check reads every Go
// string literal and every quoted string and line of the data files.
func TestNoCorpusRowInTheRepository(t *testing.T) {
	t.Parallel()
	dir := corpusDir()
	rows, err := corpusRows(dir)
	if err != nil {
		t.Skipf("no corpus at %s (%v): set PICKET_CORPUS to run this check", dir, err)
	}
	if len(rows) == 0 {
		t.Fatalf("the corpus at %s has no rows of %d bytes or more", dir, minRowLen)
	}
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		var lits []string
		switch filepath.Ext(path) {
		case ".go":
			lits, err = goStrings(path)
		case ".toml", ".yaml", ".yml", ".json", ".jsonl", ".txt", ".hcl", ".md":
			lits, err = dataStrings(path)
		default:
			return nil
		}
		if err != nil {
			return err
		}
		for _, s := range lits {
			if src, ok := rows[strings.TrimSpace(s)]; ok {
				t.Errorf("%s holds a row of the corpus (%s): %.80q", path, src, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// corpusDir is where the Makefile looks for the corpus.
func corpusDir() string {
	if d := os.Getenv("PICKET_CORPUS"); d != "" {
		return d
	}
	return "../../../shared/corpus"
}

// corpusRows maps the text of every corpus row of at least minRowLen bytes
// to its file and id.
func corpusRows(dir string) (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil || len(files) == 0 {
		if err == nil {
			err = fs.ErrNotExist
		}
		return nil, err
	}
	rows := map[string]string{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var r struct {
				ID   string `json:"id"`
				Text string `json:"text"`
			}
			if json.Unmarshal(sc.Bytes(), &r) != nil {
				continue
			}
			if text := strings.TrimSpace(r.Text); len(text) >= minRowLen {
				rows[text] = filepath.Base(f) + " " + r.ID
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// goStrings returns the string literals of a Go file.
func goStrings(path string) ([]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var s scanner.Scanner
	s.Init(fset.AddFile(path, -1, len(src)), src, nil, 0)
	var out []string
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return out, nil
		}
		if tok != token.STRING || len(lit) < minRowLen {
			continue
		}
		if v, err := strconv.Unquote(lit); err == nil {
			out = append(out, v)
		}
	}
}

var quoted = regexp.MustCompile(`'''([^']*)'''|"((?:[^"\\]|\\.)*)"|'([^'\n]*)'`)

// dataStrings returns the quoted strings and the lines of a data file.
func dataStrings(path string) ([]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := string(src)
	out := strings.Split(text, "\n")
	for _, m := range quoted.FindAllStringSubmatch(text, -1) {
		switch {
		case m[1] != "":
			out = append(out, m[1])
		case m[2] != "":
			// TOML, JSON and HCL basic strings share Go's escapes closely
			// enough for this check.
			if v, err := strconv.Unquote(`"` + m[2] + `"`); err == nil {
				out = append(out, v)
			} else {
				out = append(out, m[2])
			}
		case m[3] != "":
			out = append(out, m[3])
		}
	}
	return out, nil
}
