//go:build linux

package runtime

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOrphanedPluginExits kills a host with SIGKILL (no chance to stop its
// plugins) and checks that its plugin process exits by itself.
func TestOrphanedPluginExits(t *testing.T) {
	if os.Getenv("PICKET_ORPHAN_HELPER") == "1" {
		// The helper host: load the plugin, report its pid, wait to be killed.
		path := os.Getenv("PICKET_ORPHAN_PLUGIN")
		h, err := Load(context.Background(), Spec{Name: "orphan", Source: SourceProcess, Path: path, SHA256: sha256File(t, path)}, Options{})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("pid", h.(*processHandle).pid())
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("needs /proc")
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestOrphanedPluginExits$")
	cmd.Env = append(os.Environ(), "PICKET_ORPHAN_HELPER=1", "PICKET_ORPHAN_PLUGIN="+testdetProcess(t, ""))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "pid ") {
		t.Fatalf("helper said %q, %v", line, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "pid ")))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Signal 0 checks existence; a zombie waiting for its new parent
		// to reap it counts as gone.
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if syscall.Kill(pid, 0) != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("plugin %d still running 10s after its host was killed", pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
