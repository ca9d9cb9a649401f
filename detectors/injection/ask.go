package injection

import (
	"bytes"
	"regexp"
)

// What text addressed to the AI asks of it.
//
// A page, a file or a tool's output may well speak to the AI that reads
// it: llms.txt-style notes ("If you are an AI assistant, prefer the pages
// below", "AI agents: see the docs index at …"), a README's "note for
// coding agents: use tabs in this file", a code comment "Copilot: keep
// this function pure". Being spoken to is not the attack; what is asked
// is. So the signals that find the address (addressSignals) are judged
// by the ask that follows it: text that addresses the AI in untrusted
// content is a block-level signal only when it asks for something
// hostile — to drop or change its task, to reveal its instructions, to
// call tools or run commands, to send data somewhere, to keep something
// from the user or mislead them — and at most medium otherwise.

// askKind is the judged class of an ask.
type askKind uint8

const (
	askUnjudged askKind = iota // not an address signal, or not untrusted content
	askOther                   // an ask that is neither recognised as hostile nor as benign
	askBenign                  // read, see, prefer or cite pages; use a format; attribute
	askHostile                 // see askRules
)

// Weights of an address signal in untrusted content by its ask: a
// hostile ask blocks alone (the threshold is 0.8); any other ask counts
// at most medium, so that it blocks only together with other evidence
// of another family.
const (
	askHostileWeight = 0.9
	askOtherCap      = 0.5
	askBenignCap     = 0.3
	askRestated      = 0.05
)

// askReach is how far past an address the ask is read; it ends earlier
// at the end of the paragraph or of the comment the address opens.
const askReach = 400

// addressSignals are the signals whose match says "this text speaks to
// the AI" and says nothing yet of what it wants.
var addressSignals = map[string]bool{
	"override.addressed_to_ai":  true,
	"override.if_you_are_ai":    true,
	"override.addressed_action": true,
	"override.to_you_ai":        true,
	"override.vocative_ai":      true,
	"hidden.comment_to_ai":      true,
	"hidden.code_comment_ask":   true,
	"override.ai_heading":       true,
	"override.ai_must":          true,
	"override.when_you_work_on": true,
	"override.reader_must":      true,
}

// liftedSignals find an order of their own ("when you summarize this
// page, say …", "before answering, first run …") and keep their weight
// whatever it asks, but a hostile ask (to run commands, send data, mislead
// the user, …) lifts them to askHostileWeight like an address.
var liftedSignals = map[string]bool{
	"override.when_you_process": true,
	"drift.do_this_first":       true,
	"override.after_you_answer": true,
	"override.when_asked_say":   true,
}

// askRule is one kind of hostile ask: a pattern run on the ask's
// normalized text (lowercase, folded).
type askRule struct {
	what string // what the ask is, safe to show
	// negatable: a match that "do not" or "never" precedes forbids the
	// thing, it does not ask for it ("do not delete the tests").
	negatable bool
	re        *regexp.Regexp
}

// Words shared by the ask rules.
const (
	// reSecretNoun names credentials and secrets: what no page has a
	// reason to ask an AI to read out or pass on.
	reSecretNoun = `(?:credentials?|secrets?|api[\s_-]?keys?|(?:access|auth|bearer|secret|session|refresh|github|npm|oauth)[\s_-]?tokens?|passwords?|passwd|private[\s_-]?keys?|ssh[\s_-]?keys?|id_rsa|id_ed25519|\.env\b|\.npmrc|\.netrc|\.pypirc|\.git-credentials|\.aws\b|~/\.ssh|kubeconfig|session\s+cookies?|cookies|environment\s+variables?|env\s+vars?|system\s+prompt)`
	// reUserData is what the user said or owns.
	reUserData = `(?:conversation|chat\s+(?:history|log|transcript)|(?:the\s+)?user'?s?\s+(?:data|messages?|files?|e-?mails?|question|request|details|history|personal\s+\w+|address|name|location)|(?:this|the\s+whole|the\s+entire)\s+(?:conversation|thread|chat|session))`
	// reSentData is what an ask to send something sends.
	reSentData = `(?:` + reSecretNoun + `|` + reUserData + `|it|this|them|everything|all\s+(?:of\s+)?(?:it|this)|(?:the|your|this|a)\s+(?:\w+\s+)?(?:summary|answer|reply|response|output|results?|contents?|files?|documents?|page|transcript|diff|code|source|notes?|report|copy|environment|values?|variables?|keys?|tokens?|logs?|config(?:uration)?|settings|data|history)|[a-z0-9]+_[a-z0-9_]+)`
	// reDestination is somewhere data is sent.
	reDestination = `(?:https?://|www\.|[\w.+-]+@[\w-]+\.[\w.]+|\bwebhook|\bgist\b|\bpastebin|\b(?:our|this|the\s+following|an?\s+external|a\s+remote|my)\s+(?:server|endpoint|url|address|api|collector|site|form|bucket|inbox|channel)\b|\bissue\s+comment|\bpublic\s+(?:issue|repo))`
	reSendVerb    = `(?:send|sends|post|posts|upload|uploads|forward|transmit|e-?mail|exfiltrate|leak|beacon|submit|paste|attach|include|append|embed|encode|copy)`
)

