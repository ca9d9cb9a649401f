package secrets

// acMatcher is an ASCII case-insensitive Aho-Corasick automaton compiled to
// a dense transition table over byte classes. It is the keyword prefilter:
// one pass over the text says which keywords occur and where, and only the
// rules owning those keywords run.
//
// The table is immutable after build, so one matcher serves concurrent scans.
type acMatcher struct {
	class  [256]uint16 // byte -> class (0 = byte not in any keyword)
	nclass int
	out    [][]int32 // state -> keyword ids ending here (suffix outputs merged)

	// scan table: next[s*nclass+c] is the next state premultiplied by
	// nclass, negated when that state has outputs, so the inner loop does
	// one load, one add and one sign test per byte (a separate "has
	// outputs" table doubled the loads and the cache lines touched).
	next []int32

	// maxLen is the longest keyword: streams scanning parts of a text
	// start that many bytes minus one early.
	maxLen int
}

// newACMatcher builds a matcher for keywords, which must be non-empty and
// are matched ignoring ASCII case. Keyword i is reported as id i.
func newACMatcher(keywords []string) *acMatcher {
	m := &acMatcher{}
	next := uint16(1)
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			c := lower(k[i])
			if m.class[c] == 0 {
				m.class[c] = next
				if up := upper(c); up != c {
					m.class[up] = next
				}
				next++
			}
		}
	}
	m.nclass = int(next)
	for _, k := range keywords {
		m.maxLen = max(m.maxLen, len(k))
	}

	// Trie with sparse children first.
	nodes := []acNode{{child: map[uint16]int32{}}}
	for id, k := range keywords {
		s := int32(0)
		for i := 0; i < len(k); i++ {
			c := m.class[lower(k[i])]
			n, ok := nodes[s].child[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, acNode{child: map[uint16]int32{}})
				nodes[s].child[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}

	nodes = bfsOrder(nodes, m.nclass)

	// Breadth-first: failure links and the dense table.
	delta := make([]int32, len(nodes)*m.nclass)
	m.out = make([][]int32, len(nodes))
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < m.nclass; c++ {
		if n, ok := nodes[0].child[uint16(c)]; ok && c != 0 {
			delta[c] = n
			nodes[n].fail = 0
			queue = append(queue, n)
		}
	}
	m.out[0] = nodes[0].out
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		outs := append([]int32(nil), nodes[s].out...)
		outs = append(outs, m.out[f]...)
		m.out[s] = outs
		for c := 0; c < m.nclass; c++ {
			if n, ok := nodes[s].child[uint16(c)]; ok && c != 0 {
				nodes[n].fail = delta[int(f)*m.nclass+c]
				delta[int(s)*m.nclass+c] = n
				queue = append(queue, n)
			} else {
				delta[int(s)*m.nclass+c] = delta[int(f)*m.nclass+c]
			}
		}
	}
	m.next = make([]int32, len(delta))
	for i, d := range delta {
		m.next[i] = d * int32(m.nclass)
		if len(m.out[d]) > 0 {
			// The root (state 0) never has outputs: keywords are not empty.
			m.next[i] = -m.next[i]
		}
	}
	return m
}

// acNode is a trie node of the automaton under construction.
type acNode struct {
	child map[uint16]int32
	fail  int32
	out   []int32
}

// bfsOrder renumbers the trie breadth-first, so that the shallow states,
// where the scan spends nearly all its time, share a few cache lines of
// the dense table instead of being spread over all of it.
func bfsOrder(nodes []acNode, nclass int) []acNode {
	order := make([]int32, 0, len(nodes))
	newID := make([]int32, len(nodes))
	order = append(order, 0)
	for k := 0; k < len(order); k++ {
		n := nodes[order[k]]
		for c := 0; c < nclass; c++ {
			if ch, ok := n.child[uint16(c)]; ok {
				newID[ch] = int32(len(order))
				order = append(order, ch)
			}
		}
	}
	out := make([]acNode, len(nodes))
	for i, old := range order {
		n := nodes[old]
		child := make(map[uint16]int32, len(n.child))
		for c, ch := range n.child {
			child[c] = newID[ch]
		}
		out[i] = acNode{child: child, out: n.out}
	}
	return out
}

// acHit is a keyword occurrence found by a stream other than the first.
type acHit struct {
	id  int32
	end int
}

// Texts this long or longer are scanned as acStreams interleaved streams.
const (
	acStreams   = 4
	acStreamMin = 16 << 10
)

