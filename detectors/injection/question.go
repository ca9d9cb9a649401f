package injection

import (
	"bytes"
	"regexp"
)

// sigOffTopic is a question put to the reader of a document that has
// nothing to do with the document: none of its content words occurs
// anywhere else in the text ("What is the national animal of Canada?"
// inside a page about editor settings). A page asks its own questions
// about its own subject (an FAQ, "How do I configure the server?"); a
// question no word of the page leads to is a task someone slipped in for
// the assistant that reads it.
var sigOffTopic = &signal{
	ID: "drift.off_topic_question", Class: ClassTaskDrift,
	Desc:   "puts to the reader a question that has nothing to do with the rest of the text",
	Direct: 0.03, Untrusted: 0.8,
}

// questionWords open a question.
var questionWords = map[string]bool{"what": true, "which": true, "who": true, "whom": true, "whose": true, "where": true, "when": true, "why": true, "how": true, "is": true, "are": true, "was": true, "were": true, "do": true, "does": true, "did": true, "can": true, "could": true, "name": true, "in": true, "on": true}

// questionLongest bounds a question's length.
const questionLongest = 205

// questions returns the spans of the questions in b that open a line or a
// sentence (a question word, then up to questionLongest bytes without a
// line break, ending in a question mark right after a word), at most
// limit+1 of them. It reads only behind question marks.
func questions(b []byte, limit int) [][2]int {
	var out [][2]int
	for pos := 0; ; pos++ {
		k := bytes.IndexByte(b[pos:], '?')
		if k < 0 {
			return out
		}
		pos += k
		if pos == 0 || !(isWordByte(b[pos-1]) || b[pos-1] == '"' || b[pos-1] == '\'' || b[pos-1] == ')') {
			continue
		}
		lo := max(0, pos-questionLongest)
		start := bytes.LastIndexAny(b[lo:pos], "\n.!:;?")
		switch {
		case start >= 0:
			start += lo + 1
		case lo == 0:
			start = 0
		default:
			continue // too long to be one question
		}
		for start < pos && isSpace(b[start]) {
			start++
		}
		e := start
		for e < pos && isWordByte(b[e]) {
			e++
		}
		w := string(b[start:e])
		if !questionWords[w] || pos-e < 5 || (w == "in" || w == "on") && !bytes.HasPrefix(b[e:], []byte(" what")) {
			continue
		}
		out = append(out, [2]int{start, pos + 1})
		if len(out) > limit {
			return out
		}
	}
}

// reAsksPeople is a question about people rather than facts: what the
// reader wants or did ("are you sure you want to continue?"), who is
// doing what ("who is bringing the cake on Friday?"), anything with
// "we", "someone" or "I" in it. Small talk in an e-mail or a thread, a
// program's prompt: not a task for the assistant.
var reAsksPeople = regexp.MustCompile(`^(?:are|do|did|does|can|could|would|will|have|is|was|were)\s|\b(?:you|your|yours|we|us|our|i|me|my|someone|somebody|anyone|anybody|everyone|everybody|someone's|anyone's)\b|\b(?:is|are|was|were)\s+\w+ing\b`)

// The limits of the off-topic rule: a text with more than offTopicMax
// questions is a questionnaire or an FAQ; a question needs offTopicWords
// content words, and the text around it offTopicContext bytes, for "no
// word in common" to mean anything.
const (
	offTopicMax     = 3
	offTopicWords   = 3
	offTopicContext = 300
	// offTopicLongest bounds the text the rule reads whole (a word count
	// of a megabyte log is not worth one question).
	offTopicLongest = 256 << 10
)

// stopWords are the words that say nothing of a topic.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{"the", "of", "to", "in", "on", "for", "and", "or", "is", "are", "was", "were", "been", "what", "which", "who", "whom", "whose", "where", "when", "why", "how", "does", "did", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "this", "that", "these", "those", "its", "with", "from", "into", "about", "than", "then", "there", "their", "they", "them", "you", "your", "our", "his", "her", "not", "yes", "any", "all", "some", "most", "more", "many", "much", "one", "two", "three", "name", "called", "known", "kind", "type", "has", "have", "had", "use", "used", "get", "make", "made", "way", "also", "only", "just", "very", "like", "she", "him", "who", "out", "new", "first", "best"} {
		m[w] = true
	}
	return m
}()

