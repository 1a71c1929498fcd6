package peers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// fakeTB records how Unavailable ended a test.
type fakeTB struct {
	testing.TB
	skipped string
	failed  string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// unavailable runs Unavailable on a fake test, in a goroutine of its own
// since it ends that goroutine as the testing package does.
func unavailable(msg string) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Unavailable(f, msg)
	}()
	<-done
	return f
}

func TestUnavailable(t *testing.T) {
	for _, tc := range []struct {
		env          string
		skip, failed bool
	}{
		{env: "", skip: true},
		{env: "0", skip: true},
		{env: "false", skip: true},
		{env: "bogus", skip: true},
		{env: "1", failed: true},
		{env: "true", failed: true},
	} {
		t.Run("env="+tc.env, func(t *testing.T) {
			t.Setenv(EnvRequire, tc.env)
			f := unavailable("frobnicator not found: apt-get install frobnicator")
			if tc.skip && f.skipped != "frobnicator not found: apt-get install frobnicator" {
				t.Errorf("skip message %q, want the message as given", f.skipped)
			}
			if tc.failed && !strings.Contains(f.failed, "apt-get install frobnicator") {
				t.Errorf("failure message %q, want it to say what to install", f.failed)
			}
			if tc.skip == (f.skipped == "") || tc.failed == (f.failed == "") {
				t.Errorf("skipped=%q failed=%q, want skip=%v fail=%v", f.skipped, f.failed, tc.skip, tc.failed)
			}
		})
	}
}

func TestFindPythonErrors(t *testing.T) {
	for _, tc := range []struct {
		name, python, want string
	}{
		{"missing", filepath.Join(t.TempDir(), "python3"), "apt-get install python3 python3-websockets"},
		{"no websockets", "/bin/false", "apt-get install python3-websockets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvPython, tc.python)
			_, err := findPython()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("findPython with %s=%s: %v, want an error saying %q", EnvPython, tc.python, err, tc.want)
			}
		})
	}
}

func TestFindNodeWithoutWS(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		Unavailable(t, "node not found on PATH: apt-get install nodejs npm")
	}
	dir := t.TempDir()
	t.Setenv(EnvNodeModules, dir)
	_, _, err := findNode()
	if err == nil || !strings.Contains(err.Error(), "node package ws not found in "+dir) {
		t.Fatalf("findNode with an empty %s: %v, want an error naming the directory", EnvNodeModules, err)
	}
}

// The real peers, when installed, can do what the interop tests need.
func TestFoundPeersWork(t *testing.T) {
	t.Run("python", func(t *testing.T) {
		py := Python(t)
		out, err := exec.Command(py, "-c", "import asyncio, websockets; print(callable(websockets.serve), callable(websockets.connect))").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "True True" {
			t.Fatalf("%s cannot use websockets: %v: %s", py, err, out)
		}
	})
	t.Run("node", func(t *testing.T) {
		node, mods := Node(t)
		cmd := exec.Command(node, "-e", "const {WebSocket, WebSocketServer} = require('ws'); console.log(typeof WebSocket, typeof WebSocketServer)")
		cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "function function" {
			t.Fatalf("node with NODE_PATH=%s cannot use ws: %v: %s", mods, err, out)
		}
	})
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "testkit", "peers", "peers.go")); err != nil {
		t.Fatalf("ModuleRoot() = %s, which does not hold this package: %v", root, err)
	}
}

func TestProcessLines(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := Run(t, exec.Command("sh", "-c", `printf 'one\ntwo\r\n'; printf 'partial'; echo oops >&2; exit 3`))
	for _, want := range []string{"one", "two", "partial"} {
		got, err := p.Line(ctx)
		if err != nil || got != want {
			t.Fatalf("Line() = %q, %v; want %q", got, err, want)
		}
	}
	_, err := p.Line(ctx)
	if err == nil || !strings.Contains(err.Error(), "without writing the expected line") || !strings.Contains(err.Error(), "oops") {
		t.Fatalf("Line after the last line: %v; want an error with the output's tail", err)
	}
	err = p.Wait(ctx)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(err.Error(), "oops") {
		t.Fatalf("Wait() = %v; want exit status 3 and the output's tail", err)
	}
}

// A stream the caller set is not read: Line says so.
func TestProcessCallerStdout(t *testing.T) {
	var tail Tail
	cmd := exec.Command("echo", "mine")
	cmd.Stdout = &tail
	p := Run(t, cmd)
	if _, err := p.Line(context.Background()); err == nil {
		t.Fatal("Line with the caller's stdout: no error")
	}
	if err := p.Wait(context.Background()); err != nil || tail.String() != "mine\n" {
		t.Fatalf("Wait() = %v, the caller's writer has %q", err, tail.String())
	}
}

func TestProcessLineDeadline(t *testing.T) {
	p := Run(t, exec.Command("sleep", "30"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.Line(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Line from a silent process: %v, want the context's deadline", err)
	}
	if err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait for a running process: %v, want the context's deadline", err)
	}
}

// Kill ends the whole process group: a grandchild holding standard output
// open would otherwise keep Kill waiting (WaitDelay is longer than the
// test's deadline on purpose).
func TestKillEndsProcessGroup(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 60 & echo started; wait")
	cmd.WaitDelay = 5 * time.Minute
	p := Run(t, cmd)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if line, err := p.Line(ctx); err != nil || line != "started" {
		t.Fatalf("Line() = %q, %v", line, err)
	}
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		p.Kill()
	}()
	select {
	case <-killed:
	case <-ctx.Done():
		t.Fatal("Kill did not return: the grandchild still holds the output pipe")
	}
	p.Kill() // again: no effect, no hang
	select {
	case <-p.Exited():
	default:
		t.Fatal("Exited is not closed after Kill")
	}
}

func TestTail(t *testing.T) {
	tl := &Tail{Max: 8}
	for _, s := range []string{"abc", "defgh", "ijk"} {
		tl.Write([]byte(s))
	}
	if got := tl.String(); got != "…defghijk" {
		t.Fatalf("Tail = %q, want the last 8 bytes marked as cut", got)
	}
	small := &Tail{Max: 8}
	small.Write([]byte("abc"))
	if got := small.String(); got != "abc" {
		t.Fatalf("Tail = %q, want %q", got, "abc")
	}
}
