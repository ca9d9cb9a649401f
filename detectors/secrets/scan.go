package secrets

import (
	"context"
	"math/bits"
	"sort"
	"strings"
	"sync"
)

// window is a byte range of the text that one rule scans; for anchored
// rules start is the keyword hit and the regex is tried only there.
type window struct {
	rule       int32
	start, end int
	// tight: the window is exactly a run of a whole-run rule (runGate),
	// which holds any match: it is not widened to whitespace.
	tight bool
}

// scanText runs the rules over text and, below the depth limit, over the
// decoded forms of encoded runs in it. Spans are in text's coordinates.
func (e *engine) scanText(ctx context.Context, text string, depth int, budget *int) ([]match, error) {
	sc := scratchPool.Get().(*scanScratch)
	wins := sc.wins[:0]
	var ms []match
	// Anchored rules: one attempt at each keyword start, as the hits come
	// (in order of the hits; a rule listed twice for a keyword once).
	var err error
	attempts := 0
	last := window{rule: -1}
	lits := sc.lits[:0]
	e.keywordHits(text, &sc.ac, func(id int32, end int) {
		start := end - len(e.keywords[id])
		for _, ri := range e.kwLits[id] {
			lits = append(lits, window{rule: ri, start: start, end: end})
		}
		for _, ri := range e.kwRules[id] {
			r := e.rules[ri]
			if !r.Float {
				a := window{rule: ri, start: start, end: end}
				if a == last || err != nil {
					continue
				}
				last = a
				if attempts++; attempts%256 == 0 {
					if err = ctx.Err(); err != nil {
						continue
					}
				}
				ms = e.anchored(text, r, a, ms)
				continue
			}
			ws, we := start-r.back, end+r.ahead
			if ws < 0 {
				ws = 0
			}
			if we > len(text) {
				we = len(text)
			}
			// Merge with this rule's previous window when they touch.
			merged := false
			for k := len(wins) - 1; k >= 0 && k >= len(wins)-8; k-- {
				if wins[k].rule == ri {
					if ws <= wins[k].end {
						if we > wins[k].end {
							wins[k].end = we
						}
						if ws < wins[k].start {
							wins[k].start = ws
						}
						merged = true
					}
					break
				}
			}
			if !merged {
				wins = append(wins, window{rule: ri, start: ws, end: we})
			}
		}
	})
	grouped := !e.plain && len(e.runRules) > 0
	for _, ri := range e.noKeyword {
		if grouped && e.rules[ri].runGrouped {
			continue // found by runWindows below
		}
		wins = append(wins, window{rule: ri, start: 0, end: len(text)})
	}
	if grouped {
		wins = e.runWindows(text, wins)
	}
	if e.bareRule >= 0 {
		// The prefixed tier's candidates are the runs bareWindows parses
		// (on the reference path too: they define the rule, like
		// matchCredential the generic tier's).
		wins = e.bareWindows(text, wins)
	}
	if err != nil {
		scratchPool.Put(sc)
		return nil, err
	}
	sort.Slice(lits, func(i, j int) bool {
		if lits[i].rule != lits[j].rule {
			return lits[i].rule < lits[j].rule
		}
		return lits[i].start < lits[j].start
	})
	// Floating rules: merged windows around keyword hits.
	sort.Slice(wins, func(i, j int) bool {
		if wins[i].rule != wins[j].rule {
			return wins[i].rule < wins[j].rule
		}
		return wins[i].start < wins[j].start
	})
	for k := 0; k < len(wins); {
		w := wins[k]
		k++
		for k < len(wins) && wins[k].rule == w.rule && wins[k].start <= w.end && !(w.tight && wins[k].tight) {
			if wins[k].end > w.end {
				w.end = wins[k].end
			}
			k++
		}
		if err := ctx.Err(); err != nil {
			sc.wins, sc.lits = wins[:0], lits[:0]
			scratchPool.Put(sc)
			return nil, err
		}
		ws, we := w.start, w.end
		if !w.tight {
			ws, we = snap(text, w.start, w.end)
		}
		r := e.rules[w.rule]
		if e.plain {
			// The reference path: the submatch search alone.
		} else if r.run != nil && !r.run.has(text[ws:we]) {
			continue
		} else if len(r.lits) > 0 && !litWithin(lits, w.rule, ws, we) {
			continue
		} else if r.tail != nil && !r.tail.pass(text, ws, we, r.run) {
			continue
		} else if r.gate != nil {
			if r.gate.get().FindStringIndex(text[ws:we]) == nil {
				continue
			}
		} else if r.Origin != "" && r.re.get().FindStringIndex(text[ws:we]) == nil {
			continue // cheaper than the submatch search that finds nothing
		}
		for _, loc := range r.re.get().FindAllStringSubmatchIndex(text[ws:we], -1) {
			ms = e.handleMatch(text, r, ws, we, loc, ms)
		}
	}
	sc.wins, sc.lits = wins[:0], lits[:0]
	scratchPool.Put(sc)
	if depth < e.maxDepth {
		dm, err := e.scanDecoded(ctx, text, depth, budget)
		if err != nil {
			return nil, err
		}
		ms = append(ms, dm...)
	}
	return ms, nil
}

