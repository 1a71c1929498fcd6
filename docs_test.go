package vizserve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vizserve/vizserve/internal/supervise"
	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/internal/testkit/peers"
)

// The docs' Go programs are built and run, so that an example cannot go
// stale. A ```go block in README.md or docs/*.md that is a complete program
// (package main with func main) is built in a module of its own that uses
// this checkout, then run:
//
//   - a scene (it calls vizserve.Run) is served on 127.0.0.1:0; the test
//     fetches its page and /snapshot.svg, interrupts it and expects exit
//     status 0;
//   - another program must end by itself with status 0;
//   - a block right after a <!-- compile-only --> line is only built (for a
//     program that serves forever or needs what a test does not have).
//
// Blocks with no package clause are fragments: counted, not built.

// compileOnly marks the block that follows it as a program to build only.
const compileOnly = "<!-- compile-only -->"

// minPrograms is how many complete programs each file has at least: a
// block that stops parsing as a program (a lost package clause, a broken
// fence) would otherwise drop out of the test silently.
var minPrograms = map[string]int{
	"README.md":     1,
	"docs/scene.md": 1,
	"docs/plots.md": 1,
}

// docBlock is a ```go block of a Markdown file.
type docBlock struct {
	file        string // relative to the module root, with slashes
	line        int    // of the opening fence
	src         string
	compileOnly bool
}

func (b docBlock) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// goBlocks returns the ```go blocks of the Markdown file at path (name is
// how to show it). A fence may be indented, as in a list; the block's lines
// lose that indentation.
func goBlocks(path, name string) ([]docBlock, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var (
		blocks  []docBlock
		cur     *docBlock
		indent  string
		body    strings.Builder
		prev    string // the last non-blank line outside a block
		lineNum int
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		lineNum++
		l := sc.Text()
		trimmed := strings.TrimSpace(l)
		if cur == nil {
			if strings.HasPrefix(trimmed, "```") {
				info := strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))
				if lang, _, _ := strings.Cut(info, " "); lang == "go" {
					cur = &docBlock{file: name, line: lineNum, compileOnly: prev == compileOnly}
					indent = l[:len(l)-len(strings.TrimLeft(l, " \t"))]
					body.Reset()
				}
			}
			if trimmed != "" {
				prev = trimmed
			}
			continue
		}
		if trimmed == "```" {
			cur.src = body.String()
			blocks = append(blocks, *cur)
			cur, prev = nil, trimmed
			continue
		}
		body.WriteString(strings.TrimPrefix(l, indent))
		body.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, fmt.Errorf("%s: the block opened here is never closed", cur)
	}
	return blocks, nil
}

// programKind says what a block is.
type programKind int

const (
	fragment     programKind = iota // no package clause, or no func main
	sceneProgram                    // calls vizserve.Run
	plainProgram                    // a program that ends by itself
)

// classify tells what b is, or why a block that says it is a program does
// not parse.
func classify(b docBlock) (programKind, error) {
	fset := token.NewFileSet()
	if _, err := parser.ParseFile(fset, b.file, b.src, parser.PackageClauseOnly); err != nil {
		return fragment, nil // no package clause: a fragment
	}
	f, err := parser.ParseFile(fset, b.file, b.src, 0)
	if err != nil {
		return fragment, fmt.Errorf("%s: a block with a package clause does not parse: %v", b, err)
	}
	if f.Name.Name != "main" || !hasMain(f) {
		return fragment, nil
	}
	viz := "" // the name the root package is imported as
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/vizserve/vizserve" {
			viz = "vizserve"
			if imp.Name != nil {
				viz = imp.Name.Name
			}
		}
	}
	kind := plainProgram
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Run" {
			if id, ok := sel.X.(*ast.Ident); ok && viz != "" && id.Name == viz {
				kind = sceneProgram
			}
		}
		return true
	})
	return kind, nil
}

func hasMain(f *ast.File) bool {
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "main" {
			return true
		}
	}
	return false
}

