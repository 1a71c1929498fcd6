//go:build linux

package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/internal/testkit/peers"
)

// TestInitProject walks a new user's first steps on a machine of their
// own: with a fresh HOME, GOPATH (an empty module cache) and GOBIN, `go
// install ./cmd/vizserve` from this checkout, `vizserve init hello` in a
// directory outside it, then `vizserve hello`, which serves the template's
// scene. The module downloads come from the person's module proxy.
func TestInitProject(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: installs vizserve with an empty module cache")
	}
	t.Parallel()
	ctx, cancel := deadline.Context(t)
	defer cancel()
	cache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	home, work := t.TempDir(), t.TempDir()
	gopath, gobin := filepath.Join(home, "go"), filepath.Join(home, "bin")
	env := append(os.Environ(),
		"HOME="+home, "GOPATH="+gopath, "GOBIN="+gobin, "GOMODCACHE=",
		"GOCACHE="+strings.TrimSpace(string(cache)), // compiling all of it again would prove nothing more
		"GOFLAGS=-modcacherw",                       // so that the test can remove the module cache
		"TMPDIR="+t.TempDir())
	install := exec.CommandContext(ctx, "go", "install", "./")
	install.Env = env
	if out, err := install.CombinedOutput(); err != nil {
		if strings.Contains(string(out), "dial tcp") || strings.Contains(string(out), "GOPROXY=off") {
			t.Skipf("go install needs the module proxy, which this machine cannot reach:\n%s", out)
		}
		t.Fatalf("go install ./cmd/vizserve: %v\n%s", err, out)
	}
	viz := filepath.Join(gobin, "vizserve")

	initCmd := exec.CommandContext(ctx, viz, "init", "hello")
	initCmd.Dir, initCmd.Env = work, env
	out, err := initCmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vizserve init hello: %v\n%s", err, out)
	}
	t.Logf("vizserve init hello:\n%s", out)
	if !strings.Contains(string(out), "vizserve hello") {
		t.Errorf("init does not name the next command:\n%s", out)
	}
	proj := filepath.Join(work, "hello")
	for _, f := range []string{"go.mod", "go.sum", "scene.go", ".gitignore"} {
		if fi, err := os.Stat(filepath.Join(proj, f)); err != nil || fi.Size() == 0 {
			t.Errorf("init made no %s (%v)", f, err)
		}
	}
	gomod, _ := os.ReadFile(filepath.Join(proj, "go.mod"))
	root, _ := filepath.Abs("../..")
	if !strings.Contains(string(gomod), "module hello") || !strings.Contains(string(gomod), "replace github.com/vizserve/vizserve => "+root) {
		t.Errorf("go.mod does not build against this checkout:\n%s", gomod)
	}
	again := exec.CommandContext(ctx, viz, "init", "hello")
	again.Dir, again.Env = work, env
	if out, err := again.CombinedOutput(); err == nil || !strings.Contains(string(out), "already has") {
		t.Errorf("a second init in the same directory: %v\n%s", err, out)
	}

	serve := exec.Command(viz, "-addr", "127.0.0.1:0", "hello")
	serve.Dir, serve.Env = work, env
	p := &proc{t: t, p: peers.Run(t, serve)}
	for p.url == "" {
		if m := openLine.FindStringSubmatch(p.line()); m != nil {
			p.url = m[1]
		}
	}
	p.running()
	resp, err := http.Get(strings.TrimSuffix(p.url, "/") + "/snapshot.svg")
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(svg), `id="bob"`) {
		t.Errorf("the template's scene is not served: %s\n%.400s", resp.Status, svg)
	}
	p.interrupt()
}
