// Package supervise runs a child process: in a process group of its own,
// its output copied line by line to a writer with a prefix, its last lines
// kept (for the crash overlay, for an error message) and, if asked, queued
// for the caller to read one by one; stopped with SIGTERM and then SIGKILL
// after a grace, so that nothing it started is left behind.
//
//	p, err := supervise.Start(cmd, supervise.Options{Prefix: "scene | ", Out: os.Stderr})
//	<-p.Exited()
//	fmt.Println(p.Err(), p.Tail())
//	p.Stop(2 * time.Second)
//
// The dev loop runs scenes with it, and internal/testkit/peers the
// programs that tests talk to:
//
//	p, err := supervise.Start(cmd, supervise.Options{Lines: supervise.Stdout})
//	line, err := p.Line(ctx) // the next line of standard output
//	p.Kill()
package supervise

import (
	"bytes"
	"context"
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

// DefaultWaitDelay is the cmd.WaitDelay that Start sets when the caller
// set none: how long Wait lets a grandchild hold the output pipes open
// after the child exited.
const DefaultWaitDelay = 2 * time.Second

// Streams is a set of a process's output streams.
type Streams uint8

// The output streams.
const (
	Stdout Streams = 1 << iota
	Stderr
)

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
	// Lines selects the streams whose lines Process.Line returns, besides
	// their going to Out and the tail. They queue without bound until
	// read. With both streams, the child writes them to one pipe, so
	// their lines keep the order they were written in. Default: none.
	Lines Streams
}

// Process is a started child. Its methods may be called from any goroutine.
type Process struct {
	cmd     *exec.Cmd
	out     *output
	streams []*stream
	exited  chan struct{}
	err     error // set before exited is closed

	stopOnce sync.Once
}

// Start starts cmd in a new process group. The output streams that cmd
// leaves nil (cmd.Stdout, cmd.Stderr) go to opts.Out, the tail and, as
// opts.Lines says, Line; a stream the caller set is the caller's alone,
// and opts.Lines must not name it. If cmd.WaitDelay is zero, Start sets
// it to DefaultWaitDelay.
func Start(cmd *exec.Cmd, opts Options) (*Process, error) {
	if opts.Lines&Stdout != 0 && cmd.Stdout != nil || opts.Lines&Stderr != 0 && cmd.Stderr != nil {
		return nil, errors.New("supervise: Options.Lines names an output stream that the caller set in cmd")
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.TailLines <= 0 {
		opts.TailLines = DefaultTailLines
	}
	o := &output{out: opts.Out, prefix: opts.Prefix, max: opts.TailLines, queued: opts.Lines != 0}
	if o.queued {
		o.notify = make(chan struct{})
	}
	p := &Process{cmd: cmd, out: o, exited: make(chan struct{})}
	if cmd.Stdout == nil && cmd.Stderr == nil && (opts.Lines == 0 || opts.Lines == Stdout|Stderr) {
		// The same writer for both: exec gives the child one pipe.
		s := &stream{o: o, queued: opts.Lines != 0}
		cmd.Stdout, cmd.Stderr = s, s
		p.streams = append(p.streams, s)
	} else {
		if cmd.Stdout == nil {
			s := &stream{o: o, queued: opts.Lines&Stdout != 0}
			cmd.Stdout = s
			p.streams = append(p.streams, s)
		}
		if cmd.Stderr == nil {
			s := &stream{o: o, queued: opts.Lines&Stderr != 0}
			cmd.Stderr = s
			p.streams = append(p.streams, s)
		}
	}
	// A grandchild that keeps the output pipe open must not keep Wait
	// from returning.
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = DefaultWaitDelay
	}
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("supervise: %w", err)
	}
	go func() {
		err := cmd.Wait()
		for _, s := range p.streams {
			s.flush()
		}
		o.close()
		p.err = err
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
func (p *Process) Tail() string { return p.out.tail() }

// Line returns the next line of the streams named in Options.Lines,
// without its line ending. It returns io.EOF once the process has exited
// and every line was read, and ctx.Err() if ctx ends first.
func (p *Process) Line(ctx context.Context) (string, error) {
	if !p.out.queued {
		return "", errors.New("supervise: Line: Options.Lines named no stream")
	}
	return p.out.next(ctx)
}

// Stop asks the process group to end (SIGTERM), kills it (SIGKILL) if the
// process has not exited within grace, and waits for it. It kills what is
// left in the group in any case. A grace of zero or less kills at once.
// It may be called any number of times.
func (p *Process) Stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		select {
		case <-p.exited:
		default:
			if grace <= 0 {
				break
			}
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

// Kill kills the process group (SIGKILL) and waits for the process: Stop
// without a grace.
func (p *Process) Kill() { p.Stop(0) }

// output copies lines to out with a prefix, keeps the last lines and
// queues those of the streams asked for.
type output struct {
	out    io.Writer
	prefix string
	max    int
	queued bool // lines are queued for Line; set before the process starts

	mu     sync.Mutex
	last   []string
	queue  []string
	closed bool
	notify chan struct{} // closed and replaced when queue or closed change; nil: no queue
}

// line emits one line; o.mu is held.
func (o *output) line(s string, queued bool) {
	io.WriteString(o.out, o.prefix+s+"\n")
	o.last = append(o.last, s)
	if len(o.last) > o.max {
		o.last = append(o.last[:0], o.last[len(o.last)-o.max:]...)
	}
	if queued {
		o.queue = append(o.queue, s)
		o.wake()
	}
}

// wake tells Line that something changed; o.mu is held.
func (o *output) wake() {
	close(o.notify)
	o.notify = make(chan struct{})
}

// close marks the end of the output.
func (o *output) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	if o.queued {
		o.wake()
	}
}

func (o *output) next(ctx context.Context) (string, error) {
	for {
		o.mu.Lock()
		if len(o.queue) > 0 {
			s := o.queue[0]
			o.queue = o.queue[1:]
			o.mu.Unlock()
			return s, nil
		}
		if o.closed {
			o.mu.Unlock()
			return "", io.EOF
		}
		notify := o.notify
		o.mu.Unlock()
		select {
		case <-notify:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func (o *output) tail() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.last, "\n")
}

// stream is the writer of one pipe from the child: it splits what comes
// into lines for its output.
type stream struct {
	o       *output
	queued  bool
	partial []byte // guarded by o.mu
}

func (w *stream) Write(b []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
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

// line emits the partial line; w.o.mu is held.
func (w *stream) line() {
	s := strings.TrimSuffix(string(w.partial), "\r")
	w.partial = w.partial[:0]
	w.o.line(s, w.queued)
}

// flush emits a last line that had no line ending.
func (w *stream) flush() {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	if len(w.partial) > 0 {
		w.line()
	}
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
