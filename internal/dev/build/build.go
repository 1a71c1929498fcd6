// Package build finds a scene's package and builds it with the go command,
// keeping the build cache warm and measuring every build.
//
//	t, err := build.Locate(ctx, "./scene.go")   // a file, a directory or a package path
//	b, err := build.New(ctx, t, tmpDir)          // makes a module for a lone scene.go
//	res, err := b.Build(ctx)                     // res.Bin, res.Duration; a *build.Error says why not
//
// A scene lives in one of three places: in the vizserve module itself (the
// examples), in a module of its own that requires vizserve, or alone in a
// directory with no go.mod. For the last, the builder writes a go.mod in a
// temporary directory and lays it over the scene's directory with the go
// command's -overlay flag (nothing is written next to the scene): it
// requires the vizserve this program was built from, either through a
// replace directive to its source checkout or at the version in the
// module cache, and builds offline (GOPROXY=off).
package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vizserve/vizserve/internal/supervise"
)

// Mode is where a scene lives.
type Mode int

// Modes.
const (
	InModule Mode = iota // in a module: the vizserve repository or the user's own
	Lone                 // in a directory without go.mod: a temporary module is laid over it
)

func (m Mode) String() string {
	if m == Lone {
		return "lone"
	}
	return "module"
}

// Target is a located scene.
type Target struct {
	// Dir is the directory of the scene's package: what is built and
	// watched.
	Dir string
	// Files, if set, are the only files of the program (names in Dir), as
	// `go run scene.go` takes them: the scene was named as a file. Nil
	// means the directory's package.
	Files []string
	// Display is the scene as a person named it (the PATH argument).
	Display string
	// Mode says how it is built.
	Mode Mode
	// GoMod is the go.mod file of its module (InModule).
	GoMod string
}

// Locate finds the program that path names: a .go file (that file alone,
// as `go run scene.go` builds it), a directory (its package), or an import
// path that `go list` resolves from the working directory.
func Locate(ctx context.Context, path string) (*Target, error) {
	if path == "" {
		return nil, errors.New("no scene given: name a .go file, its directory or a package")
	}
	t := &Target{Display: path}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		t.Dir = path
	case err == nil && strings.HasSuffix(path, ".go"):
		t.Dir = filepath.Dir(path)
		t.Files = []string{filepath.Base(path)}
	case err == nil:
		return nil, fmt.Errorf("%s is neither a .go file nor a directory", path)
	case strings.HasSuffix(path, ".go"):
		return nil, fmt.Errorf("%s: no such file", path)
	default:
		dir, err := goOutput(ctx, "", nil, "list", "-f", "{{.Dir}}", path)
		if err != nil {
			return nil, fmt.Errorf("%s is not a file, a directory or a package the go command finds from here: %w", path, err)
		}
		t.Dir = dir
	}
	if t.Dir, err = filepath.Abs(t.Dir); err != nil {
		return nil, err
	}
	gomod, err := goOutput(ctx, t.Dir, []string{"GOFLAGS=-mod=mod"}, "env", "GOMOD")
	if err != nil {
		return nil, err
	}
	if gomod == "" || gomod == os.DevNull {
		t.Mode = Lone
	} else {
		t.GoMod = gomod
	}
	return t, nil
}

// goOutput runs the go command and returns its trimmed standard output.
func goOutput(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("go %s: %s", strings.Join(args, " "), msg)
	}
	return strings.TrimSpace(string(out)), nil
}

// Builder builds one scene again and again into numbered binaries in a
// directory of its own.
type Builder struct {
	mu      sync.Mutex // one build at a time
	t       *Target
	dir     string   // the builder's directory: binaries, overlay
	args    []string // extra go build flags (the overlay)
	env     []string // extra environment
	n       int
	last    string  // the previous binary
	recipe  *recipe // for fast rebuilds; nil until Prepare
	display string  // the scene's directory as shown in errors, "" for the working directory

	progress func(Progress) // OnProgress
}

// Flags are the go build flags of every build. The linker is spared the
// symbol table and DWARF (-s -w): they are most of its work for a small
// program and no one debugs the dev build of a scene; stack traces keep
// their file names and lines. The vizserve_child tag leaves out the server
// a scene program would need to serve itself (vizserve.Run serves it from
// the front instead): a smaller program to link on every save.
var Flags = []string{"-tags=" + ChildTag, "-ldflags=-s -w"}

// ChildTag is the build tag of scene programs built for the front.
const ChildTag = "vizserve_child"

