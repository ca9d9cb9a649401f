package engine

import (
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

type auditFinding = audit.Finding

func mk(start, end int, rule string) audit.Finding {
	return audit.Finding{Finding: sdk.Finding{Rule: rule, Start: start, End: end}}
}
