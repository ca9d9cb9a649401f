package runtime

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin/runner"
)

// maxStdoutLine is the longest stdout line of a plugin passed on to
// go-plugin (whose line reader gives up past 64 KiB, after which nothing
// reads the pipe and a plugin that writes more blocks for ever). The
// handshake is one short line; longer lines are logged in part and dropped.
const maxStdoutLine = 16 << 10

// pluginRunner starts a plugin process for go-plugin, like go-plugin's own
// command runner, except that the plugin's stdout is always read to the
// end: whatever the plugin prints there, it never blocks on a full pipe.
type pluginRunner struct {
	cmd    *exec.Cmd
	stdout io.ReadCloser // the lines go-plugin gets
	stderr io.ReadCloser
	raw    io.ReadCloser
	logger hclog.Logger
	pid    int
	// dataLimit caps the process's data segment once it runs (0: none).
	dataLimit int64
	// oom is set when the plugin wrote that it ran out of memory; exit is
	// how it ended (an *exec.ExitError or nil), once it has.
	oom  atomic.Bool
	exit atomic.Pointer[error]
	// errWatch reads the plugin's stderr; stderrW is the write end, which
	// the host closes once the plugin has it.
	errWatch *oomWatch
	stderrW  *os.File
}

// newPluginRunner returns go-plugin's RunnerFunc for the binary at path,
// which must have the sha256 sum (checked at every start, restarts too).
// maxMemory bounds the plugin's memory (0: no bound): its data segment is
// capped at maxMemory plus dataHeadroom, and a Go plugin gets a GOMEMLIMIT
// under maxMemory so that its collector works before the bound is reached.
// started is called with each runner made.
func newPluginRunner(path string, sum []byte, maxMemory int64, logger hclog.Logger, started func(*pluginRunner)) func(hclog.Logger, *exec.Cmd, string) (runner.Runner, error) {
	return func(_ hclog.Logger, spec *exec.Cmd, _ string) (runner.Runner, error) {
		if err := checkSum(path, sum); err != nil {
			return nil, err
		}
		cmd := exec.Command(path)
		cmd.Env, cmd.Stdin = spec.Env, spec.Stdin
		if maxMemory > 0 && limitsSupported {
			cmd.Env = append(cmd.Env, "GOMEMLIMIT="+strconv.FormatInt(maxMemory*9/10, 10))
		}
		raw, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		// stderr is a pipe of our own rather than cmd.StderrPipe, which
		// Wait closes: the plugin's last words (why it died) are read to
		// the end before its exit is reported.
		stderr, stderrW, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		cmd.Stderr = stderrW
		pr, pw := io.Pipe()
		r := &pluginRunner{cmd: cmd, stdout: pr, raw: raw, logger: logger, stderrW: stderrW}
		r.errWatch = &oomWatch{r: stderr, seen: &r.oom, done: make(chan struct{})}
		r.stderr = r.errWatch
		if maxMemory > 0 {
			r.dataLimit = maxMemory + dataHeadroom
		}
		go r.copyStdout(pw)
		if started != nil {
			started(r)
		}
		return r, nil
	}
}

func checkSum(path string, want []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if !bytes.Equal(h.Sum(nil), want) {
		return fmt.Errorf("%s: sha256 changed since the plugin was loaded", path)
	}
	return nil
}

// copyStdout reads the plugin's stdout to the end. Lines up to
// maxStdoutLine go to go-plugin through a queue that drops when go-plugin
// is not reading; longer ones are logged cut and dropped.
func (r *pluginRunner) copyStdout(pw *io.PipeWriter) {
	lines := make(chan []byte, 64)
	go func() {
		for l := range lines {
			if _, err := pw.Write(l); err != nil {
				break
			}
		}
		pw.Close()
		for range lines {
		}
	}()
	defer close(lines)
	br := bufio.NewReaderSize(r.raw, maxStdoutLine)
	for {
		line, isPrefix, err := br.ReadLine()
		if isPrefix {
			r.logger.Warn("plugin wrote a stdout line longer than the limit; dropped", "limit", maxStdoutLine, "start", string(bytes.ToValidUTF8(line[:min(len(line), 200)], []byte("?"))))
			for isPrefix && err == nil {
				_, isPrefix, err = br.ReadLine()
			}
		} else if err == nil || len(line) > 0 {
			select {
			case lines <- append(bytes.Clone(line), '\n'):
			default:
				r.logger.Debug("plugin stdout line dropped: go-plugin is not reading")
			}
		}
		if err != nil {
			return
		}
	}
}

func (r *pluginRunner) Start(context.Context) error {
	err := r.cmd.Start()
	r.stderrW.Close()
	if err != nil {
		r.errWatch.Close()
		return err
	}
	r.pid = r.cmd.Process.Pid
	if r.dataLimit > 0 && limitsSupported {
		// Right after the start: the plugin has not yet run its
		// handshake, let alone a call.
		if err := setDataLimit(r.pid, r.dataLimit); err != nil {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
			return fmt.Errorf("cap the plugin's memory: %w", err)
		}
	}
	return nil
}

func (r *pluginRunner) Wait(context.Context) error {
	err := r.cmd.Wait()
	// What the plugin wrote last (a fatal error) is read before its exit
	// is reported; a child of the plugin that keeps stderr open does not
	// hold it up for long.
	select {
	case <-r.errWatch.done:
	case <-time.After(time.Second):
	}
	r.exit.Store(&err)
	return err
}

// exitCause says how the process ended, once it has: "" while it runs or
// when it is not known.
func (r *pluginRunner) exitCause() string {
	p := r.exit.Load()
	var out string
	if p != nil && *p != nil {
		out = (*p).Error()
	} else if p != nil {
		out = "exit status 0"
	}
	if r.oom.Load() {
		out = "ran out of memory"
		if r.dataLimit > 0 {
			out += fmt.Sprintf(" (its data is capped at %s)", size(r.dataLimit))
		}
	}
	return out
}

func (r *pluginRunner) Kill(context.Context) error {
	if r.cmd.Process == nil {
		return nil
	}
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func (r *pluginRunner) Stdout() io.ReadCloser { return r.stdout }
func (r *pluginRunner) Stderr() io.ReadCloser { return r.stderr }
func (r *pluginRunner) Name() string          { return r.cmd.Path }
func (r *pluginRunner) ID() string            { return strconv.Itoa(r.pid) }
func (r *pluginRunner) Diagnose(context.Context) string {
	return "the plugin exited or did not print the go-plugin handshake; is it a picket plugin built with sdk/plugin?"
}

func (r *pluginRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *pluginRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}
