package commands

import (
	"encoding/json"
	"strings"
)

// broadPolicyArg reports whether an argument is a JSON policy document
// (AWS IAM and resource policies; the value of --policy-document=…, of
// --policy …, or a bare argument) with a statement that allows every
// action ("*", "service:*" on every resource, or NotAction), or allows any
// principal ("*", {"AWS": "*"}) with no condition. Policies nested as JSON
// strings (SQS and SNS attributes) are read too. The documents are parsed
// with encoding/json: a document the shell left unparseable is not judged.
func broadPolicyArg(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			i := strings.IndexByte(a, '=')
			if i < 0 {
				continue
			}
			a = a[i+1:]
		}
		a = strings.TrimSpace(strings.Trim(a, "'\""))
		if len(a) < 2 || a[0] != '{' && a[0] != '[' || len(a) > 1<<16 {
			continue
		}
		var v any
		if json.Unmarshal([]byte(a), &v) != nil {
			continue
		}
		if broadPolicy(v, 0) {
			return true
		}
	}
	return false
}

func broadPolicy(v any, depth int) bool {
	if depth > 6 {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		for k, s := range x {
			if strings.EqualFold(k, "Statement") {
				switch st := s.(type) {
				case []any:
					for _, one := range st {
						if m, ok := one.(map[string]any); ok && broadStatement(m) {
							return true
						}
					}
				case map[string]any:
					if broadStatement(st) {
						return true
					}
				}
				continue
			}
			if broadPolicy(s, depth+1) {
				return true
			}
		}
	case []any:
		for _, s := range x {
			if broadPolicy(s, depth+1) {
				return true
			}
		}
	case string:
		if t := strings.TrimSpace(x); strings.HasPrefix(t, "{") {
			var in any
			if json.Unmarshal([]byte(t), &in) == nil {
				return broadPolicy(in, depth+1)
			}
		}
	}
	return false
}

// broadStatement judges one statement of a policy.
func broadStatement(m map[string]any) bool {
	field := func(name string) (any, bool) {
		for k, v := range m {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		return nil, false
	}
	eff, _ := field("Effect")
	if s, _ := eff.(string); !strings.EqualFold(s, "Allow") {
		return false
	}
	if _, cond := field("Condition"); !cond {
		if p, ok := field("Principal"); ok && anyWildcard(p, false) {
			return true
		}
	}
	if _, ok := field("NotAction"); ok {
		return true
	}
	act, ok := field("Action")
	if !ok || !anyWildcard(act, true) {
		return false
	}
	res, ok := field("Resource")
	return !ok || anyWildcard(res, false)
}

// anyWildcard reports "*" in a policy value (a string, a list, or a
// principal map such as {"AWS": "*"}); with service set, "iam:*" and
// "*:*" count too.
func anyWildcard(v any, service bool) bool {
	switch x := v.(type) {
	case string:
		if x == "*" {
			return true
		}
		if service {
			l := strings.ToLower(x)
			return l == "*:*" || l == "iam:*" || l == "sts:*" || l == "organizations:*"
		}
	case []any:
		for _, s := range x {
			if anyWildcard(s, service) {
				return true
			}
		}
	case map[string]any:
		for _, s := range x {
			if anyWildcard(s, service) {
				return true
			}
		}
	}
	return false
}