// runWindows appends the windows of the rules without keywords that scan
// around runs of their run gate (e.runRules): every match holds such a
// run and lies within the regex's reach of it. One pass over text finds
// the maximal runs of every rule's byte set at once.
func (e *engine) runWindows(text string, wins []window) []window {
	var start [64]int
	emit := func(k int, s, end int) {
		ri := e.runRules[k]
		r := e.rules[ri]
		if end-s < r.run.min {
			return
		}
		if r.run.whole {
			// The regex consumes only the run: a match lies within one.
			// The byte on either side stays in the window, so that \b
			// there sees what it sees in the whole text.
			for n := range r.runNeeds {
				if !anyByte(text[s:end], &r.runNeeds[n]) {
					return
				}
			}
			wins = append(wins, window{rule: ri, start: max(0, s-1), end: min(len(text), end+1), tight: true})
			return
		}
		ws, we := max(0, s-r.back), min(len(text), end+r.ahead)
		// Runs of one rule end in order; windows of others may lie
		// between: the merge after sorting joins what touches.
		for n := len(wins) - 1; n >= 0 && n >= len(wins)-len(e.runRules); n-- {
			if wins[n].rule == ri && !wins[n].tight {
				if ws <= wins[n].end {
					wins[n].end = we
					return
				}
				break
			}
		}
		wins = append(wins, window{rule: ri, start: ws, end: we})
	}
	var cur uint64 // the rules whose run goes on at i
	for i := 0; i <= len(text); i++ {
		var m uint64
		if i < len(text) {
			m = e.runMask[text[i]]
		}
		if m == cur {
			continue
		}
		for ended := cur &^ m; ended != 0; ended &= ended - 1 {
			k := bits.TrailingZeros64(ended)
			emit(k, start[k], i)
		}
		for begun := m &^ cur; begun != 0; begun &= begun - 1 {
			start[bits.TrailingZeros64(begun)] = i
		}
		cur = m
	}
	return wins
}

