package runtime

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// limitsSupported says whether this OS enforces process plugin bounds.
const limitsSupported = true

const errNoLimitsText = ""

// setDataLimit caps the data segment of process pid (RLIMIT_DATA: its
// private writable mappings, heap and thread stacks) at n bytes.
func setDataLimit(pid int, n int64) error {
	lim := &unix.Rlimit{Cur: uint64(n), Max: uint64(n)}
	return unix.Prlimit(pid, unix.RLIMIT_DATA, lim, nil)
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// sampleProc reads the resident memory and CPU time of process pid from
// /proc.
func sampleProc(pid int) (procSample, error) {
	s := procSample{at: time.Now()}
	statm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return s, err
	}
	f := bytes.Fields(statm)
	if len(f) < 2 {
		return s, fmt.Errorf("/proc/%d/statm: %q", pid, statm)
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return s, fmt.Errorf("/proc/%d/statm: %w", pid, err)
	}
	s.rss = pages * int64(os.Getpagesize())
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return s, err
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// the fields after it start with the state (field 3). utime and stime
	// are fields 14 and 15.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f = bytes.Fields(stat[i+1:])
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var ticks int64
	for _, field := range f[11:13] {
		n, err := strconv.ParseInt(string(field), 10, 64)
		if err != nil {
			return s, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	s.cpu = time.Duration(ticks) * time.Second / clockTicks
	return s, nil
}
