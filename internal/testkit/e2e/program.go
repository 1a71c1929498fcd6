package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"

	"github.com/vizserve/vizserve/internal/supervise"
	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/internal/testkit/peers"
)

// Program is an example program built and running in a process of its
// own, as `go run ./examples/NAME` runs it.
type Program struct {
	URL  string // the first http://127.0.0.1:PORT it printed, no trailing slash
	Proc *peers.Process
}

var urlLine = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)

// Build builds the package pkg (an import path) into a temporary
// directory and returns the binary's path. The build may take until the
// test's deadline (deadline.Time), which then stops it.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	ctx, cancel := deadline.Context(t)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	supervise.Group(cmd) // a stopped build takes its compiler and linker with it
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// StartProgram builds pkg, runs it with args, and waits for it to print
// its URL. When the test ends it interrupts the program (SIGINT, as Ctrl-C
// would) and fails the test unless it exits with status 0 within
// Patience.
func StartProgram(t testing.TB, pkg string, args ...string) *Program {
	t.Helper()
	bin := Build(t, pkg)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "VIZSERVE_ADDR=")
	p, err := peers.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer p.Kill()
		select {
		case <-p.Exited():
			t.Errorf("%s exited before it was interrupted\n%s", pkg, p.Output())
			return
		default:
		}
		if err := syscall.Kill(p.Pid(), syscall.SIGINT); err != nil {
			t.Errorf("interrupting %s: %v", pkg, err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), Patience)
		defer cancel()
		if err := p.Wait(ctx); err != nil {
			t.Errorf("%s after SIGINT: %v", pkg, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	for {
		line, err := p.Line(ctx)
		if err != nil {
			t.Fatalf("%s printed no URL: %v", pkg, err)
		}
		if u := urlLine.FindString(line); u != "" {
			return &Program{URL: u, Proc: p}
		}
	}
}
