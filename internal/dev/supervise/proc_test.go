//go:build linux

package supervise

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

type buf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestOutputPrefixAndTail(t *testing.T) {
	t.Parallel()
	var out buf
	p, err := Start(exec.Command("sh", "-c", `for i in $(seq 1 60); do echo line $i; done; echo oops >&2; printf partial; exit 3`),
		Options{Prefix: "scene | ", Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	var ee *exec.ExitError
	if err := p.Err(); err == nil || !asExit(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("Err = %v, want exit status 3", err)
	}
	if !strings.Contains(out.String(), "scene | line 1\n") || !strings.Contains(out.String(), "scene | partial\n") {
		t.Errorf("output:\n%s", out.String())
	}
	tail := strings.Split(p.Tail(), "\n")
	if len(tail) != DefaultTailLines || tail[len(tail)-1] != "partial" || tail[len(tail)-2] != "oops" || tail[0] != "line 13" {
		t.Errorf("tail (%d lines) = %q…%q", len(tail), tail[0], tail[len(tail)-1])
	}
}

func asExit(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*target = e
	return ok
}

// Stop ends the process and what it started, even when it ignores SIGTERM.
func TestStopKillsTheGroup(t *testing.T) {
	t.Parallel()
	var out buf
	// The shell ignores TERM and starts a grandchild that prints its pid.
	p, err := Start(exec.Command("sh", "-c", `trap "" TERM; sleep 600 & echo $!; wait`), Options{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var grandchild int
	for grandchild == 0 {
		fmt.Sscan(strings.TrimSpace(out.String()), &grandchild)
		if grandchild == 0 {
			select {
			case <-p.Exited():
				t.Fatalf("exited early: %s", out.String())
			case <-time.After(10 * time.Millisecond): // polling the output
			}
			if time.Now().After(deadline) {
				t.Fatal("no pid printed")
			}
		}
	}
	start := time.Now()
	p.Stop(200 * time.Millisecond)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("Stop returned after %v: it did not give the grace", d)
	}
	// SIGKILL is delivered, not awaited: the grandchild (not our child,
	// so nothing to wait on) dies within moments. Poll /proc for it.
	for gone := time.Now().Add(10 * time.Second); running(grandchild); {
		if time.Now().After(gone) {
			t.Fatalf("the grandchild %d is still running 10 s after Stop", grandchild)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not a wait for an event
	}
	p.Stop(time.Second) // again: harmless
}

// running reports whether pid is a live process (a zombie waiting for
// its new parent to reap it is not).
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || !strings.HasPrefix(s[i+1:], " Z")
}
