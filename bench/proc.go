package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MemStats is a server process's memory, after a garbage collection.
type MemStats struct {
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	HeapAlloc  uint64 `json:"heap_alloc"`
	RSS        uint64 `json:"rss"` // resident set size from /proc/self/statm
	Goroutines int    `json:"goroutines"`
}

// ReadMem collects garbage, returns freed memory to the system (so that RSS
// is comparable between two readings) and reads the process's memory.
func ReadMem() MemStats {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return MemStats{
		HeapInuse:  ms.HeapInuse,
		StackInuse: ms.StackInuse,
		HeapAlloc:  ms.HeapAlloc,
		RSS:        rss(),
		Goroutines: runtime.NumGoroutine(),
	}
}

// rss reads the resident set size from /proc/self/statm, or 0 where there
// is none.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// AllocStats counts a process's allocations and CPU time so far.
type AllocStats struct {
	Mallocs    uint64 `json:"mallocs"`
	TotalAlloc uint64 `json:"total_alloc"`
	CPU        int64  `json:"cpu_ns"` // user + system CPU time of the process
	Conns      int    `json:"conns"`  // connections that reached their echo loop
	NumGC      uint32 `json:"num_gc"` // garbage collections completed
}

// CPUTime returns the user + system CPU time the process has used, all
// threads together.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// RaiseFileLimit raises the soft limit on open files to the hard limit and
// returns the new soft limit.
func RaiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, err
		}
	}
	return l.Cur, nil
}

// ServerMain is the body of the server commands (cmd/echoserver,
// cmd/idleserver). It serves the echo of the library named by -lib on
// -addr, prints "addr HOST:PORT", then answers commands read from stdin,
// one line each, until stdin ends:
//
//	stats        {"mallocs":…,"total_alloc":…,"cpu_ns":…,"conns":…} (AllocStats)
//	mem          MemStats as JSON, after a garbage collection
//	wait N SECS  "ok N" once N connections are in their echo loop, or an
//	             "error …" line after SECS seconds
//	heap PATH    writes a heap profile to PATH (after a garbage
//	             collection) and answers "ok"
//
// An unknown command gets an "error …" line.
func ServerMain(name string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	libName := fs.String("lib", "ours", "library: "+strings.Join(Names(Libs), ", "))
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	spawn := fs.Bool("spawn", false, "run each connection's echo loop in its own goroutine and return from the HTTP handler")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lib, err := LibByName(*libName)
	if err != nil {
		return err
	}
	if _, err := RaiseFileLimit(); err != nil {
		return fmt.Errorf("raise the open file limit: %w", err)
	}
	srv, err := StartServer(lib, *addr, &ServerOptions{Spawn: *spawn})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "addr %s\n", srv.Addr())

	return serveCommands(srv, stdin, stdout)
}

// serveCommands answers the commands of ServerMain's doc comment for srv until stdin ends.
func serveCommands(srv *Server, stdin io.Reader, stdout io.Writer) error {
	sc := bufio.NewScanner(stdin)
	enc := json.NewEncoder(stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0:
		case f[0] == "stats" && len(f) == 1:
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			enc.Encode(AllocStats{Mallocs: ms.Mallocs, TotalAlloc: ms.TotalAlloc, CPU: int64(CPUTime()), Conns: srv.Total(), NumGC: ms.NumGC})
		case f[0] == "mem" && len(f) == 1:
			enc.Encode(ReadMem())
		case f[0] == "wait" && len(f) == 3:
			n, err1 := strconv.Atoi(f[1])
			secs, err2 := strconv.ParseFloat(f[2], 64)
			if err1 != nil || err2 != nil {
				fmt.Fprintf(stdout, "error bad wait command %q\n", sc.Text())
				continue
			}
			if err := waitActive(srv, n, time.Duration(secs*float64(time.Second))); err != nil {
				fmt.Fprintf(stdout, "error %v\n", err)
				continue
			}
			fmt.Fprintf(stdout, "ok %d\n", srv.Active())
		case f[0] == "heap" && len(f) == 2:
			if err := writeHeapProfile(f[1]); err != nil {
				fmt.Fprintf(stdout, "error %v\n", err)
				continue
			}
			fmt.Fprintln(stdout, "ok")
		default:
			fmt.Fprintf(stdout, "error unknown command %q\n", sc.Text())
		}
	}
	return sc.Err()
}

