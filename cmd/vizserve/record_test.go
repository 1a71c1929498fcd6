package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/record"
)

// TestRecordCommands records a scene under vizserve -record from its
// start, and, meanwhile, with vizserve record as a viewer for 1 s; both
// files close with their index and end with the scene ticking.
func TestRecordCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	front, viewer := filepath.Join(dir, "front.vzr"), filepath.Join(dir, "viewer.vzr")
	p := startVizserve(t, "-addr", "127.0.0.1:0", "-record", front, copyScene(t))
	p.running()

	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"record", "-o", viewer, "-for", "1s", p.url}, &stdout, &stderr); err != nil {
		t.Fatalf("vizserve record: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "recorded "+viewer) {
		t.Fatalf("vizserve record says %q", stdout.String())
	}
	p.interrupt()

	for _, c := range []struct {
		path     string
		segments int // at least
	}{
		{front, 2},  // the placeholder's keyframe, then the scene's
		{viewer, 1}, // the hub's keyframe of the running scene
	} {
		f, err := record.OpenFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if !f.Indexed() || len(f.Segments()) < c.segments {
			t.Fatalf("%s: indexed %v, %d segments", c.path, f.Indexed(), len(f.Segments()))
		}
		m, err := f.Seek(f.Duration())
		if err != nil {
			t.Fatal(err)
		}
		ticks, ok := m.ByID("ticks")
		n, err := strconv.Atoi(ticks.Text)
		if !ok || err != nil || n < 10 {
			t.Fatalf("%s: at its end (%v) the scene shows ticks %q", c.path, f.Duration(), ticks.Text)
		}
		t.Logf("%s: %v, %d segments, ticks %d", filepath.Base(c.path), f.Duration(), len(f.Segments()), n)
	}
}
