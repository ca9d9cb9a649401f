package secrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/picketsec/picket/sdk"
)

// Config is the detector's configuration (a JSON object). Every field is
// optional.
type Config struct {
	// AllowRegex drops matches whose secret or matched text matches any.
	AllowRegex []string `json:"allow_regex,omitempty"`
	// AllowPaths drops matches whose path context (tool arguments, the
	// nearest file header, the line so far) matches any.
	AllowPaths []string `json:"allow_paths,omitempty"`
	// AllowFingerprints drops matches with these fingerprints (as reported
	// in Finding.Fingerprint), optionally written "rule-id:fingerprint".
	AllowFingerprints []string `json:"allow_fingerprints,omitempty"`
	// DisableRules turns rules off by id (built-in or custom).
	DisableRules []string `json:"disable_rules,omitempty"`
	// GitleaksTOML holds custom rules in gitleaks' TOML format, inline
	// (WASM plugins have no file system).
	GitleaksTOML string `json:"gitleaks_toml,omitempty"`
	// GitleaksFile is a path to a gitleaks TOML file.
	GitleaksFile string `json:"gitleaks_file,omitempty"`
	// CustomSeverity is the severity of custom rules' matches (default high).
	CustomSeverity string `json:"custom_severity,omitempty"`
	// RulesFiles are operator rule packs: files or directories of
	// gitleaks / Betterleaks TOML (.toml) and noseyparker / Titus YAML
	// (.yml, .yaml). Rule ids are prefixed with the pack's name.
	RulesFiles []string `json:"rules_files,omitempty"`
	// GitleaksDefaults loads gitleaks' default rule set (default true).
	GitleaksDefaults *bool `json:"gitleaks_defaults,omitempty"`
	// RuleSeverity overrides severities by rule id or by "origin/class"
	// (e.g. "gitleaks/generic", "picket/aws"); the shipped table of
	// measured precision supplies the defaults.
	RuleSeverity map[string]string `json:"rule_severity,omitempty"`
	// MaxDecodeDepth bounds nested decoding (default 2, at most 4; 0 disables).
	MaxDecodeDepth *int `json:"max_decode_depth,omitempty"`
	// MaxDecodeBytes bounds the decoded bytes scanned per item (default 4 MiB).
	MaxDecodeBytes *int `json:"max_decode_bytes,omitempty"`
}

const configSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "allow_regex": {"type": "array", "items": {"type": "string"}, "description": "RE2 regexes; a match whose secret or text matches one is dropped"},
    "allow_paths": {"type": "array", "items": {"type": "string"}, "description": "RE2 regexes over path context (tool arguments, file headers)"},
    "allow_fingerprints": {"type": "array", "items": {"type": "string"}, "description": "finding fingerprints to ignore, optionally rule-id:fingerprint"},
    "disable_rules": {"type": "array", "items": {"type": "string"}, "description": "rule ids to turn off"},
    "gitleaks_toml": {"type": "string", "description": "custom rules in gitleaks TOML format, inline"},
    "gitleaks_file": {"type": "string", "description": "path to a gitleaks TOML file"},
    "rules_files": {"type": "array", "items": {"type": "string"}, "description": "rule packs: files or directories of gitleaks/Betterleaks TOML or noseyparker/Titus YAML"},
    "gitleaks_defaults": {"type": "boolean", "description": "load gitleaks' default rules (default true)"},
    "rule_severity": {"type": "object", "additionalProperties": {"enum": ["info", "low", "medium", "high", "critical"]}, "description": "severity by rule id or origin/class"},
    "custom_severity": {"enum": ["info", "low", "medium", "high", "critical"], "description": "severity of custom rules (default high)"},
    "max_decode_depth": {"type": "integer", "minimum": 0, "maximum": 4},
    "max_decode_bytes": {"type": "integer", "minimum": 0}
  }
}`

// parseConfig decodes and validates a config object; errors name the field.
func parseConfig(raw []byte) (*Config, error) {
	cfg := &Config{}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return cfg, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return nil, fmt.Errorf("secrets: config: %w", err)
	}
	if cfg.MaxDecodeDepth != nil && (*cfg.MaxDecodeDepth < 0 || *cfg.MaxDecodeDepth > 4) {
		return nil, fmt.Errorf("secrets: config: max_decode_depth: %d out of range 0..4", *cfg.MaxDecodeDepth)
	}
	if cfg.MaxDecodeBytes != nil && *cfg.MaxDecodeBytes < 0 {
		return nil, fmt.Errorf("secrets: config: max_decode_bytes: must not be negative")
	}
	if cfg.CustomSeverity != "" {
		if _, err := sdk.ParseSeverity(cfg.CustomSeverity); err != nil {
			return nil, fmt.Errorf("secrets: config: custom_severity: %w", err)
		}
	}
	for k, v := range cfg.RuleSeverity {
		if _, err := sdk.ParseSeverity(v); err != nil {
			return nil, fmt.Errorf("secrets: config: rule_severity[%q]: %w", k, err)
		}
	}
	for i, f := range cfg.RulesFiles {
		if strings.TrimSpace(f) == "" {
			return nil, fmt.Errorf("secrets: config: rules_files[%d]: empty path", i)
		}
	}
	return cfg, nil
}

// engine is an immutable, compiled configuration: rules, keyword automaton
// and allowlists. Detect loads it atomically, so Configure never races a
// scan.
type engine struct {
	rules     []*compiledRule
	keywords  []string
	kwRules   [][]int32 // keyword id -> rule indices
	kwLits    [][]int32 // keyword id -> rules it is a secondary literal of
	noKeyword []int32
	// bareRule: the prefixed tier's rule (prefixed_tier.go), -1 when
	// disabled; its windows come from bareWindows.
	bareRule int32
	ac       *acMatcher
	// runRules: the rules without keywords that scan only around runs of
	// their run gate (at most 64), found in one pass over the text:
	// runMask[c] has bit k set when byte c belongs to runRules[k]'s run.
	runRules []int32
	runMask  [256]uint64

	allowRegex     []*regexp.Regexp
	allowPaths     []*regexp.Regexp
	allowFP        map[string]bool
	maxDepth       int
	maxDecodeBytes int

	// prefixRules: the provider rules by the vendor prefix they key on
	// (sbp_, tskey-, glpat-), for the tiers' near-miss check (nearMiss).
	prefixRules map[string][]*compiledRule

	// plain selects the reference scan (tests only): keywords found by a
	// plain search for each, every regex run without the gates that skip
	// it, so that a differential test can check the fast path finds the
	// same.
	plain bool
}

var lockfileRe = regexp.MustCompile(`(?i)(?:go\.sum|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|cargo\.lock|poetry\.lock|pipfile\.lock|gemfile\.lock|composer\.lock|packages\.lock\.json|flake\.lock|uv\.lock|\.terraform\.lock\.hcl)\b`)

func newEngine(cfg *Config) (*engine, error) {
	e := &engine{allowFP: map[string]bool{}, maxDepth: 2, maxDecodeBytes: 4 << 20, bareRule: -1}
	if cfg.MaxDecodeDepth != nil {
		e.maxDepth = *cfg.MaxDecodeDepth
	}
	if cfg.MaxDecodeBytes != nil {
		e.maxDecodeBytes = *cfg.MaxDecodeBytes
	}
	var errs []error
	for i, s := range cfg.AllowRegex {
		re, err := regexp.Compile(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("secrets: config: allow_regex[%d]: %w", i, err))
			continue
		}
		e.allowRegex = append(e.allowRegex, re)
	}
	for i, s := range cfg.AllowPaths {
		re, err := regexp.Compile(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("secrets: config: allow_paths[%d]: %w", i, err))
			continue
		}
		e.allowPaths = append(e.allowPaths, re)
	}
	for i, fp := range cfg.AllowFingerprints {
		fp = strings.TrimSpace(fp)
		if fp == "" {
			errs = append(errs, fmt.Errorf("secrets: config: allow_fingerprints[%d]: empty", i))
			continue
		}
		e.allowFP[fp] = true
	}

	rules := builtinRules()
	if cfg.GitleaksDefaults == nil || *cfg.GitleaksDefaults {
		gl, err := gitleaksDefaultRules()
		if err != nil {
			return nil, err
		}
		rules = append(rules, gl...)
	}
	customSev := sdk.SeverityHigh
	if cfg.CustomSeverity != "" {
		customSev, _ = sdk.ParseSeverity(cfg.CustomSeverity)
	}
	if cfg.GitleaksTOML != "" {
		custom, err := parseGitleaks(cfg.GitleaksTOML, customSev)
		if err != nil {
			errs = append(errs, fmt.Errorf("secrets: config: gitleaks_toml: %w", err))
		}
		rules = append(rules, custom...)
	}
	if cfg.GitleaksFile != "" {
		b, err := os.ReadFile(cfg.GitleaksFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("secrets: config: gitleaks_file: %w", err))
		} else {
			custom, err := parseGitleaks(string(b), customSev)
			if err != nil {
				errs = append(errs, fmt.Errorf("secrets: config: gitleaks_file: %w", err))
			}
			rules = append(rules, custom...)
		}
	}
	disabledIDs := map[string]bool{}
	for _, id := range cfg.DisableRules {
		disabledIDs[id] = true
	}
	for i, f := range cfg.RulesFiles {
		pack, err := loadRulesFile(f, customSev, disabledIDs)
		if err != nil {
			errs = append(errs, fmt.Errorf("secrets: config: rules_files[%d]: %w", i, err))
			continue
		}
		rules = append(rules, pack...)
	}
	rules = applySeverities(rules, cfg.RuleSeverity)
	disabled := map[string]bool{}
	known := map[string]bool{}
	for _, r := range rules {
		if known[r.ID] && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("secrets: config: rule id %q defined twice", r.ID))
		}
		known[r.ID] = true
	}
	for i, id := range cfg.DisableRules {
		if !known[id] && !packRuleID(cfg.RulesFiles, id) {
			errs = append(errs, fmt.Errorf("secrets: config: disable_rules[%d]: unknown rule %q", i, id))
		}
		disabled[id] = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	kwIndex := map[string]int32{}
	for _, r := range rules {
		if disabled[r.ID] {
			continue
		}
		c, err := compileRule(r)
		if err != nil {
			return nil, err
		}
		ri := int32(len(e.rules))
		e.rules = append(e.rules, c)
		if r.bare {
			e.bareRule = ri
			continue
		}
		if len(r.Keywords) == 0 {
			e.noKeyword = append(e.noKeyword, ri)
			continue
		}
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			if k == "" {
				continue
			}
			id := e.keywordID(kwIndex, k)
			e.kwRules[id] = append(e.kwRules[id], ri)
		}
		for _, k := range c.lits {
			id := e.keywordID(kwIndex, k)
			e.kwLits[id] = append(e.kwLits[id], ri)
		}
	}
	for _, ri := range e.noKeyword {
		if r := e.rules[ri]; r.run != nil && r.bounded && len(e.runRules) < 64 {
			for c, in := range r.run.set {
				if in {
					e.runMask[c] |= 1 << len(e.runRules)
				}
			}
			e.runRules = append(e.runRules, ri)
			r.runGrouped = true
		}
	}
	e.prefixRules = vendorPrefixRules(e.rules)
	e.ac = newACMatcher(e.keywords)
	return e, nil
}

// keywordID returns the automaton's id of keyword k, adding it.
func (e *engine) keywordID(index map[string]int32, k string) int32 {
	id, ok := index[k]
	if !ok {
		id = int32(len(e.keywords))
		index[k] = id
		e.keywords = append(e.keywords, k)
		e.kwRules = append(e.kwRules, nil)
		e.kwLits = append(e.kwLits, nil)
	}
	return id
}

// Rules returns the built-in rules (fresh copies), for documentation and
// tests.
func Rules() []*Rule { return builtinRules() }

// packRuleID reports whether id is namespaced by one of the configured
// packs (a disabled pack rule is never loaded, so it is not "known").
func packRuleID(files []string, id string) bool {
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		if strings.HasPrefix(id, name+".") {
			return true
		}
	}
	return false
}
