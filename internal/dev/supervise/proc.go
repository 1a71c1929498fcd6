// Package supervise runs a scene's child process: in a process group of its
// own, its output copied line by line to the terminal with a prefix and its
// last lines kept for the crash overlay, stopped with SIGTERM and then
// SIGKILL after a grace, so that nothing it started is left behind.
//
//	p, err := supervise.Start(cmd, supervise.Options{Prefix: "scene | ", Out: os.Stderr})
//	<-p.Exited()
//	fmt.Println(p.Err(), p.Tail())
//	p.Stop(2 * time.Second)
package supervise

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// DefaultTailLines is how many lines of output a Process keeps.
const DefaultTailLines = 50

// Options configures Start.
type Options struct {
	// Prefix starts every line copied to Out.
	Prefix string
	// Out receives the child's standard output and error, line by line.
	// Default: discard.
	Out io.Writer
	// TailLines is how many of the last lines to keep. Default
	// DefaultTailLines.
	TailLines int
}

// Process is a started child. Its methods may be called from any goroutine.
type Process struct {
	cmd    *exec.Cmd
	lines  *lineWriter
	exited chan struct{}
	err    error // set before exited is closed

	stopOnce sync.Once
}

// Start starts cmd in a new process group, with its output going to
// opts.Out. cmd.Stdout and cmd.Stderr must be nil.
func Start(cmd *exec.Cmd, opts Options) (*Process, error) {
	if cmd.Stdout != nil || cmd.Stderr != nil {
		return nil, errors.New("supervise: cmd.Stdout and cmd.Stderr must be nil")
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.TailLines <= 0 {
		opts.TailLines = DefaultTailLines
	}
	lw := &lineWriter{out: opts.Out, prefix: opts.Prefix, max: opts.TailLines}
	cmd.Stdout = lw
	cmd.Stderr = lw
	// A grandchild that keeps the output pipe open must not keep Wait
	// from returning.
	cmd.WaitDelay = 2 * time.Second
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("supervise: %w", err)
	}
	p := &Process{cmd: cmd, lines: lw, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		lw.flush()
		close(p.exited)
	}()
	return p, nil
}

// Pid returns the process id, which is also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed when the process has exited and its output was copied.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err is how the process ended (nil for exit status 0); valid after Exited.
func (p *Process) Err() error {
	<-p.exited
	return p.err
}

// Tail returns the last lines the process wrote, oldest first.
func (p *Process) Tail() string { return p.lines.tail() }

// Stop asks the process group to end (SIGTERM), kills it (SIGKILL) if the
// process has not exited within grace, and waits for it. It kills what is
// left in the group in any case. It may be called any number of times.
func (p *Process) Stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		select {
		case <-p.exited:
		default:
			signalGroup(p.cmd, false)
			t := time.NewTimer(grace)
			select {
			case <-p.exited:
			case <-t.C:
			}
			t.Stop()
		}
		signalGroup(p.cmd, true) // what the child started and left behind
		<-p.exited
	})
	<-p.exited
}

// lineWriter copies output to out line by line, with a prefix, and keeps
// the last lines.
type lineWriter struct {
	out    io.Writer
	prefix string
	max    int

	mu      sync.Mutex
	partial []byte
	last    []string
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			w.partial = append(w.partial, b...)
			if len(w.partial) > 64<<10 { // a very long line: let it out
				w.line()
			}
			break
		}
		w.partial = append(w.partial, b[:i]...)
		b = b[i+1:]
		w.line()
	}
	return n, nil
}

// line emits the partial line; w.mu is held.
func (w *lineWriter) line() {
	s := strings.TrimSuffix(string(w.partial), "\r")
	w.partial = w.partial[:0]
	io.WriteString(w.out, w.prefix+s+"\n")
	w.last = append(w.last, s)
	if len(w.last) > w.max {
		w.last = append(w.last[:0], w.last[len(w.last)-w.max:]...)
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.line()
	}
}

func (w *lineWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.last, "\n")
}

// Group makes cmd start in a process group of its own and, when its
// context ends (exec.CommandContext), kills the whole group, so that a
// cancelled `go build` takes its compiler and linker with it.
func Group(cmd *exec.Cmd) {
	setProcessGroup(cmd)
	cmd.Cancel = func() error {
		signalGroup(cmd, true)
		return nil
	}
	cmd.WaitDelay = 2 * time.Second
}
