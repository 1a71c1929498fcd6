package bundle

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
)

func write(t *testing.T, name, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func names(as []*Asset) string {
	var s []string
	for _, a := range as {
		s = append(s, a.Kind+":"+a.Name)
	}
	return strings.Join(s, " ")
}

func TestBundle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "style.css"), ".label { fill: red }\n")
	write(t, filepath.Join(dir, "main.ts"), "import { twice } from './lib/util'\nconst n: number = twice(2)\nconsole.log(n)\n")
	write(t, filepath.Join(dir, "lib", "util.ts"), "export function twice(x: number): number { return 2 * x }\n")
	write(t, filepath.Join(dir, "types.d.ts"), "declare const x: number\n")
	write(t, filepath.Join(dir, "scene.go"), "package main\n")
	b := New(dir, "/u/")

	changed, err := b.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	if got := names(changed); got != "js:main.js css:style.css" {
		t.Fatalf("first bundle = %s", got)
	}
	if js := string(changed[0].Body); !strings.Contains(js, "2 * x") || strings.Contains(js, ": number") {
		t.Errorf("main.js is not the bundled, type-stripped script:\n%s", js)
	}
	if u := changed[1].URL(); !strings.HasPrefix(u, "/u/style.css?v=") {
		t.Errorf("URL = %s", u)
	}

	// Nothing changed: nothing to send.
	if changed, err := b.Bundle(); err != nil || len(changed) != 0 {
		t.Errorf("second bundle = %s, %v", names(changed), err)
	}
	// An imported module changes: the script that imports it does.
	write(t, filepath.Join(dir, "lib", "util.ts"), "export function twice(x: number): number { return x + x }\n")
	if changed, err := b.Bundle(); err != nil || names(changed) != "js:main.js" {
		t.Errorf("after an import changed = %s, %v", names(changed), err)
	}

	// An error keeps the previous assets and names the place.
	write(t, filepath.Join(dir, "main.ts"), "const = 1\n")
	_, err = b.Bundle()
	if err == nil || !strings.Contains(err.Error(), "main.ts:1:") {
		t.Fatalf("error = %v, want one naming main.ts:1", err)
	}
	srv := httptest.NewServer(b)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/u/main.js?v=whatever")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "x + x") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("served %s %q:\n%s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	if resp, err := http.Get(srv.URL + "/u/nope.js"); err != nil || resp.StatusCode != 404 {
		t.Errorf("unknown asset: %v %v", resp.Status, err)
	} else {
		resp.Body.Close()
	}
}

func TestMain(m *testing.M) { leakcheck.Main(m) }