// contentWords calls fn for each content word of t (letters and digits
// starting with a letter, three bytes or more, not a stop word).
func contentWords(t []byte, fn func(w string)) {
	for i := 0; i < len(t); {
		if !(t[i] >= 'a' && t[i] <= 'z') || i > 0 && isWordByte(t[i-1]) {
			i++
			continue
		}
		j := i
		for j < len(t) && isWordByte(t[j]) {
			j++
		}
		if w := string(t[i:j]); len(w) >= 3 && !stopWords[w] {
			fn(w)
		}
		i = j
	}
}

// offTopicQuestion finds a question in normalized text b that shares no
// content word with the rest of b.
func offTopicQuestion(b []byte) (hit, bool) {
	if len(b) < offTopicContext || len(b) > offTopicLongest {
		return hit{}, false
	}
	qs := questions(b, offTopicMax)
	if len(qs) == 0 || len(qs) > offTopicMax {
		return hit{}, false
	}
	if s, e, ok := unshared(b, qs, reAsksPeople, nil); ok {
		return hit{sig: sigOffTopic, start: s, end: e}, true
	}
	return hit{}, false
}

// unshared returns the first span of b that names no people (by people),
// stands in at least offTopicContext bytes of other text and has at least
// offTopicWords content words, none of which occurs elsewhere in b. skip,
// when set, leaves words out of the span's own count (a task's verbs).
func unshared(b []byte, spans [][2]int, people *regexp.Regexp, skip map[string]bool) (int, int, bool) {
	var all map[string]int // content words of b and how often they occur
	for _, sp := range spans {
		s, e := sp[0], sp[1]
		if people.Match(b[s:e]) || len(b)-(e-s) < offTopicContext {
			continue
		}
		own := map[string]int{}
		contentWords(b[s:e], func(w string) {
			if !skip[w] {
				own[w]++
			}
		})
		if len(own) < offTopicWords {
			continue
		}
		if all == nil {
			all = map[string]int{}
			contentWords(b, func(w string) { all[w]++ })
		}
		shared := false
		for w, n := range own {
			shared = shared || all[w] > n
		}
		if !shared {
			return s, e, true
		}
	}
	return 0, 0, false
}

// sigAnnouncedOffTopic is a question or task right after an announcement
// of instructions that shares no content word with the rest of the text:
// the announcement says a task comes, and the task has nothing to do with
// the page.
var sigAnnouncedOffTopic = &signal{
	ID: "drift.announced_off_topic_task", Class: ClassTaskDrift,
	Desc:   "an announcement of instructions is followed by a question or task that has nothing to do with the rest of the text",
	Direct: 0.03, Untrusted: 0.8,
}

// sharesWord reports whether a content word of text[s:e] occurs
// elsewhere in text.
func sharesWord(text []byte, s, e int) bool {
	if len(text) > offTopicLongest {
		return true
	}
	_, shared := wordsElsewhere(text, s, e)
	return shared
}

// offTopicFollow reports whether the follow-up at text[s:e] has at least
// two content words and none of them occurs elsewhere in text.
func offTopicFollow(text []byte, s, e int) bool {
	if len(text) > offTopicLongest {
		return false
	}
	n, shared := wordsElsewhere(text, s, e)
	return n >= 2 && !shared
}

// wordsElsewhere returns how many distinct content words text[s:e] has
// and whether any of them also occurs outside it.
func wordsElsewhere(text []byte, s, e int) (distinct int, shared bool) {
	own := map[string]int{}
	contentWords(text[s:e], func(w string) { own[w]++ })
	all := map[string]int{}
	contentWords(text, func(w string) {
		if _, ok := own[w]; ok {
			all[w]++
		}
	})
	for w, n := range own {
		if all[w] > n {
			return len(own), true
		}
	}
	return len(own), false
}

// sigOffTopicTask is the off-topic question's twin: a sentence that gives
// the reader a task ("Write a limerick about goats.", "List three
// capitals of Africa.") and shares none of its content words with the rest
// of the document. Pages give their readers steps about their own subject
// ("Run the installer", "Describe the bug in the issue"); a task no word
// of the page leads to is a task someone slipped in for the assistant.
var sigOffTopicTask = &signal{
	ID: "drift.off_topic_task", Class: ClassTaskDrift,
	Desc:   "gives the reader a task that has nothing to do with the rest of the text",
	Direct: 0.03, Untrusted: 0.8,
}

