package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
)

func TestLocate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lone := t.TempDir()
	if err := os.WriteFile(filepath.Join(lone, "scene.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path    string
		mode    Mode
		dir     string   // suffix
		files   []string // Target.Files
		wantErr string
	}{
		{path: filepath.Join(lone, "scene.go"), mode: Lone, dir: lone, files: []string{"scene.go"}},
		{path: lone, mode: Lone, dir: lone},
		{path: "../watch", mode: InModule, dir: filepath.Join("internal", "dev", "watch")},
		{path: "github.com/vizserve/vizserve/internal/link", mode: InModule, dir: filepath.Join("internal", "link")},
		{path: filepath.Join(lone, "nope.go"), wantErr: "no such file"},
		{path: "example.com/no/such/package", wantErr: "not a file, a directory or a package"},
		{path: "", wantErr: "no scene given"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := Locate(ctx, tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Locate = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Mode != tt.mode || !strings.HasSuffix(got.Dir, tt.dir) || !filepath.IsAbs(got.Dir) || !slices.Equal(got.Files, tt.files) {
				t.Errorf("Locate = %+v, want mode %v in %s", got, tt.mode, tt.dir)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	b := &Builder{display: "scenes/ball/", t: &Target{Dir: "/home/x/scenes/ball"}}
	got := b.format("# vizscene\n./scene.go:12:3: undefined: x\n/home/x/scenes/ball/scene.go:13:1: too many errors\n")
	want := "scenes/ball/scene.go:12:3: undefined: x\nscenes/ball/scene.go:13:1: too many errors"
	if got != want {
		t.Errorf("format = %q, want %q", got, want)
	}
}

// A lone scene builds offline against this source tree, and its compile
// errors name the scene's own file; nothing is written next to it.
func TestLoneBuild(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a program")
	}
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "scene.go")
	src := "package main\n\nimport \"github.com/vizserve/vizserve/scene\"\n\nfunc main() { _ = scene.New(scene.Options{}) }\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tg, err := Locate(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, tg, filepath.Join(t.TempDir(), "b"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Build(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(res.Bin); err != nil || fi.Mode()&0o111 == 0 || res.Duration <= 0 {
		t.Errorf("binary %s: %v %v", res.Bin, fi, err)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(src, "_ = scene", "_ = undefinedThing; _ = scene", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = b.Build(ctx, nil)
	be, ok := err.(*Error)
	if !ok || !strings.Contains(be.Output, "scene.go:5:") || !strings.Contains(be.Output, "undefined: undefinedThing") || strings.Contains(be.Output, "# ") {
		t.Errorf("error = %v", err)
	}
	if des, _ := os.ReadDir(dir); len(des) != 1 {
		t.Errorf("files next to the scene: %v", des)
	}
}

func TestMain(m *testing.M) { leakcheck.Main(m) }

// After Prepare, an edit of the package's own file compiles and links
// directly; a new import takes go build again; both binaries work.
func TestFastRebuild(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds programs")
	}
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "scene.go")
	prog := func(body, imports string) string {
		return "package main\n\nimport (\n\t\"fmt\"\n" + imports + ")\n\nfunc main() { fmt.Println(" + body + ") }\n"
	}
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runBin := func(res *Result) string {
		t.Helper()
		out, err := exec.Command(res.Bin).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", res.Bin, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write(prog(`"one"`, ""))
	tg, err := Locate(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, tg, filepath.Join(t.TempDir(), "b"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Build(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Fast || runBin(res) != "one" {
		t.Fatalf("first build: fast %v", res.Fast)
	}
	if err := b.Prepare(ctx); err != nil {
		t.Fatal(err)
	}

	write(prog(`"two"`, ""))
	if res, err = b.Build(ctx, []string{file}); err != nil {
		t.Fatal(err)
	}
	t.Logf("fast rebuild: %v (compile %v, link %v)", res.Duration, res.Compile, res.Link)
	if !res.Fast || runBin(res) != "two" {
		t.Errorf("edit: fast %v, want a fast build printing two", res.Fast)
	}

	// A compile error from the fast path reads like go build's.
	write(prog(`undefinedThing`, ""))
	_, err = b.Build(ctx, []string{file})
	if be, ok := err.(*Error); !ok || !strings.Contains(be.Output, "scene.go:7:") || !strings.Contains(be.Output, "undefined: undefinedThing") {
		t.Errorf("error = %v", err)
	}

	// A new import: go build.
	write(prog(`strings.ToUpper("three")`, "\t\"strings\"\n"))
	if res, err = b.Build(ctx, []string{file}); err != nil {
		t.Fatal(err)
	}
	if res.Fast || runBin(res) != "THREE" || b.Fast() {
		t.Errorf("new import: fast %v (recipe kept: %v), want go build", res.Fast, b.Fast())
	}
	// Unknown changes: go build.
	if err := b.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if res, err = b.Build(ctx, nil); err != nil || res.Fast {
		t.Errorf("unknown change: %v, fast %v", err, res != nil && res.Fast)
	}
}

// writeFiles writes name → contents into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func output(t *testing.T, res *Result) string {
	t.Helper()
	out, err := exec.Command(res.Bin).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", res.Bin, err, out)
	}
	return strings.TrimSpace(string(out))
}

func newBuilder(t *testing.T, path string) *Builder {
	t.Helper()
	ctx := context.Background()
	tg, err := Locate(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, tg, filepath.Join(t.TempDir(), "b"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func printer(s string) string {
	return "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"" + s + "\") }\n"
}

// A scene named as a file is built alone, as go run builds it, beside
// another file with a main of its own; the fast path keeps to that file
// too. The directory, named instead, has two mains: one line says so and
// what to do.
func TestFileTarget(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds programs")
	}
	ctx := context.Background()
	dir := t.TempDir()
	a := filepath.Join(dir, "a.go")
	writeFiles(t, dir, map[string]string{"a.go": printer("a1"), "b.go": printer("b")})

	b := newBuilder(t, a)
	res, err := b.Build(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := output(t, res); got != "a1" {
		t.Fatalf("a.go alone prints %q, want a1", got)
	}
	if err := b.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"a.go": printer("a2")})
	if res, err = b.Build(ctx, []string{a}); err != nil {
		t.Fatal(err)
	}
	if got := output(t, res); !res.Fast || got != "a2" {
		t.Errorf("rebuild of a.go: fast %v, prints %q; want a fast build printing a2", res.Fast, got)
	}

	_, err = newBuilder(t, dir).Build(ctx, nil)
	want := a + " and " + filepath.Join(dir, "b.go") + " both declare func main: name one file to serve it alone (vizserve " + a + "), or move the other to a directory of its own"
	if be, ok := err.(*Error); !ok || be.Output != want {
		t.Errorf("directory with two mains: %v, want one line with %q", err, want)
	}
}

// A package that is not main, and a lone scene's import that no module in
// the cache provides, each get one line that says what to do.
func TestMistakes(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds programs")
	}
	tests := []struct {
		name, src, want string
	}{
		{"not main", "package scene\n\nfunc Draw() {}\n",
			"scene.go: package scene is not a program: a scene is package main, with a func main that ends with vizserve.Run(s, nil)"},
		{"a file without main", "package main\n\nfunc helper() {}\n",
			"scene.go declares no func main: name the file that does, or the directory to serve its package (vizserve "},
		{"unfetchable import", "package main\n\nimport \"github.com/x/y\"\n\nfunc main() { y.F() }\n",
			"scene.go imports github.com/x/y, which vizserve cannot fetch for a scene outside a module: run `go mod init scene && go mod tidy` in "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"scene.go": tt.src})
			_, err := newBuilder(t, filepath.Join(dir, "scene.go")).Build(context.Background(), nil)
			be, ok := err.(*Error)
			if !ok || !strings.Contains(be.Output, tt.want) || strings.Contains(be.Output, "\n") {
				t.Errorf("error = %v, want one line with %q", err, tt.want)
			}
		})
	}
}