// scan calls fn for every keyword occurrence with the keyword id and the
// end offset (exclusive) of the occurrence in text, in order of end
// offset (and, at one offset, of keyword id as the automaton lists them).
//
// One automaton step depends on the one before (a load from the state
// table), so a single pass runs at the table's load latency. A long text
// is cut into acStreams parts scanned in the same loop, each from the
// root state, maxLen-1 bytes before its part begins: the state at each
// byte of a part is then the same as a single pass's (the longest keyword
// prefix ending there is shorter than the lead-in), so the hits are too.
// The independent loads overlap; the first part's hits go to fn at once,
// the others' are kept and passed on after it, in order.
func (m *acMatcher) scan(text string, fn func(id int32, end int)) {
	var buf acScratch
	m.scanWith(text, &buf, fn)
}

// acScratch holds the hits of the streams after the first, reused from
// scan to scan.
type acScratch struct {
	held [acStreams - 1][]acHit
}

// scanWith is scan with the held hits kept in buf.
func (m *acMatcher) scanWith(text string, buf *acScratch, fn func(id int32, end int)) {
	if m == nil || m.nclass <= 1 {
		return
	}
	if len(text) < acStreamMin {
		m.scanOne(text, 0, 0, fn)
		return
	}
	n := int32(m.nclass)
	next := m.next
	class := &m.class
	lead := m.maxLen - 1
	// Part j is [b[j], b[j+1]); stream j scans from from[j] = b[j]-lead.
	var b [acStreams + 1]int
	var from [acStreams]int
	for j := 0; j <= acStreams; j++ {
		b[j] = len(text) * j / acStreams
	}
	for j := 0; j < acStreams; j++ {
		from[j] = max(0, b[j]-lead)
	}
	// Common length of the streams; each finishes alone after it.
	common := b[1] - from[0]
	for j := 1; j < acStreams; j++ {
		common = min(common, b[j+1]-from[j])
	}
	t0 := text[from[0] : from[0]+common]
	t1 := text[from[1] : from[1]+common]
	t2 := text[from[2] : from[2]+common]
	t3 := text[from[3] : from[3]+common]
	held := &buf.held
	for j := range held {
		held[j] = held[j][:0]
	}
	var s0, s1, s2, s3 int32
	for k := 0; k < len(t0) && k < len(t1) && k < len(t2) && k < len(t3); k++ {
		s0 = next[s0+int32(class[t0[k]])]
		s1 = next[s1+int32(class[t1[k]])]
		s2 = next[s2+int32(class[t2[k]])]
		s3 = next[s3+int32(class[t3[k]])]
		if s0|s1|s2|s3 >= 0 {
			continue
		}
		if s0 < 0 {
			s0 = -s0
			for _, id := range m.out[s0/n] {
				fn(id, from[0]+k+1)
			}
		}
		if s1 < 0 {
			s1 = -s1
			held[0] = m.hold(held[0], s1/n, from[1]+k+1, b[1])
		}
		if s2 < 0 {
			s2 = -s2
			held[1] = m.hold(held[1], s2/n, from[2]+k+1, b[2])
		}
		if s3 < 0 {
			s3 = -s3
			held[2] = m.hold(held[2], s3/n, from[3]+k+1, b[3])
		}
	}
	// The rest of each part, alone.
	m.scanOne(text[:b[1]], from[0]+common, s0, fn)
	for j, s := range [...]int32{s1, s2, s3} {
		for _, h := range held[j] {
			fn(h.id, h.end)
		}
		lo := b[j+1]
		m.scanOne(text[:b[j+2]], from[j+1]+common, s, func(id int32, end int) {
			if end > lo {
				fn(id, end)
			}
		})
	}
}

// hold appends the outputs of state (not premultiplied) ending at end,
// when end is past lo (the part's first byte).
func (m *acMatcher) hold(hs []acHit, state int32, end, lo int) []acHit {
	if end <= lo {
		return hs
	}
	for _, id := range m.out[state] {
		hs = append(hs, acHit{id, end})
	}
	return hs
}

// scanOne runs the automaton over text[i:] from state s (premultiplied,
// not negated).
func (m *acMatcher) scanOne(text string, i int, s int32, fn func(id int32, end int)) {
	n := int32(m.nclass)
	next := m.next
	class := &m.class
	for ; i < len(text); i++ {
		s = next[s+int32(class[text[i]])]
		if s < 0 {
			s = -s
			for _, id := range m.out[s/n] {
				fn(id, i+1)
			}
		}
	}
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}
