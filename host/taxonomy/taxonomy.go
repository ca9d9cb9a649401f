// Package taxonomy maps picket's findings to the public frameworks security
// teams file them under: the OWASP Top 10 for LLM Applications (2025),
// MITRE ATLAS, MITRE ATT&CK (Enterprise) and CWE.
//
// The mapping lives in the host, keyed by category and class (and, for a
// few, rule), so that detectors need not know any framework; a detector
// may add its own technique ids to a finding (sdk.Finding has no field for
// them yet: see For's extra argument), which are merged in.
//
// The ids are public facts taken from the frameworks' published lists:
// OWASP LLM01–LLM10:2025, ATLAS AML.Txxxx, ATT&CK Txxxx[.yyy], CWE-n.
package taxonomy

import (
	"slices"
	"sort"
	"strings"
)

// Refs are the framework ids that apply to one finding.
type Refs struct {
	OWASP  []string `json:"owasp_llm,omitempty"` // "LLM01:2025"
	ATLAS  []string `json:"atlas,omitempty"`     // "AML.T0051"
	ATTACK []string `json:"attack,omitempty"`    // "T1059.004"
	CWE    []string `json:"cwe,omitempty"`       // "CWE-78"
}

// Empty reports whether r names nothing.
func (r Refs) Empty() bool {
	return len(r.OWASP)+len(r.ATLAS)+len(r.ATTACK)+len(r.CWE) == 0
}

// All returns every id of r in one list, frameworks in the order OWASP,
// ATLAS, ATT&CK, CWE (for CSV columns and search).
func (r Refs) All() []string {
	out := append(append(append(append([]string{}, r.OWASP...), r.ATLAS...), r.ATTACK...), r.CWE...)
	return out
}

// Names gives a short title for each id this package uses, for the UI's
// tooltips and the README.
var Names = map[string]string{
	"LLM01:2025": "Prompt Injection",
	"LLM02:2025": "Sensitive Information Disclosure",
	"LLM05:2025": "Improper Output Handling",
	"LLM06:2025": "Excessive Agency",
	"LLM07:2025": "System Prompt Leakage",
	"LLM10:2025": "Unbounded Consumption",

	"AML.T0051":     "LLM Prompt Injection",
	"AML.T0051.000": "LLM Prompt Injection: Direct",
	"AML.T0051.001": "LLM Prompt Injection: Indirect",
	"AML.T0054":     "LLM Jailbreak",
	"AML.T0056":     "LLM Meta Prompt Extraction",
	"AML.T0057":     "LLM Data Leakage",
	"AML.T0053":     "LLM Plugin Compromise",
	"AML.T0055":     "Unsecured Credentials",
	"AML.T0050":     "Command and Scripting Interpreter",
	"AML.T0024":     "Exfiltration via AI Inference API",
	"AML.T0068":     "LLM Prompt Obfuscation",
	"AML.T0043":     "Craft Adversarial Data",

	"T1552":     "Unsecured Credentials",
	"T1552.001": "Unsecured Credentials: Credentials In Files",
	"T1059":     "Command and Scripting Interpreter",
	"T1059.004": "Command and Scripting Interpreter: Unix Shell",
	"T1105":     "Ingress Tool Transfer",
	"T1027":     "Obfuscated Files or Information",
	"T1140":     "Deobfuscate/Decode Files or Information",
	"T1048":     "Exfiltration Over Alternative Protocol",
	"T1567":     "Exfiltration Over Web Service",
	"T1095":     "Non-Application Layer Protocol",
	"T1485":     "Data Destruction",
	"T1561":     "Disk Wipe",
	"T1070.004": "Indicator Removal: File Deletion",
	"T1548":     "Abuse Elevation Control Mechanism",
	"T1548.003": "Abuse Elevation Control Mechanism: Sudo and Sudo Caching",
	"T1222":     "File and Directory Permissions Modification",
	"T1053":     "Scheduled Task/Job",
	"T1543":     "Create or Modify System Process",
	"T1098.004": "Account Manipulation: SSH Authorized Keys",
	"T1546":     "Event Triggered Execution",
	"T1562":     "Impair Defenses",
	"T1574.006": "Hijack Execution Flow: Dynamic Linker Hijacking",
	"T1611":     "Escape to Host",
	"T1496":     "Resource Hijacking",
	"T1499":     "Endpoint Denial of Service",
	"T1490":     "Inhibit System Recovery",
	"T1588.002": "Obtain Capabilities: Tool",
	"T1003":     "OS Credential Dumping",
	"T1218":     "System Binary Proxy Execution",

	"CWE-78":   "OS Command Injection",
	"CWE-94":   "Code Injection",
	"CWE-200":  "Exposure of Sensitive Information to an Unauthorized Actor",
	"CWE-250":  "Execution with Unnecessary Privileges",
	"CWE-312":  "Cleartext Storage of Sensitive Information",
	"CWE-400":  "Uncontrolled Resource Consumption",
	"CWE-494":  "Download of Code Without Integrity Check",
	"CWE-522":  "Insufficiently Protected Credentials",
	"CWE-732":  "Incorrect Permission Assignment for Critical Resource",
	"CWE-798":  "Use of Hard-coded Credentials",
	"CWE-1427": "Improper Neutralization of Input Used for LLM Prompting",
}

