//go:build unix

package aperture

import "syscall"

// cpuTime returns the CPU time the process has used, in nanoseconds (user
// and system, all threads): unlike wall time it does not grow while the
// process waits for a core on a busy machine.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
