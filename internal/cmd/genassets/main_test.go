package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBuildDeterministic builds the client twice and into a scratch
// package twice: the same bytes and names each time, and nothing changes
// on the second write.
func TestBuildDeterministic(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(root)
	if err != nil {
		t.Fatal(err)
	}
	b, err := build(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("built %d and %d files, want 3", len(a), len(b))
	}
	for i := range a {
		if a[i].File != b[i].File || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Errorf("%s: two builds differ (%s, %s)", a[i].Name, a[i].File, b[i].File)
		}
	}
	js := string(a[0].Data)
	for _, bad := range []string{"sourceMappingURL", "\n\n", "export{", `from"./`} {
		if strings.Contains(js, bad) {
			t.Errorf("the bundle contains %q", bad)
		}
	}

	dir := t.TempDir()
	// A stale file from an earlier build goes away.
	if err := os.MkdirAll(filepath.Join(dir, "dist"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dist", "client-old.js"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := write(dir, a); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, dir)
	if err := write(dir, b); err != nil {
		t.Fatal(err)
	}
	second := snapshot(t, dir)
	if first != second {
		t.Errorf("a second write changed the output:\n%s\n---\n%s", first, second)
	}
	if strings.Contains(first, "client-old.js") {
		t.Error("the stale file was kept")
	}
	for _, f := range a {
		// gofmt aligns the manifest's values: match the entry without its spaces.
		entry := regexp.MustCompile(regexp.QuoteMeta(`"`+f.Name+`":`) + ` +` + regexp.QuoteMeta(`"`+f.File+`"`))
		if !strings.Contains(first, "dist/"+f.File) || !entry.MatchString(first) {
			t.Errorf("%s missing from the output:\n%s", f.File, first)
		}
	}
}

// snapshot lists the files under dir with the manifest's text.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(filepath.ToSlash(rel) + "\n")
		if strings.HasSuffix(p, ".go") {
			b.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestBuildError(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "web", "client")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "tsconfig.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(src, "main.ts"), []byte("const x: number = ;\n"), 0o644)
	os.WriteFile(filepath.Join(src, "style.css"), []byte("a{}"), 0o644)
	_, err := build(root)
	if err == nil || !strings.Contains(err.Error(), "web/client/main.ts:1:") {
		t.Errorf("error %v, want one naming web/client/main.ts:1", err)
	}
}