// Category-wide refs: what every finding of a built-in category gets.
var byCategory = map[string]Refs{
	"secrets":          {OWASP: []string{"LLM02:2025"}, ATLAS: []string{"AML.T0055", "AML.T0057"}, ATTACK: []string{"T1552"}, CWE: []string{"CWE-798", "CWE-200"}},
	"injection":        {OWASP: []string{"LLM01:2025"}, ATLAS: []string{"AML.T0051"}, CWE: []string{"CWE-1427"}},
	"command":          {OWASP: []string{"LLM06:2025"}, ATLAS: []string{"AML.T0050"}, ATTACK: []string{"T1059.004"}, CWE: []string{"CWE-78"}},
	"detector_failure": {},
	// Session memory's own findings (host/session): a credential seen
	// earlier sent out by a tool call, a tool call that does what an
	// injected text asked for, and a session held in quarantine (its
	// cause carries its own refs).
	"exfiltration":    {OWASP: []string{"LLM02:2025", "LLM06:2025"}, ATLAS: []string{"AML.T0057"}, ATTACK: []string{"T1552"}, CWE: []string{"CWE-200"}},
	"injection_chain": {OWASP: []string{"LLM01:2025", "LLM06:2025"}, ATLAS: []string{"AML.T0051.001", "AML.T0053"}, CWE: []string{"CWE-1427"}},
	"quarantine":      {},
}

// Categories are the finding categories of picket's own detectors and of
// session memory, in the order the Observatory lists them. A third-party
// detector may add its own.
var Categories = []string{"secrets", "injection", "command", "exfiltration", "injection_chain", "quarantine", "detector_failure"}

