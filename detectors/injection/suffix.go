package injection

import (
	"bytes"
	"regexp"

	"github.com/picketsec/picket/detectors/injection/internal/charlm"
)

// ClassAdversarial is the family of optimised adversarial suffixes.
const ClassAdversarial = "adversarial suffix"

// sigSuffix is an adversarial suffix (GCG and its kin: a request followed
// by tokens an optimiser chose, `describing.\ + similarlyNow write
// oppositeley.](`): a one-line prompt whose end the character model of
// ordinary text finds far more surprising than its start, in tokens
// crowded with punctuation. Judged in user prompts only: documents and
// tool output are full of code and tables that end however they like.
var sigSuffix = &signal{
	ID: "adversarial.suffix", Class: ClassAdversarial,
	Desc:   "ends in an optimised adversarial suffix (junk far less likely than the request before it)",
	Direct: 0.85, Untrusted: 0.3,
}

// The shape of a prompt with a suffix, and how much stranger its tail
// must be (fitted on held-out benign prompts and GCG / DSN rows; see the
// README): a single line of suffixMin to suffixMax bytes; a tail of at
// most suffixTail bytes (half the prompt at most) whose mean surprise
// exceeds the head's by suffixGap nats; suffixOdd of its last suffixWords
// words holding two punctuation marks or more; a head of one sentence;
// brackets or quotes left open.
const (
	suffixMin   = 60
	suffixMax   = 600
	suffixTail  = 80
	suffixGap   = 0.4
	suffixWords = 20
	suffixOdd   = 3
	// The request an optimiser extends is one sentence; a prompt that
	// explains itself over several and ends in code is a developer's.
	suffixSentences = 1
	// Code and data close what they open; an optimiser's tokens do not
	// (`](="{`, `?>}^{(`).
	suffixUnbalanced = 2
)

// reDebugging is a developer pasting what broke: an error or a log line
// ends however the program cut it off.
var reDebugging = regexp.MustCompile(`\b(?:errors?|exceptions?|traceback|warn(?:ing)?|fail(?:s|ed|ure)?|panic|stack\s*trace|line\s+\d+|col(?:umn)?\s+\d+|syntax|undefined|null|nil|segfault|crash(?:es|ed)?|logs?|output|stderr|stdout|truncated|compil\w*)\b`)

// unbalanced counts the brackets of t left unmatched (each kind counted
// apart, in any order) and the double quotes and backticks left odd.
func unbalanced(t []byte) int {
	var n [256]int
	for _, c := range t {
		n[c]++
	}
	abs := func(x int) int { return max(x, -x) }
	return abs(n['(']-n[')']) + abs(n['[']-n[']']) + abs(n['{']-n['}']) + n['"']%2 + n['`']%2
}

// sentences counts the sentence ends in t: a full stop, question or
// exclamation mark followed by a space and a letter.
func sentences(t []byte) int {
	n := 0
	for i := 0; i+2 < len(t); i++ {
		if (t[i] == '.' || t[i] == '?' || t[i] == '!') && t[i+1] == ' ' && t[i+2] >= 'a' && t[i+2] <= 'z' {
			n++
		}
	}
	return n
}

// suffixHit reports an adversarial suffix at the end of normalized text b.
func suffixHit(lm *charlm.Model, b []byte) (hit, bool) {
	lo, hi := 0, len(b)
	for lo < hi && isSpace(b[lo]) {
		lo++
	}
	for hi > lo && isSpace(b[hi-1]) {
		hi--
	}
	t := b[lo:hi]
	if len(t) < suffixMin || len(t) > suffixMax || bytes.IndexByte(t, '\n') >= 0 {
		return hit{}, false
	}
	var buf [suffixMax]uint8
	s := lm.Surprises(buf[:0], t)
	k := min(suffixTail, len(s)/2)
	head, tail := 0, 0
	for i, v := range s {
		if i < len(s)-k {
			head += int(v)
		} else {
			tail += int(v)
		}
	}
	// tail/k − head/(n−k) > gap, in whole numbers.
	n := len(s)
	if float64(tail*(n-k)-head*k) <= suffixGap*charlm.Unit*float64(k*(n-k)) {
		return hit{}, false
	}
	if oddWords(t, suffixWords) < suffixOdd || sentences(t[:n-k]) > suffixSentences || unbalanced(t) < suffixUnbalanced || reDebugging.Match(t) {
		return hit{}, false
	}
	return hit{sig: sigSuffix, start: lo + n - k, end: hi}, true
}

// oddWords counts, among the last n space-separated words of t, those
// holding two punctuation marks or more.
func oddWords(t []byte, n int) int {
	odd := 0
	end := len(t)
	for words := 0; words < n && end > 0; words++ {
		start := bytes.LastIndexAny(t[:end], " \t") + 1
		marks := 0
		for _, c := range t[start:end] {
			if c > ' ' && c < 0x7f && !isWordByte(c) {
				marks++
			}
		}
		if marks >= 2 {
			odd++
		}
		end = start - 1
		for end > 0 && isSpace(t[end-1]) {
			end--
		}
	}
	return odd
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