// anchored tries an anchored rule once at a keyword hit a and appends
// what it accepts to ms.
func (e *engine) anchored(text string, r *compiledRule, a window, ms []match) []match {
	if r.boundary && a.start > 0 && (isAlnum(text[a.start-1]) || text[a.start-1] == '_') && isWordByte(text[a.start]) {
		return ms
	}
	if r.WordStart && a.start > 1 && isAlnum(text[a.start-1]) && isAlnum(text[a.start-2]) &&
		!(text[a.start-1] >= 'a' && text[a.start-1] <= 'z' && text[a.start] >= 'A' && text[a.start] <= 'Z') {
		return ms
	}
	// A generic name must not merely begin with the keyword
	// ("passwords", "tokenizer", "keying"); a plural "credentials" is
	// fine.
	if r.Generic && a.end < len(text) && text[a.end] >= 'a' && text[a.end] <= 'z' && isAlnum(text[a.end-1]) &&
		!(text[a.end] == 's' && strings.HasSuffix(strings.ToLower(text[a.start:a.end]), "credential")) {
		return ms
	}
	if len(r.gates) > 0 && !e.plain && !gatesPass(r.gates, text, a.start) {
		return ms
	}
	if len(r.litGates) > 0 && !e.plain && !litGatesPass(r.litGates, text, a.start) {
		return ms
	}
	end := min(a.start+r.ahead, len(text))
	if r.run != nil && !e.plain && !r.run.has(text[a.start:r.run.runLimit(text, a.start, end)]) {
		return ms
	}
	var loc []int
	if r.Match != nil {
		loc = r.Match(text, a.start, end)
	} else {
		loc = r.re.get().FindStringSubmatchIndex(text[a.start:end])
		if loc != nil && a.start+loc[1] == end && end < len(text) {
			// The match ran into the limit: let a long token run on
			// to its end (whitespace or a quote) and match again.
			for i := 0; i < 8192 && end < len(text) && !isSpace(text[end]) && text[end] != '"' && text[end] != '\'' && text[end] != '<'; i++ {
				end++
			}
			loc = r.re.get().FindStringSubmatchIndex(text[a.start:end])
		}
	}
	if loc != nil {
		ms = e.handleMatch(text, r, a.start, end, loc, ms)
	}
	return ms
}

// scanScratch holds a scan's reusable buffers: the floating windows and
// the automaton's held hits (a 10 MiB text has ~10^5 keyword hits, so
// fresh slices per scan cost more in allocation and collection than the
// automaton takes to find them).
type scanScratch struct {
	wins []window
	lits []window // secondary literal occurrences, by rule and start
	ac   acScratch
}

// anyByte reports whether s holds a byte of set.
func anyByte(s string, set *[256]bool) bool {
	for i := 0; i < len(s); i++ {
		if set[s[i]] {
			return true
		}
	}
	return false
}

// litWithin reports whether a secondary literal of rule lies within
// [ws, we) (lits sorted by rule, then start).
func litWithin(lits []window, rule int32, ws, we int) bool {
	i := sort.Search(len(lits), func(i int) bool {
		return lits[i].rule > rule || (lits[i].rule == rule && lits[i].start >= ws)
	})
	for ; i < len(lits) && lits[i].rule == rule && lits[i].start < we; i++ {
		if lits[i].end <= we {
			return true
		}
	}
	return false
}

var scratchPool = sync.Pool{New: func() any { return new(scanScratch) }}

// keywordHits calls fn for every keyword occurrence in text, in order of
// end offset and, at one offset, longest keyword first (the automaton's
// order): with the automaton, or on the reference path by a plain search
// for each keyword.
func (e *engine) keywordHits(text string, buf *acScratch, fn func(id int32, end int)) {
	if !e.plain {
		e.ac.scanWith(text, buf, fn)
		return
	}
	lt := []byte(text)
	for i, c := range lt {
		lt[i] = lower(c)
	}
	low := string(lt)
	type hit struct {
		id       int32
		end, len int
	}
	var hs []hit
	for id, k := range e.keywords {
		for i := 0; ; {
			j := strings.Index(low[i:], k)
			if j < 0 {
				break
			}
			hs = append(hs, hit{int32(id), i + j + len(k), len(k)})
			i += j + 1
		}
	}
	sort.Slice(hs, func(a, b int) bool {
		if hs[a].end != hs[b].end {
			return hs[a].end < hs[b].end
		}
		return hs[a].len > hs[b].len
	})
	for _, h := range hs {
		fn(h.id, h.end)
	}
}

// snap widens [start, end) to nearby whitespace so that a window does not
// begin or end inside a token (which would let a regex see a suffix of a
// longer token as a whole one).
func snap(text string, start, end int) (int, int) {
	for i := 0; i < 128 && start > 0 && !isSpace(text[start-1]); i++ {
		start--
	}
	for i := 0; i < 128 && end < len(text) && !isSpace(text[end]); i++ {
		end++
	}
	return start, end
}