func TestDocPrograms(t *testing.T) {
	root, err := os.Getwd() // the module root: the root package's directory
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(root, "README.md")}, files...)

	type program struct {
		docBlock
		kind programKind
	}
	var progs []program
	perFile := map[string]int{}
	var scenes, plain, compiled, fragments int
	for _, path := range files {
		name, err := filepath.Rel(root, path)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := goBlocks(path, filepath.ToSlash(name))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			kind, err := classify(b)
			if err != nil {
				t.Error(err)
				continue
			}
			switch {
			case kind == fragment:
				if b.compileOnly {
					t.Errorf("%s: marked %s but is not a complete program (package main with func main)", b, compileOnly)
				}
				fragments++
				continue
			case b.compileOnly:
				compiled++
			case kind == sceneProgram:
				scenes++
			default:
				plain++
			}
			perFile[b.file]++
			progs = append(progs, program{b, kind})
		}
	}
	t.Logf("Go blocks in the docs: %d scene programs run and served, %d programs run, %d programs only compiled, %d fragments skipped",
		scenes, plain, compiled, fragments)
	for file, want := range minPrograms {
		if perFile[file] < want {
			t.Errorf("%s: %d complete Go programs, want at least %d", file, perFile[file], want)
		}
	}

	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range progs {
		t.Run(strings.NewReplacer("/", "_", ".md", "").Replace(p.String()), func(t *testing.T) {
			t.Parallel()
			bin := buildDocProgram(t, root, sum, p.docBlock)
			switch {
			case p.compileOnly:
			case p.kind == sceneProgram:
				serveDocScene(t, bin)
			default:
				runDocProgram(t, bin)
			}
		})
	}
}

// buildDocProgram builds b's program in a module of its own that uses the
// vizserve in root (as a scene outside any module is built by vizserve,
// see internal/dev/build/module.go) and returns the binary's path.
func buildDocProgram(t *testing.T, root string, sum []byte, b docBlock) string {
	t.Helper()
	dir := t.TempDir()
	gomod := fmt.Sprintf("module docprogram\n\ngo 1.26.0\n\nrequire github.com/vizserve/vizserve v0.0.0-00010101000000-000000000000\n\nreplace github.com/vizserve/vizserve => %s\n", root)
	// The line directive makes the compiler's errors point into the Markdown.
	src := fmt.Sprintf("//line %s:%d\n%s", b.file, b.line+1, b.src)
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": []byte(src)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "docprogram")
	ctx, cancel := deadline.Context(t)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = dir
	// -mod=mod fills in the requirements vizserve's go.mod brings; every
	// module is already in the cache, since this test was built.
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"), "GOPROXY=off", "GOWORK=off")
	supervise.Group(cmd) // a stopped build takes its compiler and linker with it
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: the program does not build: %v\n%s", b, err, out)
	}
	return bin
}

// runDocProgram runs a program that ends by itself and expects status 0.
func runDocProgram(t *testing.T, bin string) {
	t.Helper()
	p := peers.Run(t, exec.Command(bin))
	ctx, cancel := deadline.Context(t)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("%v\n(a program that serves forever without vizserve.Run needs %s on the line before its fence)", err, compileOnly)
	}
}

var liveAt = regexp.MustCompile(`^vizserve: live at (http://\S+)`)

// serveDocScene runs a scene program on a free port, checks its page and
// snapshot, then interrupts it and expects a clean exit.
func serveDocScene(t *testing.T, bin string) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "VIZSERVE_ADDR=127.0.0.1:0")
	p := peers.Run(t, cmd)
	ctx, cancel := deadline.Context(t)
	defer cancel()
	var url string
	for url == "" {
		line, err := p.Line(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m := liveAt.FindStringSubmatch(line); m != nil {
			url = strings.TrimSuffix(m[1], "/")
		}
	}

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	page := docGet(ctx, t, client, url+"/", "text/html")
	if !bytes.Contains(page, []byte("<svg")) {
		t.Errorf("the page at %s/ has no <svg>:\n%s", url, page)
	}
	snap := docGet(ctx, t, client, url+"/snapshot.svg", "image/svg+xml")
	if err := nonEmptySVG(snap); err != nil {
		t.Errorf("%s/snapshot.svg: %v\n%s", url, err, snap)
	}

	if err := syscall.Kill(p.Pid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("after SIGINT: %v", err)
	}
}

// docGet fetches url and returns the body, failing the test unless the
// status is 200 and the content type starts with contentType.
func docGet(ctx context.Context, t *testing.T, client *http.Client, url, contentType string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), contentType) {
		t.Fatalf("GET %s: %s, Content-Type %q, want 200 and %s\n%s", url, resp.Status, resp.Header.Get("Content-Type"), contentType, body)
	}
	return body
}

// nonEmptySVG checks that doc is well-formed XML whose root is an <svg>
// element with at least one element inside.
func nonEmptySVG(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	depth, elements := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 && elements == 0 && tok.Name.Local != "svg" {
				return fmt.Errorf("root element <%s>, want <svg>", tok.Name.Local)
			}
			depth++
			elements++
		case xml.EndElement:
			depth--
		}
	}
	if elements < 2 {
		return errors.New("an empty <svg>")
	}
	return nil
}
