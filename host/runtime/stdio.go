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
}

// newPluginRunner returns go-plugin's RunnerFunc for the binary at path,
// which must have the sha256 sum (checked at every start, restarts too).
func newPluginRunner(path string, sum []byte, logger hclog.Logger) func(hclog.Logger, *exec.Cmd, string) (runner.Runner, error) {
	return func(_ hclog.Logger, spec *exec.Cmd, _ string) (runner.Runner, error) {
		if err := checkSum(path, sum); err != nil {
			return nil, err
		}
		cmd := exec.Command(path)
		cmd.Env, cmd.Stdin = spec.Env, spec.Stdin
		raw, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			return nil, err
		}
		pr, pw := io.Pipe()
		r := &pluginRunner{cmd: cmd, stdout: pr, stderr: stderr, raw: raw, logger: logger}
		go r.copyStdout(pw)
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
	if err := r.cmd.Start(); err != nil {
		return err
	}
	r.pid = r.cmd.Process.Pid
	return nil
}

func (r *pluginRunner) Wait(context.Context) error { return r.cmd.Wait() }

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