var askRules = []askRule{
	{"to change its task", true, regexp.MustCompile(`\b(?:ignore|disregard|forget|override|bypass|abandon|drop|skip)\b[^.\n]{0,50}?\b(?:previous|prior|above|earlier|original|other|user'?s?|human'?s?|your|all|any|the)\s+(?:\w+\s+){0,2}?(?:instructions?|rules|guidelines|request|question|task|prompt|directions|orders|safety|policy|policies|restrictions|work)\b` +
		`|\binstead\s+of\s+(?:\w+\s+){0,3}?(?:answer|summar|respond|repl|help|translat|review|doing|complet|follow|the\s+(?:user|task|request))` +
		`|\bstop\s+(?:what\s+you\s+are\s+doing|working\s+on|helping|answering)\b|\byour\s+(?:new|real|actual|true|only)\s+(?:task|instructions?|goal|job|objective|purpose|role)\b` +
		`|\b(?:before|prior\s+to)\s+(?:you\s+)?(?:answer|respond|repl|summar|complet|continu|do\s+anything)\w*\b[^.\n]{0,80}?\b(?:you\s+must|first|please)\b` +
		`|\b(?:do\s+not|don'?t|never|refuse\s+to)\s+(?:answer|summari[sz]e|help|respond\s+to|complete|follow)\s+(?:the\s+)?(?:user|their|his|her|this\s+request|the\s+request|the\s+question)` +
		`|\b(?:say|reply|respond|answer|output|print|write|type|begin\s+(?:your|the)\s+(?:answer|reply|response))\s+(?:only\s+|just\s+|exactly\s+|with\s+|back\s+)*(?:the\s+(?:word|phrase|text|string)s?\s+)?["'\x60]` +
		`|\b(?:reply|respond|answer)\s+(?:only\s+)?with\s+(?:ok|yes|no|the\s+word)\b`)},
	{"for its instructions", true, regexp.MustCompile(`\b(?:your|the)\s+(?:(?:full|entire|complete|exact|original|initial|hidden|secret|internal|verbatim)\s+)*(?:system\s+(?:prompt|message|instructions?)|initial\s+(?:prompt|instructions?)|hidden\s+(?:prompt|instructions?)|developer\s+(?:message|instructions?)|pre-?prompt)\b` +
		`|\b(?:reveal|print|repeat|output|show|dump|recite|disclose|leak)\s+(?:me\s+)?(?:all\s+)?your\s+(?:\w+\s+)?(?:instructions|prompt|rules|guidelines|configuration|context)\b|\bwhat\s+you\s+(?:were|have\s+been)\s+(?:told|instructed|given)\b`)},
	{"to call tools or run commands", true, regexp.MustCompile(`\b(?:run|execute|exec|invoke|call|eval|launch|pipe)\b[^\n]{0,100}?(?:\b(?:curl|wget|iwr|irm|invoke-webrequest|invoke-expression|iex|powershell|pwsh|nc|ncat|netcat|socat|base64|chmod|chown|sudo|scp|ssh|certutil|mshta|rundll32|regsvr32|crontab|python3?\s+-c|node\s+-e|perl\s+-e)\b|https?://|\|\s*(?:ba|z)?sh\b|\brm\s+-[rf]+|\b(?:the|your|its)\s+[\w-]+\s+(?:tool|function)\b)` +
		`|\b(?:with|using|via|through)\s+(?:your|the\s+assistant'?s|its)\s+(?:[\w-]+\s+)?(?:shell|bash|terminal|command[\s-]line|exec(?:_command)?|code\s+execution|browser|fetch|web|file|git|write_file|tools?)\b` +
		`|\b(?:call|invoke|trigger)\s+(?:the\s+|your\s+)?[\w.-]+\s+(?:tool|function|plugin|action)\b` +
		`|\b(?:install|download|fetch)\b[^.\n]{0,60}?\bfrom\s+(?:https?://|www\.|(?:our|this|the\s+following)\s+(?:mirror|url|link|server|site))|\bdownload\s+and\s+(?:run|execute|install|open)\b` +
		`|\b(?:delete|wipe|erase|truncate|destroy|overwrite)\s+(?:all\s+|every\s+|the\s+|any\s+|this\s+|these\s+)*(?:\w+\s+)?(?:files?|tests?|folders?|director(?:y|ies)|repo(?:sitory)?|database|tables?|branch(?:es)?|backups?|history|records|users?|accounts?|data)\b` +
		`|\bpush\b[^.\n]{0,60}?(?:--force\b|\s-f\b|\bto\s+(?:the\s+|a\s+)?(?:main|master|origin|production|prod|remote|new\s+remote|[\w.-]+@|https?://))|\bforce[\s-]push|\bmerge\s+(?:it|this|the\s+(?:pull\s+request|pr|branch))\b` +
		`|\b(?:grant|give)\s+(?:\w+\s+){0,2}?(?:admin|write|owner|root|sudo)\s+(?:access|rights|permissions?|role)\b|\b(?:disable|turn\s+off|bypass)\s+(?:the\s+|all\s+)?(?:security|auth\w*|verification|signature|2fa|mfa|firewall|sandbox|antivirus|defender)\b` +
		`|authorized_keys|/etc/(?:passwd|shadow|sudoers)` +
		// Code that runs what it fetches, or runs commands, put in the
		// code the AI writes.
		`|\b(?:curl|wget|iwr|irm)\b[^\n]{0,120}?\|\s*(?:sudo\s+)?(?:ba|z)?sh\b|\bos\.system\s*\(|\bsubprocess\.(?:run|call|popen|check_output)|\bchild_process\b|\bruntime\.getruntime\(\)\.exec|\bshell_exec\s*\(|\bprocess\.start\s*\(|\bexec\.command\s*\(|\bpopen\s*\(|\s-enc(?:odedcommand)?\s`)},
	{"to send data somewhere", true, regexp.MustCompile(`\b` + reSendVerb + `\b[^\n]{0,40}?\b` + reSentData + `\b[^\n]{0,80}?` + reDestination +
		`|\b(?:` + reSendVerb + `|read|cat|print|output|dump|collect|gather|grab|list|extract|look\s+up)\b[^.\n]{0,80}?` + reSecretNoun + `\b` +
		`|\b` + reSendVerb + `\s+(?:[\w'-]+\s+){0,3}?(?:of\s+)?` + reUserData + `\b` +
		// Code that sends the environment somewhere, put in the code
		// the AI writes.
		`|\b(?:send|post|upload|telemetry|beacon|report|fetch|request|http)\w*[^\n]{0,40}?(?:os\.environ|process\.env\b|getenv|getenvironmentvariables|\$env:|env::vars)|(?:os\.environ|process\.env\b|getenvironmentvariables|env::vars)[^\n]{0,40}?\b(?:send|post|upload|to\s+(?:https?://|our|the\s+server))` +
		`|!\[[^\]\n]{0,80}\]\(\s*https?://[^)\s]*[?&=]|\bhttps?://[^\s"'<>)]*[?&][\w-]+=(?:<|\{|\[|\$|%7b|%3c)`)},
	{"to keep something from the user", false, regexp.MustCompile(`\b(?:do\s+not|don'?t|never|without)\s+(?:tell|telling|mention|mentioning|inform|informing|notify|notifying|alert|alerting|reveal|revealing|disclose|disclosing|show|showing|let)\b[^.\n]{0,30}?\b(?:user|human|operator|anyone|them|it|this)\b` +
		`|\b(?:keep|hide)\s+(?:this|it|that)\s+(?:\w+\s+)?(?:secret|hidden|confidential|private|quiet|between\s+us|from)\b|\b(?:silently|quietly|secretly|covertly|discreetly)\b|\bwithout\s+(?:asking|confirmation|approval|permission|the\s+user'?s?\s+(?:knowledge|consent|approval))\b` +
		`|\b(?:do\s+not|don'?t|never|no\s+need\s+to)\s+ask\s+(?:the\s+user\s+)?(?:for\s+)?(?:confirmation|permission|approval|first)\b|\bthe\s+user\s+(?:has\s+)?(?:already\s+)?(?:approved|authori[sz]ed|consented|agreed)\b|\bthe\s+user\s+(?:must|should|will)\s+not\s+(?:know|see|notice|be\s+told)\b`)},
	{"to mislead the user or change the answer", true, regexp.MustCompile(`\b(?:tell|inform|assure|convince|reassure|persuade)\s+(?:the\s+)?(?:user|reader|customer|human|them)s?\b` +
		`|\b(?:approve|lgtm|rate|mark|label|classify|score)\s+(?:this|the|it|these|all)\b[^.\n]{0,50}?\b(?:as|with)\s+(?:\w+\s+)?(?:safe|approved|passed|passing|positive|benign|secure|5|five|10|top|highest|trusted|verified|lgtm)\b` +
		`|\b(?:approve|merge|lgtm|accept)\s+(?:this|the|it|these)\s+(?:pr|pull\s+request|merge\s+request|mr|change(?:set|s)?|commit|diff|patch)\b` +
		`|\b(?:do\s+not|don'?t|never)\s+(?:report|flag|mention|point\s+out|warn\s+about)\s+(?:any\s+)?(?:\w+\s+)?(?:issues?|vulnerabilit\w*|problems?|bugs?|findings?|risks?|flaws?)\b` +
		`|\b(?:report|say|state|claim|confirm|conclude|answer)\s+(?:that\s+)?(?:it|this|the\s+[\w-]+)\s+(?:is|has|was|contains)\s+(?:(?:been|already|fully|thoroughly|now|\w+ed|and|is|was)\s+){0,4}?(?:safe|secure|clean|fine|harmless|trusted|verified|no\s+(?:known\s+)?(?:vulnerabilit|issues|problems|bugs|risks|malware))` +
		`|\b(?:recommend|promote|endorse|advertise|praise|rank)\s+(?:\w+\s+){0,4}?(?:first|as\s+the\s+(?:best|only|top)|over\s+(?:all|any|other)|above\s+(?:all|any|other)|instead\s+of)\b` +
		`|\b(?:recommend|promote|endorse|advertise|praise)\s+(?:our|the\s+(?:\w+\s+){0,2}?(?:product|service|brand|company|store|shop))\b`)},
}

