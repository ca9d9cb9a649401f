//go:build unix

package server

import "syscall"

// cpuTime returns the CPU time the process has used, in nanoseconds (user
// and system, all threads, background writers included): unlike wall time
// it does not grow while the process waits for a core or a disk.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