// taskVerbs open a task for a writer (not the steps of a procedure —
// run, open, click, install, create, add, set — nor the asks of the
// review and analysis prompts that manuals of coding agents show as
// examples: explain, suggest, summarize, describe, provide).
var taskVerbs = map[string]bool{"write": true, "compose": true, "generate": true, "tell": true, "list": true, "translate": true, "draft": true, "recite": true, "sing": true, "say": true, "give": true, "calculate": true, "compute": true}

// taskLeads may stand before a task verb ("Now, write …", "Please list …").
var taskLeads = map[string]bool{"please": true, "now": true, "also": true, "then": true, "kindly": true, "just": true, "instead": true, "next": true, "and": true, "finally": true, "first": true}

// taskWords are the task verbs and leads: a task's frame, not its content.
var taskWords = func() map[string]bool {
	m := map[string]bool{}
	for _, set := range []map[string]bool{taskVerbs, taskLeads} {
		for w := range set {
			m[w] = true
		}
	}
	return m
}()

// reTaskPeople is a task about the people of the text or for them ("tell
// John we moved the meeting", "reply to us by Friday"): correspondence,
// not a task slipped in.
var reTaskPeople = regexp.MustCompile(`\b(?:we|us|our|ours|someone|somebody|anyone|anybody|everyone|everybody|him|her|them|his|their|team|customer|customers|client|clients|colleague|colleagues|manager|support)\b`)

// offTopicTasks bounds the tasks a text may give: more is a procedure, a
// worksheet or a list of exercises.
const offTopicTasks = 3

// tasks returns the spans of the sentences of b that open a line or
// follow a sentence's end, start with a task verb (after at most two lead
// words), read as prose (single spaces, no quotes, code or list marks)
// and end with a sentence mark within questionLongest bytes, at most
// limit+1 of them. A line that opens with a list mark, a quote or a
// number is an item of a list: examples in a manual ("- generate release
// notes from the commits"), not a sentence of the text.
func tasks(b []byte, limit int) [][2]int {
	var out [][2]int
	for start := 0; start < len(b); {
		e := start
		for e < len(b) && b[e] != '\n' && b[e] != '.' && b[e] != '!' && b[e] != '?' && b[e] != ';' && b[e] != ':' {
			e++
		}
		next := e + 1
		s := start
		for s < e && (b[s] == ' ' || b[s] == '\t' || b[s] == '\r') {
			s++
		}
		// Where the sentence starts: a line's start or after . ! ?
		opens := start == 0 || b[start-1] == '\n' || b[start-1] == '.' || b[start-1] == '!' || b[start-1] == '?'
		ends := e < len(b) && (b[e] == '.' || b[e] == '!' || b[e] == '?')
		if opens && ends && e-s <= questionLongest && e-s > 0 && isWordByte(b[s]) && !(b[s] >= '0' && b[s] <= '9') {
			w := s
			for lead := 0; lead < 3; lead++ {
				we := w
				for we < e && isWordByte(b[we]) {
					we++
				}
				word := string(b[w:we])
				if taskVerbs[word] && we < e && b[we] == ' ' && e-we >= 5 {
					if !prose(b[s:e]) {
						break
					}
					out = append(out, [2]int{s, e + 1})
					if len(out) > limit {
						return out
					}
					break
				}
				if !taskLeads[word] || lead == 2 {
					break
				}
				w = we
				for w < e && (b[w] == ' ' || b[w] == ',') {
					w++
				}
			}
		}
		start = next
	}
	return out
}

// prose reports whether a sentence reads as prose: words between single
// spaces, no quotes, backticks, brackets, slashes or markup.
func prose(t []byte) bool {
	for i, c := range t {
		switch c {
		case '"', '\'', '`', '(', ')', '[', ']', '{', '}', '<', '>', '/', '\\', '|', '=', '_', '*', '#', '$', '@', '\t':
			return false
		case ' ':
			if i > 0 && t[i-1] == ' ' {
				return false
			}
		}
	}
	return true
}

// offTopicTask finds a task in normalized text b that shares no content
// word with the rest of b (the limits of offTopicQuestion).
func offTopicTask(b []byte) (hit, bool) {
	if len(b) < offTopicContext || len(b) > offTopicLongest {
		return hit{}, false
	}
	ts := tasks(b, offTopicTasks)
	if len(ts) == 0 || len(ts) > offTopicTasks {
		return hit{}, false
	}
	if s, e, ok := unshared(b, ts, reTaskPeople, taskWords); ok {
		return hit{sig: sigOffTopicTask, start: s, end: e}, true
	}
	return hit{}, false
}
