package build

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestProgress: a go build with OnProgress reports each package it
// compiles, against the program's dependencies, and its compiler
// messages still come through whole.
func TestProgress(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds programs")
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"scene.go": "package main\n\nimport \"strings\"\n\nfunc main() { println(strings.ToUpper(\"progress\")) }\n"})
	b := newBuilder(t, filepath.Join(dir, "scene.go"))
	var mu sync.Mutex
	var reports []Progress
	b.OnProgress(func(p Progress) {
		mu.Lock()
		reports = append(reports, p)
		mu.Unlock()
	})
	res, err := b.Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out := output(t, res); !strings.Contains(out, "PROGRESS") {
		t.Errorf("the program printed %q", out)
	}
	mu.Lock()
	got := slices.Clone(reports)
	mu.Unlock()
	if len(got) == 0 {
		t.Fatal("no progress reported")
	}
	for i, p := range got {
		if p.Done != i+1 || p.Total < p.Done || p.Package == "" {
			t.Errorf("report %d: %+v", i, p)
		}
	}
	t.Logf("%d reports, the last %+v", len(got), got[len(got)-1])

	writeFiles(t, dir, map[string]string{"scene.go": "package main\n\nfunc main() { undefinedThing() }\n"})
	_, err = b.Build(context.Background(), nil)
	be, ok := err.(*Error)
	if !ok || !strings.Contains(be.Output, "undefined: undefinedThing") {
		t.Fatalf("a failed build with progress: %v", err)
	}
	for _, l := range strings.Split(be.Output, "\n") {
		if importPathRE.MatchString(l) {
			t.Errorf("the error shows go build -v's line %q", l)
		}
	}
}