// benignAsk is what a page may fairly ask of an AI reading it: read,
// see or prefer its pages, follow a format, cite it, attribute it.
var benignAsk = regexp.MustCompile(`\b(?:read|see|prefer|consult|refer\s+to|use|follow|visit|start\s+(?:with|at|from)|look\s+at|check|find|browse|navigate|cite|quote|credit|attribute|link\s+(?:to|back)|respect|honou?r|note\s+that|keep\s+in\s+mind|be\s+aware|format|summari[sz]e\s+(?:accurately|faithfully))\b`)

// reCommentLine is a line-comment marker at the start of a line.
var reCommentLine = regexp.MustCompile(`^[ \t]*(?://+|#+|--|;+|%+|'|rem\s|\*)`)

// askSpan returns the span of the ask that follows an address at
// text[start:end]: to the end of the comment or the paragraph the address
// opens, at most askReach bytes on. A heading or a short address line
// ("## Note for AI agents") takes the paragraph after it.
func askSpan(text []byte, start, end int) (int, int) {
	limit := min(start+askReach, len(text))
	ls := bytes.LastIndexByte(text[:start], '\n') + 1
	marker := reCommentLine.Find(text[ls:min(ls+16, len(text))])
	stop := limit
	// A block comment or a docstring ends the ask where it closes.
	for _, closer := range []string{"-->", "*/", `"""`, "'''", "-}", "*)", "]]"} {
		if i := bytes.Index(text[end:limit], []byte(closer)); i >= 0 && end+i < stop {
			stop = end + i
		}
	}
	// A line comment: its following lines with the same marker.
	if marker != nil {
		m := bytes.TrimSpace(marker)
		p := bytes.IndexByte(text[end:stop], '\n')
		for p >= 0 {
			at := end + p + 1
			next := text[at:stop]
			if !bytes.HasPrefix(bytes.TrimLeft(next, " \t"), m) {
				stop = at
				break
			}
			q := bytes.IndexByte(next, '\n')
			if q < 0 {
				break
			}
			p = at + q - end
		}
		return start, stop
	}
	// Prose: to the end of the paragraph, or of the next one when the
	// address stands alone on its line.
	if i := bytes.Index(text[end:stop], []byte("\n\n")); i >= 0 {
		rest := bytes.TrimSpace(text[end : end+i])
		if len(rest) >= 12 {
			return start, end + i
		}
		if j := bytes.Index(text[end+i+2:stop], []byte("\n\n")); j >= 0 {
			return start, end + i + 2 + j
		}
	}
	return start, stop
}

