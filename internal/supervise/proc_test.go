//go:build linux

package supervise

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// Line returns the lines of the streams asked for, then io.EOF; the
// other stream still goes to Out and the tail.
func TestLines(t *testing.T) {
	t.Parallel()
	script := `echo out1; echo err1 >&2; printf 'out2\r\n'; printf last`
	for _, tc := range []struct {
		name  string
		lines Streams
		want  []string
	}{
		{"stdout", Stdout, []string{"out1", "out2", "last"}},
		{"stderr", Stderr, []string{"err1"}},
		{"both", Stdout | Stderr, []string{"out1", "err1", "out2", "last"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out buf
			p, err := Start(exec.Command("sh", "-c", script), Options{Prefix: "> ", Out: &out, Lines: tc.lines})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Kill()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var got []string
			for {
				l, err := p.Line(ctx)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("Line after %q: %v", got, err)
				}
				got = append(got, l)
			}
			// Separate pipes need not keep the order between them.
			if tc.lines != Stdout|Stderr {
				slices.Sort(got)
				slices.Sort(tc.want)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("lines %q, want %q", got, tc.want)
			}
			for _, l := range []string{"out1", "err1", "out2", "last"} {
				if !strings.Contains(out.String(), "> "+l+"\n") || !strings.Contains(p.Tail(), l) {
					t.Errorf("%q missing from Out or the tail:\n%s\n--\n%s", l, out.String(), p.Tail())
				}
			}
			if p.Err() != nil {
				t.Errorf("Err = %v", p.Err())
			}
		})
	}
}

// A stream the caller set is the caller's; Lines may not name it, and
// Line without Lines fails, as does a Line whose context ends.
func TestCallerStreams(t *testing.T) {
	t.Parallel()
	var mine bytes.Buffer
	cmd := exec.Command("sh", "-c", "echo to-caller; echo to-tail >&2")
	cmd.Stdout = &mine
	if _, err := Start(cmd, Options{Lines: Stdout}); err == nil {
		t.Fatal("Start with Lines naming the caller's stdout succeeded")
	}
	cmd = exec.Command("sh", "-c", "echo to-caller; echo to-tail >&2")
	cmd.Stdout = &mine
	p, err := Start(cmd, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	if mine.String() != "to-caller\n" || p.Tail() != "to-tail" {
		t.Errorf("caller got %q, tail %q", mine.String(), p.Tail())
	}
	if _, err := p.Line(context.Background()); err == nil || err == io.EOF {
		t.Errorf("Line without Lines: %v, want an error", err)
	}

	p, err = Start(exec.Command("sleep", "30"), Options{Lines: Stdout})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := p.Line(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Line from a silent process: %v, want the context's error", err)
	}
}

// Kill gives no grace: a process ignoring SIGTERM ends at once, and Kill
// returns though a grandchild held the output pipe (the caller's
// WaitDelay, which Start keeps, is longer than the test).
func TestKill(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("sh", "-c", `trap "" TERM; sleep 600 & echo started; wait`)
	cmd.WaitDelay = 10 * time.Minute
	p, err := Start(cmd, Options{Lines: Stdout})
	if err != nil {
		t.Fatal(err)
	}
	if cmd.WaitDelay != 10*time.Minute {
		t.Errorf("WaitDelay = %v, want the caller's", cmd.WaitDelay)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if l, err := p.Line(ctx); l != "started" || err != nil {
		t.Fatalf("Line = %q, %v", l, err)
	}
	start := time.Now()
	p.Kill()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Kill took %v", d)
	}
	var ee *exec.ExitError
	if !errors.As(p.Err(), &ee) || ee.ExitCode() != -1 {
		t.Errorf("Err = %v, want killed by a signal", p.Err())
	}
	p.Kill() // again: harmless
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
