package build

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
)

// Progress is how far a go build is: Done of the Total packages the program
// depends on have been compiled (a build with a warm cache compiles few of
// them and ends early), Package the last one.
type Progress struct {
	Done, Total int
	Package     string
}

// OnProgress makes the builds that run the go command report, to fn, each
// package compiled (go build -v); fn runs on the build's goroutine and must
// not block. Builds that compile and link directly report nothing: they
// compile one package.
func (b *Builder) OnProgress(fn func(Progress)) {
	b.mu.Lock()
	b.progress = fn
	b.mu.Unlock()
}

// importPathRE matches a line of go build -v: an import path alone.
var importPathRE = regexp.MustCompile(`^[A-Za-z0-9_~.+-]+(/[A-Za-z0-9_~.+-]+)*$`)

// progressWriter takes go build -v's standard error: the import paths it
// counts, the rest (compiler messages) goes to out.
type progressWriter struct {
	out     *bytes.Buffer
	report  func(Progress)
	partial []byte

	mu    sync.Mutex
	done  int
	total int // 0 until known
}

func (w *progressWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		if importPathRE.MatchString(line) {
			w.mu.Lock()
			w.done++
			pr := Progress{Done: w.done, Total: max(w.total, w.done), Package: line}
			w.mu.Unlock()
			w.report(pr)
			continue
		}
		w.out.WriteString(line)
		w.out.WriteByte('\n')
	}
	return len(p), nil
}

// flush writes an unfinished last line to out.
func (w *progressWriter) flush() {
	if len(w.partial) > 0 {
		w.out.Write(w.partial)
		w.partial = nil
	}
}

// countDeps finds, beside the build, how many packages the program
// depends on (itself included), for Progress.Total.
func (w *progressWriter) countDeps(ctx context.Context, b *Builder, env []string) {
	args := append([]string{"list", "-deps", "-tags=" + ChildTag}, b.args...)
	args = append(args, b.pkgArgs()...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.t.Dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		return
	}
	n := len(strings.Fields(string(out)))
	w.mu.Lock()
	w.total = n
	w.mu.Unlock()
}
