package secrets

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// exprFilter is a compiled Betterleaks `filter` expression (Expr
// language): true drops the finding. It sees `finding` (secret, match,
// line, fragment_raw and the match and line offsets in it, rule_id) and
// `attributes` (path: always "" — picket scans text, not files), with
// Betterleaks' helper functions entropy, matchesAny, containsAny,
// failsTokenEfficiency, also under the `filter.` namespace, plus findMatch
// and a three-argument get. Expr is the library Betterleaks itself
// evaluates these with.
type exprFilter struct {
	prog *vm.Program
}

// exprEnv is the environment an expression is type-checked against.
func exprEnv(finding map[string]any) map[string]any {
	ns := map[string]any{
		"entropy":              exprEntropy,
		"matchesAny":           exprMatchesAny,
		"containsAny":          exprContainsAny,
		"findMatch":            exprFindMatch,
		"failsTokenEfficiency": failsTokenEfficiency,
	}
	env := map[string]any{
		"finding":    finding,
		"attributes": map[string]any{"path": ""},
		"filter":     ns,
	}
	for k, v := range ns {
		env[k] = v
	}
	return env
}

var exprOptions = []expr.Option{
	expr.AsBool(),
	expr.DisableBuiltin("get"),
	expr.Function("get", func(params ...any) (any, error) {
		if len(params) < 2 {
			return nil, fmt.Errorf("get: want (map, key[, default])")
		}
		var def any
		if len(params) > 2 {
			def = params[2]
		}
		m, ok := params[0].(map[string]any)
		if !ok {
			return def, nil
		}
		k, _ := params[1].(string)
		if v, ok := m[k]; ok && v != nil {
			return v, nil
		}
		return def, nil
	}),
}

// exprFilters holds the process's compiled filters by source: a program
// is immutable and safe for concurrent runs, and Betterleaks' 308 rule
// filters are 42 distinct expressions.
var exprFilters sync.Map // string -> *exprFilter

func compileExprFilter(src string) (*exprFilter, error) {
	if f, ok := exprFilters.Load(src); ok {
		return f.(*exprFilter), nil
	}
	opts := append([]expr.Option{expr.Env(exprEnv(findingEnv("", "", "", "", 0, 0)))}, exprOptions...)
	p, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, fmt.Errorf("expression: %s", firstLine(err.Error()))
	}
	f, _ := exprFilters.LoadOrStore(src, &exprFilter{prog: p})
	return f.(*exprFilter), nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// findingEnv builds the `finding` map for one candidate: text is the
// scanned text, [start, end) the match, secret the secret.
func findingEnv(ruleID, secret, text, match string, start, end int) map[string]any {
	ls := strings.LastIndexByte(text[:start], '\n') + 1
	le := len(text)
	if i := strings.IndexByte(text[end:], '\n'); i >= 0 {
		le = end + i
	}
	return map[string]any{
		"rule_id": ruleID, "secret": secret, "match": match, "line": text[ls:le], "fragment_raw": text,
		"match_start_idx": start, "match_end_idx": end, "match_line_start_idx": ls, "match_line_end_idx": le,
	}
}

// drops evaluates the filter; an evaluation error keeps the finding (a
// filter that cannot run must not hide a secret).
func (f *exprFilter) drops(env map[string]any) bool {
	out, err := expr.Run(f.prog, env)
	if err != nil {
		return false
	}
	b, _ := out.(bool)
	return b
}

func exprEntropy(s string) float64 { return shannon(s) }

var exprRegexCache sync.Map // pattern -> *regexp.Regexp (nil when invalid)

func cachedRegexp(p string) *regexp.Regexp {
	if v, ok := exprRegexCache.Load(p); ok {
		re, _ := v.(*regexp.Regexp)
		return re
	}
	re, err := regexp.Compile(p)
	if err != nil {
		exprRegexCache.Store(p, (*regexp.Regexp)(nil))
		return nil
	}
	exprRegexCache.Store(p, re)
	return re
}

func exprMatchesAny(s string, pats []any) bool {
	for _, p := range pats {
		ps, _ := p.(string)
		if re := cachedRegexp(ps); re != nil && re.MatchString(s) {
			return true
		}
	}
	return false
}

func exprContainsAny(s string, subs []any) bool {
	ls := strings.ToLower(s)
	for _, p := range subs {
		ps, _ := p.(string)
		if ps != "" && strings.Contains(ls, strings.ToLower(ps)) {
			return true
		}
	}
	return false
}

func exprFindMatch(s, pat string) string {
	if re := cachedRegexp(pat); re != nil {
		return re.FindString(s)
	}
	return ""
}
