//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/internal/testkit/peers"
)

// bin is the vizserve executable, built once for the tests that run it as
// a person does.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vizserve-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "vizserve")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building vizserve: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		if leaked := leakcheck.Wait(leakcheck.Timeout); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "leakcheck: %d goroutine(s) still running after the tests:\n\n%s\n", len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.RemoveAll(dir) // before os.Exit, which runs no deferred calls
	os.Exit(code)
}

func TestHelpVersionUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		wantErr  error
		want     string // in stdout
		wantErr2 string // in stderr
	}{
		{args: []string{"help"}, want: "vizserve [flags] PATH"},
		{args: []string{"help"}, want: "-no-watch"},
		{args: []string{"--help"}, want: "vizserve export [flags] PATH -o FILE"},
		{args: []string{"version"}, want: "vizserve "},
		{args: nil, wantErr: errUsage, wantErr2: "name one scene"},
		{args: []string{"a.go", "b.go"}, wantErr: errUsage, wantErr2: "name one scene"},
		{args: []string{"-bogus", "a.go"}, wantErr: errUsage, wantErr2: "flag provided but not defined"},
		{args: []string{"export", "a.go"}, wantErr: errUsage, wantErr2: "vizserve export PATH -o FILE"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var out, errw bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("run(%q) = %v, want %v", tt.args, err, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("stdout lacks %q:\n%s", tt.want, out.String())
			}
			if !strings.Contains(errw.String(), tt.wantErr2) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr2, errw.String())
			}
		})
	}
}

func TestMissingScene(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{filepath.Join(t.TempDir(), "nope.go")}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("err = %v, want one saying the file does not exist", err)
	}
}

// copyScene copies the dev loop's test scene into a new directory with no
// go.mod (a lone scene.go) and returns the file.
func copyScene(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../internal/dev/testdata/counter/main.go")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "scene.go")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func edit(t *testing.T, file, old, new string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s lacks %q", file, old)
	}
	if err := os.WriteFile(file, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// proc is a running vizserve.
type proc struct {
	t    *testing.T
	p    *peers.Process
	tmp  string // its TMPDIR
	url  string
	pids []int // scene children, as reported
}

var (
	openLine    = regexp.MustCompile(`^vizserve: open (\S+)`)
	runningLine = regexp.MustCompile(`^vizserve: scene running \(pid (\d+)\)`)
)

// startVizserve runs the vizserve binary with args, with a TMPDIR of its
// own, and waits for it to print its URL.
func startVizserve(t *testing.T, args ...string) *proc {
	t.Helper()
	return startVizserveEnv(t, nil, args...)
}

// startVizserveEnv is startVizserve with more environment variables,
// which take precedence over the test's own.
func startVizserveEnv(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	tmp := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "TMPDIR="+tmp, "GOPROXY=off"), env...)
	p := &proc{t: t, p: peers.Run(t, cmd), tmp: tmp}
	for p.url == "" {
		l := p.line()
		if m := openLine.FindStringSubmatch(l); m != nil {
			p.url = m[1]
		}
	}
	return p
}

// line returns vizserve's next line of standard output. It may come after
// a build, which on a loaded two-core machine with a cold cache is slow:
// the wait lasts until the test's deadline.
func (p *proc) line() string {
	p.t.Helper()
	ctx, cancel := deadline.Context(p.t)
	defer cancel()
	l, err := p.p.Line(ctx)
	if err != nil {
		p.t.Fatalf("vizserve: %v", err)
	}
	p.t.Log("vizserve| " + l)
	return l
}

// running waits for vizserve to report a new scene process and returns its
// pid.
func (p *proc) running() int {
	p.t.Helper()
	for {
		if m := runningLine.FindStringSubmatch(p.line()); m != nil {
			pid, _ := strconv.Atoi(m[1])
			p.pids = append(p.pids, pid)
			return pid
		}
	}
}

// interrupt sends SIGINT (a Ctrl-C) and waits for vizserve to exit.
func (p *proc) interrupt() {
	p.t.Helper()
	if err := syscall.Kill(p.p.Pid(), syscall.SIGINT); err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.p.Wait(ctx); err != nil {
		p.t.Fatalf("vizserve after SIGINT: %v", err)
	}
	// Every scene process it reported, including those not waited for.
	for {
		l, err := p.p.Line(ctx)
		if err != nil {
			break
		}
		p.t.Log("vizserve| " + l)
		if m := runningLine.FindStringSubmatch(l); m != nil {
			pid, _ := strconv.Atoi(m[1])
			p.pids = append(p.pids, pid)
		}
	}
}

func alive(pid int) bool {
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

// checkClean checks that no scene process and no temporary file is left.
func (p *proc) checkClean() {
	p.t.Helper()
	for _, pid := range p.pids {
		if alive(pid) {
			p.t.Errorf("scene process %d is still running", pid)
		}
	}
	left, err := os.ReadDir(p.tmp)
	if err != nil {
		p.t.Fatal(err)
	}
	var names []string
	for _, de := range left {
		names = append(names, de.Name())
	}
	if len(names) > 0 {
		p.t.Errorf("left behind in TMPDIR: %v", names)
	}
}

// TestInterruptCleansUp: Ctrl-C stops the scene and removes every
// temporary file, through a swap.
func TestInterruptCleansUp(t *testing.T) {
	t.Parallel()
	file := copyScene(t)
	p := startVizserve(t, "-addr", "127.0.0.1:0", file)
	first := p.running()
	edit(t, file, `"v1"`, `"v2"`)
	second := p.running()
	if first == second || !alive(second) {
		t.Fatalf("pids %d, %d after a swap", first, second)
	}
	p.interrupt()
	p.checkClean()
}

// TestExportCommand writes a frame after 30 ticks.
func TestExportCommand(t *testing.T) {
	t.Parallel()
	file := copyScene(t)
	out := filepath.Join(t.TempDir(), "frame.svg")
	tmp := t.TempDir()
	ctx, cancel := deadline.Context(t)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "export", file, "-o", out, "-ticks", "30")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "GOPROXY=off")
	// At the deadline, a Ctrl-C: vizserve cancels its build and cleans up.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vizserve export: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
		Texts   []struct {
			ID   string `xml:"id,attr"`
			Text string `xml:",chardata"`
		} `xml:"text"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, data)
	}
	if doc.XMLName.Local != "svg" || doc.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Errorf("root element %v", doc.XMLName)
	}
	found := false
	for _, tx := range doc.Texts {
		if tx.ID == "ticks" {
			found = true
			if tx.Text != "30" {
				t.Errorf("ticks = %q, want 30", tx.Text)
			}
		}
	}
	if !found {
		t.Errorf("no ticks text in:\n%s", data)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
