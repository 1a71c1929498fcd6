package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
		dir     string // suffix
		wantErr string
	}{
		{path: filepath.Join(lone, "scene.go"), mode: Lone, dir: lone},
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
			if got.Mode != tt.mode || !strings.HasSuffix(got.Dir, tt.dir) || !filepath.IsAbs(got.Dir) {
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
