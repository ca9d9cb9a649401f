package commands

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
)

// Config is the detector's configuration (a JSON object).
type Config struct {
	// ProtectedBranches are branch names or path.Match patterns that a
	// force-push or delete must not touch. Default: main, master, release/*.
	ProtectedBranches []string `json:"protected_branches"`
	// ProtectedPaths are paths whose recursive deletion is flagged high,
	// besides the built-in critical ones (/, ~, system directories).
	ProtectedPaths []string `json:"protected_paths"`
	// AllowedHosts are hosts (or *.suffix patterns) that downloads may come
	// from and uploads may go to without a finding.
	AllowedHosts []string `json:"allowed_hosts"`
	// Calibration applies the severities measured on the labelled corpus
	// (severity.toml): rules whose measured precision is too low for high
	// are reported at medium. Default true; false reports every rule at the
	// severity it was written with (the eval's leave-one-source-out runs
	// use that to refit without each source).
	Calibration *bool `json:"calibration"`
}

// ConfigSchema is the JSON Schema of Config.
const ConfigSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "protected_branches": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "protected_paths": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "allowed_hosts": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "calibration": {"type": "boolean"}
  }
}`

// config is a validated Config ready for matching.
type config struct {
	branches []string
	paths    []string
	hosts    []string
	raw      bool // calibration off: rules keep the severity they were written with
}

var defaultConfig = &config{branches: []string{"main", "master", "release/*"}}

// parseConfig decodes and validates raw; errors name the offending field.
func parseConfig(raw []byte) (*config, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return defaultConfig, nil
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("commands: config field %q: want %s, got %s", te.Field, te.Type, te.Value)
		}
		return nil, fmt.Errorf("commands: config: %w", err)
	}
	var errs []error
	out := &config{branches: defaultConfig.branches, raw: c.Calibration != nil && !*c.Calibration}
	if c.ProtectedBranches != nil {
		out.branches = nil
		for i, b := range c.ProtectedBranches {
			if _, err := path.Match(b, "x"); err != nil || strings.TrimSpace(b) == "" {
				errs = append(errs, fmt.Errorf("commands: config field \"protected_branches[%d]\": %q is not a branch name or pattern", i, b))
				continue
			}
			out.branches = append(out.branches, b)
		}
	}
	for i, p := range c.ProtectedPaths {
		if strings.TrimSpace(p) == "" {
			errs = append(errs, fmt.Errorf("commands: config field \"protected_paths[%d]\": empty path", i))
			continue
		}
		out.paths = append(out.paths, normPath(p))
	}
	for i, h := range c.AllowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" || strings.ContainsAny(h, "/:@ ") || strings.Count(h, "*") > 1 || strings.Contains(h, "*") && !strings.HasPrefix(h, "*.") {
			errs = append(errs, fmt.Errorf("commands: config field \"allowed_hosts[%d]\": %q is not a host name (want example.com or *.example.com)", i, c.AllowedHosts[i]))
			continue
		}
		out.hosts = append(out.hosts, h)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// protectedBranch reports whether a branch name is protected.
func (c *config) protectedBranch(b string) bool {
	b = strings.TrimPrefix(b, "refs/heads/")
	for _, p := range c.branches {
		if ok, _ := path.Match(p, b); ok {
			return true
		}
	}
	return false
}

// protectedPath returns the protected path that p is or contains, or "".
func (c *config) protectedPath(p string) string {
	n := normPath(p)
	for _, q := range c.paths {
		if n == q || strings.HasPrefix(q, n+"/") || n == "/" {
			return q
		}
	}
	return ""
}

// hostAllowed reports whether a URL's host is allowed.
func (c *config) hostAllowed(u string) bool {
	h := urlHost(u)
	if h == "" {
		return false
	}
	for _, a := range c.hosts {
		if strings.HasPrefix(a, "*.") {
			if strings.HasSuffix(h, a[1:]) {
				return true
			}
		} else if h == a || strings.HasSuffix(h, "."+a) {
			return true
		}
	}
	return false
}

// allAllowed reports whether every URL in us has an allowed host (false
// for none).
func (c *config) allAllowed(us []string) bool {
	if len(us) == 0 || len(c.hosts) == 0 {
		return false
	}
	for _, u := range us {
		if !c.hostAllowed(u) {
			return false
		}
	}
	return true
}
