package peers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/supervise"
)

// tailLines is how many of a process's last lines of output are kept for
// error messages.
const tailLines = 200

// Process is a running peer program, started by Start or Run. It is a
// supervise.Process, with errors that name the program and end with its
// last lines of output.
//
// Its standard output is split into lines and queued for Line (unless the
// caller set cmd.Stdout); the last 200 lines of its output (standard output
// and error, those the caller did not take over) are kept for error
// messages. All methods may be called from many goroutines, except Line,
// which one goroutine at a time calls.
type Process struct {
	p    *supervise.Process
	name string
}

// Start starts cmd in a process group of its own. Close the process with
// Kill (or let it exit and call Wait). cmd must not have been started;
// WaitDelay defaults to 5 s, so that a grandchild holding the output pipes
// open cannot block Wait forever.
func Start(cmd *exec.Cmd) (*Process, error) {
	name := describe(cmd)
	var lines supervise.Streams
	if cmd.Stdout == nil {
		lines = supervise.Stdout
	}
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 5 * time.Second
	}
	p, err := supervise.Start(cmd, supervise.Options{TailLines: tailLines, Lines: lines})
	if err != nil {
		return nil, fmt.Errorf("peers: start %s: %w", name, err)
	}
	return &Process{p: p, name: name}, nil
}

// Run starts cmd like Start and kills it, with its process group, when the
// test ends. It fails the test if cmd cannot start.
func Run(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	p, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

// Pid returns the process id, which is also its process group id.
func (p *Process) Pid() int { return p.p.Pid() }

// Exited is closed when the process has exited and its output is read.
func (p *Process) Exited() <-chan struct{} { return p.p.Exited() }

// Line returns the next line the process wrote to standard output,
// without its line ending. It fails when
// ctx ends first, or when the process exits without writing another line;
// the error then carries the tail of its output.
func (p *Process) Line(ctx context.Context) (string, error) {
	line, err := p.p.Line(ctx)
	switch {
	case err == nil:
		return line, nil
	case errors.Is(err, io.EOF):
		return "", fmt.Errorf("peers: %s exited (%v) without writing the expected line%s", p.name, exitStatus(p.p.Err()), p.outputSuffix())
	case ctx.Err() != nil:
		return "", fmt.Errorf("peers: waiting for a line from %s: %w%s", p.name, err, p.outputSuffix())
	default:
		return "", fmt.Errorf("peers: Line from %s: %w", p.name, err)
	}
}

// Wait waits for the process to exit by itself and returns an error if it
// did not exit with status 0 (with the tail of its output) or ctx ended
// first. It does not kill the process.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.p.Exited():
	case <-ctx.Done():
		return fmt.Errorf("peers: waiting for %s to exit: %w%s", p.name, ctx.Err(), p.outputSuffix())
	}
	if err := p.p.Err(); err != nil {
		return fmt.Errorf("peers: %s: %w%s", p.name, err, p.outputSuffix())
	}
	return nil
}

// Kill kills the process and everything in its process group, and waits
// until it has exited. It may be called any number of times.
func (p *Process) Kill() { p.p.Kill() }

// Output returns the last 200 lines the process wrote to the streams that
// Start collects.
func (p *Process) Output() string { return p.p.Tail() }

func (p *Process) outputSuffix() string {
	s := strings.TrimSpace(p.Output())
	if s == "" {
		return ""
	}
	return "\n--- output of " + p.name + " ---\n" + s
}

func exitStatus(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

func describe(cmd *exec.Cmd) string {
	s := strings.Join(cmd.Args, " ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// Tail is an io.Writer that keeps the last Max bytes written to it. It is
// safe for concurrent use.
type Tail struct {
	Max int

	mu  sync.Mutex
	buf []byte
	cut bool
}

// Write implements io.Writer; it never fails.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.Max; t.Max > 0 && over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.cut = true
	}
	return len(p), nil
}

// String returns what is kept, marked with "…" at the start if older output
// was dropped.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cut {
		return "…" + string(t.buf)
	}
	return string(t.buf)
}