func writeHeapProfile(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// waitActive waits until n connections are in their echo loop. The server
// has no event to wait on for this, so it polls.
func waitActive(srv *Server, n int, timeout time.Duration) error {
	deadline := time.After(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for srv.Active() < n {
		select {
		case <-tick.C:
		case <-deadline:
			return fmt.Errorf("%d of %d connections active after %v", srv.Active(), n, timeout)
		}
	}
	return nil
}

// Build compiles the bench commands named (such as "echoserver") into dir
// and returns their paths. It runs the go command, and must be called from
// inside the bench module.
func Build(ctx context.Context, dir string, names ...string) ([]string, error) {
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	paths := make([]string, len(names))
	for i, n := range names {
		args = append(args, "github.com/vizserve/vizserve/bench/cmd/"+n)
		paths[i] = filepath.Join(dir, n)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return paths, nil
}

// Proc is a child process that takes commands on its stdin and answers
// with lines on its stdout.
type Proc struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string   // stdout, line by line; closed at EOF
	done  chan struct{} // closed when the process has exited
	err   error         // from Wait, once done is closed
}

// StartProc starts path with args. Its stderr goes to the parent's.
func StartProc(path string, args ...string) (*Proc, error) {
	cmd := exec.Command(path, args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{cmd: cmd, in: in, lines: make(chan string, 16), done: make(chan struct{})}
	// The reader ends at EOF on stdout, which the process's exit brings;
	// Wait is called only after it, as exec requires.
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.err = cmd.Wait()
	}()
	return p, nil
}

// Line returns the next line the process prints, waiting at most timeout.
func (p *Proc) Line(timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case l, ok := <-p.lines:
		if !ok {
			return "", fmt.Errorf("%s exited: %v", filepath.Base(p.cmd.Path), p.wait())
		}
		return l, nil
	case <-t.C:
		return "", fmt.Errorf("%s: no answer within %v", filepath.Base(p.cmd.Path), timeout)
	}
}

func (p *Proc) wait() error {
	<-p.done
	return p.err
}

// Ask sends a command line and returns the answer line. An answer starting
// with "error" is returned as an error.
func (p *Proc) Ask(cmd string, timeout time.Duration) (string, error) {
	if _, err := io.WriteString(p.in, cmd+"\n"); err != nil {
		return "", fmt.Errorf("%s: send %q: %w", filepath.Base(p.cmd.Path), cmd, err)
	}
	l, err := p.Line(timeout)
	if err != nil {
		return "", err
	}
	if rest, ok := strings.CutPrefix(l, "error"); ok {
		return "", fmt.Errorf("%s: %s: %s", filepath.Base(p.cmd.Path), cmd, strings.TrimSpace(rest))
	}
	return l, nil
}

// AskJSON sends a command and decodes its JSON answer into v.
func (p *Proc) AskJSON(cmd string, timeout time.Duration, v any) error {
	l, err := p.Ask(cmd, timeout)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(l), v); err != nil {
		return fmt.Errorf("%s: %s: bad answer %q: %w", filepath.Base(p.cmd.Path), cmd, l, err)
	}
	return nil
}

// Close closes the process's stdin, which tells it to exit, and waits for
// it at most timeout before killing it. What it still prints is dropped.
func (p *Proc) Close(timeout time.Duration) error {
	p.in.Close()
	t := time.NewTimer(timeout)
	defer t.Stop()
	killed := false
	for lines := p.lines; lines != nil; {
		select {
		case _, ok := <-lines:
			if !ok {
				lines = nil
			}
		case <-t.C:
			p.cmd.Process.Kill()
			killed = true
		}
	}
	err := p.wait()
	if killed {
		return fmt.Errorf("%s did not exit within %v; killed", filepath.Base(p.cmd.Path), timeout)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(p.cmd.Path), err)
	}
	return nil
}
