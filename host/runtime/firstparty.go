package runtime

import (
	"github.com/picketsec/picket/detectors/commands"
	"github.com/picketsec/picket/detectors/injection"
	"github.com/picketsec/picket/detectors/secrets"
)

// The first-party detectors, compiled into every host.
func init() {
	builtins["secrets"] = secrets.New
	builtins["injection"] = injection.New
	builtins["commands"] = commands.New
}
