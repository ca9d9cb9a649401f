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
	delta  []int32   // state*nclass + class -> next state
	out    [][]int32 // state -> keyword ids ending here (suffix outputs merged)

	// scan tables: next[s*nclass+c] is the next state premultiplied by
	// nclass, and hit[s*nclass] says whether that state has outputs, so
	// the inner loop does one load, one add and one test per byte.
	next []int32
	hit  []bool
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

	// Trie with sparse children first.
	type node struct {
		child map[uint16]int32
		fail  int32
		out   []int32
	}
	nodes := []node{{child: map[uint16]int32{}}}
	for id, k := range keywords {
		s := int32(0)
		for i := 0; i < len(k); i++ {
			c := m.class[lower(k[i])]
			n, ok := nodes[s].child[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, node{child: map[uint16]int32{}})
				nodes[s].child[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}

	// Breadth-first: failure links and the dense table.
	m.delta = make([]int32, len(nodes)*m.nclass)
	m.out = make([][]int32, len(nodes))
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < m.nclass; c++ {
		if n, ok := nodes[0].child[uint16(c)]; ok && c != 0 {
			m.delta[c] = n
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
				nodes[n].fail = m.delta[int(f)*m.nclass+c]
				m.delta[int(s)*m.nclass+c] = n
				queue = append(queue, n)
			} else {
				m.delta[int(s)*m.nclass+c] = m.delta[int(f)*m.nclass+c]
			}
		}
	}
	m.next = make([]int32, len(m.delta))
	m.hit = make([]bool, len(m.delta))
	for i, d := range m.delta {
		m.next[i] = d * int32(m.nclass)
	}
	for s := range m.out {
		m.hit[s*m.nclass] = len(m.out[s]) > 0
	}
	return m
}

// scan calls fn for every keyword occurrence with the keyword id and the
// end offset (exclusive) of the occurrence in text.
func (m *acMatcher) scan(text string, fn func(id int32, end int)) {
	if m == nil || m.nclass <= 1 {
		return
	}
	s := int32(0)
	n := int32(m.nclass)
	next, hit := m.next, m.hit
	class := &m.class
	for i := 0; i < len(text); i++ {
		s = next[s+int32(class[text[i]])]
		if hit[s] {
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