// By class, inside a category: added to the category's refs.
var byClass = map[string]map[string]Refs{
	"injection": {
		"instruction override":     {ATLAS: []string{"AML.T0054"}},
		"role hijack":              {ATLAS: []string{"AML.T0054"}},
		"fake delimiter":           {ATLAS: []string{"AML.T0054"}},
		"system prompt extraction": {OWASP: []string{"LLM07:2025"}, ATLAS: []string{"AML.T0056"}},
		"exfiltration":             {OWASP: []string{"LLM02:2025", "LLM05:2025"}, ATLAS: []string{"AML.T0057", "AML.T0024"}},
		"encoded payload":          {ATLAS: []string{"AML.T0068"}, ATTACK: []string{"T1027"}},
		"hidden text":              {ATLAS: []string{"AML.T0068"}, ATTACK: []string{"T1027"}},
		// Text that keeps the assistant's actions from the user was an
		// instruction override before it was a family of its own.
		"concealment":        {ATLAS: []string{"AML.T0054"}},
		"adversarial suffix": {ATLAS: []string{"AML.T0043", "AML.T0054"}},
		"tool-call hijack":   {OWASP: []string{"LLM06:2025"}, ATLAS: []string{"AML.T0053"}},
	},
	"command": {
		"download and execute":       {ATTACK: []string{"T1105"}, CWE: []string{"CWE-494"}},
		"obfuscated execution":       {ATTACK: []string{"T1027", "T1140"}},
		"reverse shell":              {ATTACK: []string{"T1059", "T1095"}},
		"shell escape":               {ATTACK: []string{"T1059"}},
		"indirect execution":         {ATTACK: []string{"T1218"}, CWE: []string{"CWE-94"}},
		"privilege escalation":       {ATTACK: []string{"T1548", "T1548.003"}, CWE: []string{"CWE-250"}},
		"destructive filesystem":     {ATTACK: []string{"T1485", "T1070.004"}},
		"destructive database":       {ATTACK: []string{"T1485"}},
		"destructive vcs":            {ATTACK: []string{"T1485", "T1490"}},
		"destructive infrastructure": {ATTACK: []string{"T1485"}},
		"credential access":          {OWASP: []string{"LLM02:2025"}, ATTACK: []string{"T1552.001", "T1003"}, CWE: []string{"CWE-522"}},
		"exfiltration":               {OWASP: []string{"LLM02:2025"}, ATTACK: []string{"T1048", "T1567"}, CWE: []string{"CWE-200"}},
		"persistence":                {ATTACK: []string{"T1053", "T1543", "T1546"}},
		"defense evasion":            {ATTACK: []string{"T1562"}},
		"library injection":          {ATTACK: []string{"T1574.006"}},
		"container escape":           {ATTACK: []string{"T1611"}},
		"crypto miner":               {OWASP: []string{"LLM10:2025"}, ATTACK: []string{"T1496"}, CWE: []string{"CWE-400"}},
		"fork bomb":                  {ATTACK: []string{"T1499"}, CWE: []string{"CWE-400"}},
		"denial of service":          {ATTACK: []string{"T1499"}, CWE: []string{"CWE-400"}},
		"offensive tool":             {ATTACK: []string{"T1588.002"}},
	},
}

// By rule, for the few rules more specific than their class.
var byRule = map[string]Refs{
	"disk-wipe":             {ATTACK: []string{"T1561"}},
	"world-writable-system": {ATTACK: []string{"T1222"}, CWE: []string{"CWE-732"}},
	"persistence-ssh-key":   {ATTACK: []string{"T1098.004"}},
	"generic-password":      {CWE: []string{"CWE-312"}},
}

// For returns the refs of a finding of category, class and rule, merged
// with the ids a detector gave itself (extra: framework ids in any order;
// each is filed by its shape).
func For(category, class, rule string, extra ...string) Refs {
	var r Refs
	r.add(byCategory[category])
	if m := byClass[category]; m != nil {
		r.add(m[strings.ToLower(class)])
	}
	r.add(byRule[rule])
	for _, id := range extra {
		r.addID(strings.TrimSpace(id))
	}
	r.sort()
	return r
}

func (r *Refs) add(o Refs) {
	r.OWASP = append(r.OWASP, o.OWASP...)
	r.ATLAS = append(r.ATLAS, o.ATLAS...)
	r.ATTACK = append(r.ATTACK, o.ATTACK...)
	r.CWE = append(r.CWE, o.CWE...)
}

// addID files one id by its shape; unknown shapes are dropped.
func (r *Refs) addID(id string) {
	switch {
	case strings.HasPrefix(id, "LLM"):
		r.OWASP = append(r.OWASP, id)
	case strings.HasPrefix(id, "AML.T"):
		r.ATLAS = append(r.ATLAS, id)
	case strings.HasPrefix(id, "CWE-"):
		r.CWE = append(r.CWE, id)
	case len(id) >= 5 && id[0] == 'T' && id[1] >= '0' && id[1] <= '9':
		r.ATTACK = append(r.ATTACK, id)
	}
}

func (r *Refs) sort() {
	for _, l := range []*[]string{&r.OWASP, &r.ATLAS, &r.ATTACK, &r.CWE} {
		sort.Strings(*l)
		*l = slices.Compact(*l)
		if len(*l) == 0 {
			*l = nil
		}
	}
}
