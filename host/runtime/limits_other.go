//go:build !linux

package runtime

import "errors"

// limitsSupported says whether this OS enforces process plugin bounds:
// only Linux does (prlimit and /proc).
const limitsSupported = false

const errNoLimitsText = "process plugin memory and CPU bounds are enforced on Linux only"

var errNoLimits = errors.New(errNoLimitsText)

func setDataLimit(int, int64) error { return errNoLimits }

func sampleProc(int) (procSample, error) { return procSample{}, errNoLimits }
