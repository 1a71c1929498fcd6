package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vizserve/vizserve/internal/supervise"
)

// A rebuild after an edit of the scene's own files needs only two of the
// hundreds of steps go build considers: compile the scene's package and
// link. The go command spends more time deciding that (loading the module
// graph, hashing every dependency's files) than the compiler spends
// compiling, so after a full build the Builder records a recipe — the
// compiled dependencies (from `go list -export`), the package's files and
// imports — and replays it with the compiler and linker directly, as long
// as the package's files and imports are the ones recorded and nothing
// outside the package changed. Anything else (a new import, a file added or
// removed, a build constraint, cgo, assembly, embedded files, go.mod, a
// failed replay) takes the full go build.

// recipe is what a fast build replays.
type recipe struct {
	files     []string // the package's Go files (names in Dir)
	imports   []string // its imports
	compile   []byte   // importcfg for the compiler: the direct imports
	link      []byte   // importcfg for the linker: every dependency
	lang      string   // -lang
	tooldir   string
	goroot    string
	extld     string // "" without cgo
	goversion string
}

// listed is what `go list -json` says of a package, the parts used here.
type listed struct {
	ImportPath    string
	Name          string
	Export        string
	Standard      bool
	GoFiles       []string
	Imports       []string
	ImportMap     map[string]string
	CgoFiles      []string
	SFiles        []string
	CFiles        []string
	SysoFiles     []string
	EmbedPatterns []string
	Module        *struct{ GoVersion string }
	Error         *struct{ Err string }
}

// Prepare records the recipe for fast rebuilds, after a successful full
// build (whose compiled packages it finds in the build cache). It is safe
// to call concurrently with Build (it waits for it); its error only means
// that rebuilds stay full ones.
func (b *Builder) Prepare(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.recipe = nil
	env := append(os.Environ(), b.env...)
	args := append([]string{"list", "-tags=" + ChildTag, "-export", "-deps", "-json"}, b.args...)
	args = append(args, b.pkgArgs()...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.t.Dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	supervise.Group(cmd)
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go list: %v: %s", err, stderr.Bytes())
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("go list: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		return errors.New("go list: no packages")
	}
	main := pkgs[len(pkgs)-1] // -deps lists dependencies first
	if main.Name != "main" || main.Error != nil {
		return errors.New("not a main package")
	}
	if len(main.CgoFiles)+len(main.SFiles)+len(main.CFiles)+len(main.SysoFiles)+len(main.EmbedPatterns) > 0 {
		return errors.New("the package has cgo, assembly, C, syso or embedded files")
	}
	r := &recipe{files: main.GoFiles, imports: main.Imports}
	var cc, lc bytes.Buffer
	exports := map[string]string{}
	for _, p := range pkgs[:len(pkgs)-1] {
		if p.ImportPath == "unsafe" {
			continue
		}
		if p.Export == "" {
			return fmt.Errorf("no compiled package for %s", p.ImportPath)
		}
		exports[p.ImportPath] = p.Export
		fmt.Fprintf(&lc, "packagefile %s=%s\n", p.ImportPath, p.Export)
	}
	for _, imp := range main.Imports {
		path := imp
		if m, ok := main.ImportMap[imp]; ok {
			path = m
		}
		if imp == "unsafe" {
			continue
		}
		if path != imp {
			fmt.Fprintf(&cc, "importmap %s=%s\n", imp, path)
		}
		e, ok := exports[path]
		if !ok {
			return fmt.Errorf("no compiled package for %s", path)
		}
		fmt.Fprintf(&cc, "packagefile %s=%s\n", path, e)
	}
	r.compile, r.link = cc.Bytes(), lc.Bytes()
	r.lang = "go1.21"
	if main.Module != nil && main.Module.GoVersion != "" {
		parts := strings.SplitN(main.Module.GoVersion, ".", 3)
		if len(parts) >= 2 {
			r.lang = "go" + parts[0] + "." + parts[1]
		}
	}
	var genv struct{ GOROOT, GOTOOLDIR, CC, CGO_ENABLED, GOVERSION string }
	gout, err := goOutput(ctx, b.t.Dir, b.env, "env", "-json", "GOROOT", "GOTOOLDIR", "CC", "CGO_ENABLED", "GOVERSION")
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(gout), &genv); err != nil {
		return err
	}
	r.tooldir, r.goroot, r.goversion = genv.GOTOOLDIR, genv.GOROOT, genv.GOVERSION
	if genv.CGO_ENABLED == "1" {
		r.extld = genv.CC
	}
	b.recipe = r
	return nil
}

// fastOK reports whether the recipe fits the package as it is now, and
// only files of the package (changed, if the caller knows) changed since.
func (b *Builder) fastOK(changed []string) bool {
	r := b.recipe
	if r == nil || changed == nil {
		return false
	}
	for _, f := range changed {
		if filepath.Dir(f) != b.t.Dir || filepath.Ext(f) != ".go" {
			return false // go.mod, another package...
		}
	}
	pkg, err := b.importPkg()
	if err != nil || pkg.Name != "main" {
		return false
	}
	if len(pkg.CgoFiles)+len(pkg.SFiles)+len(pkg.CFiles)+len(pkg.SysoFiles)+len(pkg.EmbedPatterns) > 0 {
		return false
	}
	return slices.Equal(pkg.GoFiles, r.files) && slices.Equal(pkg.Imports, r.imports)
}

// fast compiles the package and links bin with the recipe. A failure to
// compile the scene's code is an *Error like go build's; anything else
// (the recipe no longer fits) is another error, and the caller falls back
// to go build.
func (b *Builder) fast(ctx context.Context, bin string) (*Result, error) {
	r := b.recipe
	start := time.Now()
	ccfg, lcfg, obj := filepath.Join(b.dir, "importcfg"), filepath.Join(b.dir, "importcfg.link"), filepath.Join(b.dir, "main.a")
	if err := os.WriteFile(ccfg, r.compile, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(lcfg, r.link, 0o600); err != nil {
		return nil, err
	}
	args := []string{"-o", obj, "-p", "main", "-lang=" + r.lang, "-complete", "-c=2", "-nolocalimports", "-importcfg", ccfg, "-pack"}
	if r.goversion != "" {
		args = append(args, "-goversion", r.goversion)
	}
	for _, f := range r.files {
		args = append(args, "./"+f)
	}
	out, err := b.tool(ctx, "compile", args)
	compiled := time.Now()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := b.format(out)
		if strings.Contains(msg, "could not import") || strings.Contains(msg, "importcfg") || strings.Contains(msg, "object is") {
			return nil, fmt.Errorf("compile: %s", msg) // the recipe is stale
		}
		return nil, &Error{Output: msg, Duration: time.Since(start)}
	}
	largs := []string{"-o", bin, "-importcfg", lcfg, "-buildmode=exe", "-s", "-w"}
	if r.extld != "" {
		largs = append(largs, "-extld="+r.extld)
	}
	largs = append(largs, obj)
	if out, err := b.tool(ctx, "link", largs); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("link: %v: %s", err, out)
	}
	linked := time.Now()
	return &Result{Bin: bin, Duration: linked.Sub(start), Fast: true, Compile: compiled.Sub(start), Link: linked.Sub(compiled)}, nil
}

func (b *Builder) tool(ctx context.Context, name string, args []string) (string, error) {
	r := b.recipe
	cmd := exec.CommandContext(ctx, filepath.Join(r.tooldir, name), args...)
	cmd.Dir = b.t.Dir
	cmd.Env = append(os.Environ(), "GOROOT="+r.goroot)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	supervise.Group(cmd)
	err := cmd.Run()
	return out.String(), err
}