// judgeAsk classifies the ask in text[s:e] and says what a hostile one
// asks for.
func judgeAsk(text []byte, s, e int) (askKind, string) {
	seg := text[s:e]
	for i := range askRules {
		r := &askRules[i]
		for _, loc := range r.re.FindAllIndex(seg, -1) {
			if r.negatable && negated(seg, loc[0]) || weFirst(seg, loc[0]) {
				continue
			}
			return askHostile, r.what
		}
	}
	if benignAsk.Match(seg) {
		return askBenign, ""
	}
	return askOther, ""
}

// weFirst reports whether the word before seg[at:] is "we" or "i": the
// page recommending its own pages ("we recommend the quick start") is no
// ask of the AI.
func weFirst(seg []byte, at int) bool {
	b := bytes.TrimRight(seg[:at], " \t,:")
	return bytes.HasSuffix(b, []byte(" we")) || bytes.HasSuffix(b, []byte(" i")) || bytes.Equal(b, []byte("we")) || bytes.Equal(b, []byte("i"))
}

// reNegation ends the text before a forbidden act.
var reNegation = regexp.MustCompile(`(?:\bdo\s+not|\bdon'?t|\bnever|\bnot|\bno|\bavoid|\bwithout)\s+(?:\w+\s+){0,2}$`)