// New prepares a Builder for t that puts its files in dir (which it
// creates; remove it when done). For a lone scene it writes the temporary
// module.
func New(ctx context.Context, t *Target, dir string) (*Builder, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	b := &Builder{t: t, dir: dir}
	// The go command's own temporary files go in dir too, so that they
	// go with it: a go command killed mid-build (a newer save, Ctrl-C)
	// cannot remove its work directory itself.
	gotmp := filepath.Join(dir, "gotmp")
	if err := os.MkdirAll(gotmp, 0o700); err != nil {
		return nil, err
	}
	b.env = []string{"GOTMPDIR=" + gotmp}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, t.Dir); err == nil && !strings.HasPrefix(rel, "..") {
			if rel != "." {
				b.display = rel + string(filepath.Separator)
			}
		} else {
			b.display = t.Dir + string(filepath.Separator)
		}
	}
	if t.Mode == Lone {
		overlay, err := writeLoneModule(ctx, t.Dir, dir)
		if err != nil {
			return nil, err
		}
		b.args = []string{"-overlay", overlay}
		// Everything a lone scene may import is in the module cache
		// already (it is what vizserve is built from): never go to the
		// network, never wait for it.
		b.env = append(b.env, "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	}
	return b, nil
}

// Result is a finished build.
type Result struct {
	Bin      string        // the executable
	Duration time.Duration // how long the build took
	Fast     bool          // compiled and linked directly, not by go build
	// Compile and Link split Duration, for a fast build.
	Compile, Link time.Duration
}

// Error is a failed build: the compiler's messages, with file names as the
// person sees them.
type Error struct {
	Output   string
	Duration time.Duration
}

func (e *Error) Error() string { return "build failed:\n" + e.Output }

// Build builds the scene and returns the new binary. changed lists the
// files changed since the previous build, if known (nil: unknown, or a
// first build): when they are all the package's own Go files and its files
// and imports are those of the recipe taken by Prepare, Build compiles and
// links directly; otherwise it runs go build, after which Prepare should
// be called again. The previous binary is removed once a new one exists.
// Cancelling ctx stops the build and every process it started.
func (b *Builder) Build(ctx context.Context, changed []string) (*Result, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.check(); err != nil {
		return nil, err
	}
	b.n++
	bin := filepath.Join(b.dir, fmt.Sprintf("scene-%d", b.n))
	var res *Result
	var err error
	if b.fastOK(changed) {
		res, err = b.fast(ctx, bin)
		var be *Error
		if err != nil && !errors.As(err, &be) && ctx.Err() == nil {
			b.recipe = nil // stale: go build knows better
			res, err = nil, nil
		}
	}
	if res == nil && err == nil {
		b.recipe = nil
		res, err = b.run(ctx, bin, b.env)
		var be *Error
		if errors.As(err, &be) && b.t.Mode == InModule && offline(be.Output) {
			// The module needs something it does not have and the
			// network is not there: try the module cache alone.
			res, err = b.run(ctx, bin, []string{"GOPROXY=off", "GOFLAGS=-mod=mod"})
		}
	}
	if err != nil {
		return nil, err
	}
	if b.last != "" {
		os.Remove(b.last) // a child still running it keeps it open
	}
	b.last = bin
	return res, nil
}

// Fast reports whether rebuilds may take the fast way (Prepare succeeded
// since the last full build).
func (b *Builder) Fast() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.recipe != nil
}

// offline reports whether go build failed for want of the network.
func offline(out string) bool {
	for _, s := range []string{"dial tcp", "no such host", "connection refused", "i/o timeout", "network is unreachable", "proxy.golang.org"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

func (b *Builder) run(ctx context.Context, bin string, env []string) (*Result, error) {
	args := append([]string{"build", "-o", bin}, Flags...)
	var pw *progressWriter
	var counted sync.WaitGroup
	lctx, stopList := context.WithCancel(ctx)
	defer func() {
		stopList()
		counted.Wait()
	}()
	var out bytes.Buffer
	if b.progress != nil {
		args = append(args, "-v")
		pw = &progressWriter{out: &out, report: b.progress}
		counted.Go(func() { pw.countDeps(lctx, b, env) })
	}
	args = append(args, b.args...)
	args = append(args, b.pkgArgs()...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.t.Dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = &out
	cmd.Stderr = &out
	if pw != nil {
		cmd.Stdout, cmd.Stderr = pw, pw // one writer: exec calls it from one goroutine
	}
	supervise.Group(cmd)
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if pw != nil {
		pw.flush()
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		msg := b.format(out.String())
		if b.t.Mode == Lone {
			if m := b.unfetchable(msg); m != "" {
				msg = m
			}
		}
		if msg == "" {
			msg = err.Error()
		}
		return nil, &Error{Output: msg, Duration: d}
	}
	return &Result{Bin: bin, Duration: d}, nil
}

// format drops the go command's "# package" headers and shows file names
// relative to the working directory.
func (b *Builder) format(out string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.HasPrefix(l, "# ") || strings.HasPrefix(l, "go: finding module for package ") {
			continue
		}
		if rest, ok := strings.CutPrefix(l, "./"); ok {
			l = b.display + rest
		} else if rest, ok := strings.CutPrefix(l, b.t.Dir+string(filepath.Separator)); ok && b.t.Dir != "" {
			l = b.display + rest // the compiler run directly names files in full
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// pkgArgs names what go build and go list build: the named files, or the
// package in the directory.
func (b *Builder) pkgArgs() []string {
	if b.t.Files != nil {
		return b.t.Files
	}
	return []string{"."}
}

// goModJSON is what `go mod edit -json` prints, the parts used here.
type goModJSON struct {
	Module  struct{ Path string }
	Go      string
	Require []struct {
		Path     string
		Version  string
		Indirect bool
	}
}

func readGoMod(ctx context.Context, file string) (*goModJSON, error) {
	out, err := goOutput(ctx, "", nil, "mod", "edit", "-json", file)
	if err != nil {
		return nil, err
	}
	var m goModJSON
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return &m, nil
}
