package peers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// tailSize is how much of a process's stderr is kept for error messages.
const tailSize = 16 << 10

// Process is a running peer program, started by Start or Run.
//
// Its standard output is split into lines and queued for Line (unless the
// caller set cmd.Stdout); the last 16 KiB of its standard error are kept for
// error messages (unless the caller set cmd.Stderr). All methods may be
// called from many goroutines, except Line, which one goroutine at a time
// calls.
type Process struct {
	cmd    *exec.Cmd
	name   string
	out    *lineQueue
	errLog *Tail
	exited chan struct{}
	err    error // the result of Wait, set before exited is closed
	kill   sync.Once
}

// Start starts cmd in a process group of its own. Close the process with
// Kill (or let it exit and call Wait). cmd must not have been started;
// WaitDelay defaults to 5 s, so that a grandchild holding the output pipes
// open cannot block Wait forever.
func Start(cmd *exec.Cmd) (*Process, error) {
	p := &Process{cmd: cmd, name: describe(cmd), exited: make(chan struct{})}
	if cmd.Stdout == nil {
		p.out = newLineQueue()
		cmd.Stdout = p.out
	}
	if cmd.Stderr == nil {
		p.errLog = &Tail{Max: tailSize}
		cmd.Stderr = p.errLog
	}
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 5 * time.Second
	}
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("peers: start %s: %w", p.name, err)
	}
	go func() {
		err := cmd.Wait()
		if p.out != nil {
			p.out.close()
		}
		p.err = err
		close(p.exited)
	}()
	return p, nil
}

// Run starts cmd like Start and kills it, with its process group, when the
// test ends. It fails the test if cmd cannot start.
func Run(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	p, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	return p
}

// Pid returns the process id, which is also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed when the process has exited and its output is read.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Line returns the next line the process wrote to standard output, without
// its line ending. It fails when ctx ends first, or when the process exits
// without writing another line; the error then carries the tail of its
// standard error.
func (p *Process) Line(ctx context.Context) (string, error) {
	if p.out == nil {
		return "", errors.New("peers: Line: the caller took over standard output")
	}
	line, err := p.out.next(ctx)
	switch {
	case err == nil:
		return line, nil
	case errors.Is(err, errNoMoreLines):
		<-p.exited
		return "", fmt.Errorf("peers: %s exited (%v) without writing the expected line%s", p.name, exitStatus(p.err), p.stderrSuffix())
	default:
		return "", fmt.Errorf("peers: waiting for a line from %s: %w%s", p.name, err, p.stderrSuffix())
	}
}

// Wait waits for the process to exit by itself and returns an error if it
// did not exit with status 0 (with the tail of its standard error) or ctx
// ended first. It does not kill the process.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.exited:
	case <-ctx.Done():
		return fmt.Errorf("peers: waiting for %s to exit: %w%s", p.name, ctx.Err(), p.stderrSuffix())
	}
	if p.err != nil {
		return fmt.Errorf("peers: %s: %w%s", p.name, p.err, p.stderrSuffix())
	}
	return nil
}

// Kill kills the process and everything in its process group, and waits
// until it has exited. It may be called any number of times.
func (p *Process) Kill() {
	p.kill.Do(func() {
		select {
		case <-p.exited:
			// The leader is gone; its children may not be.
			killGroup(p.cmd)
			return
		default:
		}
		killGroup(p.cmd)
		<-p.exited
	})
}

// Stderr returns the last 16 KiB the process wrote to standard error, if
// Start is collecting it.
func (p *Process) Stderr() string {
	if p.errLog == nil {
		return ""
	}
	return p.errLog.String()
}

func (p *Process) stderrSuffix() string {
	s := strings.TrimSpace(p.Stderr())
	if s == "" {
		return ""
	}
	return "\n--- stderr of " + p.name + " ---\n" + s
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

var errNoMoreLines = errors.New("no more lines")

// lineQueue is an io.Writer that splits what is written into lines and
// queues them, without bound: peers print a few short lines.
type lineQueue struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	closed  bool
	notify  chan struct{} // closed and replaced whenever lines or closed change
}

func newLineQueue() *lineQueue { return &lineQueue{notify: make(chan struct{})} }

func (q *lineQueue) Write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.partial = append(q.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(q.partial, '\n')
		if i < 0 {
			break
		}
		q.lines = append(q.lines, strings.TrimSuffix(string(q.partial[:i]), "\r"))
		q.partial = q.partial[i+1:]
		added = true
	}
	if added {
		q.wake()
	}
	return len(p), nil
}

// close marks the end of output; a last line without a newline counts.
func (q *lineQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.partial) > 0 {
		q.lines = append(q.lines, string(q.partial))
		q.partial = nil
	}
	q.closed = true
	q.wake()
}

func (q *lineQueue) wake() {
	close(q.notify)
	q.notify = make(chan struct{})
}

func (q *lineQueue) next(ctx context.Context) (string, error) {
	for {
		q.mu.Lock()
		if len(q.lines) > 0 {
			line := q.lines[0]
			q.lines = q.lines[1:]
			q.mu.Unlock()
			return line, nil
		}
		if q.closed {
			q.mu.Unlock()
			return "", errNoMoreLines
		}
		notify := q.notify
		q.mu.Unlock()
		select {
		case <-notify:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}