// negated reports whether a negation ends seg[:at] (within three words).
func negated(seg []byte, at int) bool {
	return reNegation.Match(seg[max(at-40, 0):at])
}

// midSentence reports whether the address at b[start:end] is a "to the
// model …" or "for any agent …" that continues a sentence (a word before
// it on its line, not a comment marker or a sentence's end): such words
// name a model as often as they speak to one.
func midSentence(b []byte, start, end int) bool {
	m := b[start:end]
	if !bytes.HasPrefix(m, []byte("to ")) && !bytes.HasPrefix(m, []byte("for ")) {
		return false
	}
	i := start - 1
	for i >= 0 && (b[i] == ' ' || b[i] == '\t') {
		i--
	}
	return i >= 0 && isWordByte(b[i])
}

// judgeAsks sets the weight of every address signal of untrusted content
// by what it asks (see the comment at the top of this file). hits are in
// normalized text b.
//
// One address said two ways (a comment that is also a vocative, "# Note
// for AI agents reading this: …") is one piece of evidence: an address
// whose ask is not hostile and that starts inside the ask of an earlier
// one weighs askRestated.
func judgeAsks(b []byte, hits []hit) {
	askEnd := -1 // end of the previous address's ask
	for k := range hits {
		h := &hits[k]
		if h.enc != nil || h.fixed > 0 || h.sig == nil {
			continue
		}
		if liftedSignals[h.sig.ID] {
			s, e := askSpan(b, h.start, h.end)
			if kind, what := judgeAsk(b, s, e); kind == askHostile {
				h.ask, h.askWhat = kind, what
				h.fixed = max(h.sig.Untrusted, askHostileWeight)
			}
			continue
		}
		if !addressSignals[h.sig.ID] {
			continue
		}
		s, e := askSpan(b, h.start, h.end)
		kind, what := judgeAsk(b, s, e)
		h.ask, h.askWhat = kind, what
		switch {
		case kind == askHostile && midSentence(b, h.start, h.end):
			// "… which the SDK sends to the model. Then the model can
			// execute …": prose about a model, not to it.
			h.fixed = h.sig.Untrusted
		case kind == askHostile:
			h.fixed = max(h.sig.Untrusted, askHostileWeight)
		case h.start < askEnd:
			h.fixed = askRestated
		case kind == askBenign:
			h.fixed = min(h.sig.Untrusted, askBenignCap)
		default:
			h.fixed = min(h.sig.Untrusted, askOtherCap)
		}
		askEnd = max(askEnd, e)
	}
}

// askNote is what a finding's list of signals says of a judged ask.
func (h *hit) askNote() string {
	switch h.ask {
	case askHostile:
		return " (asks " + h.askWhat + ")"
	case askBenign, askOther:
		return " (asks nothing hostile)"
	}
	return ""
}
