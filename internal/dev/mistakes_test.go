package dev

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/dev/build"
	"github.com/vizserve/vizserve/internal/dev/watch"
)

// A scene named as a file runs beside a scratch file with a main of its
// own, and rebuilds (fast) when it is saved.
func TestFileBesideScratch(t *testing.T) {
	dir := copyScene(t, "counter")
	write(t, filepath.Join(dir, "scratch.go"), "package main\n\nfunc main() {}\n")
	file := filepath.Join(dir, "main.go")
	s := start(t, file, nil)
	v := s.viewer()
	s.note(NoteSwapped)
	v.until("v1", func(m, _ string) bool { return text(m, "label") == "v1" })
	edit(t, file, `const version = "v1"`, `const version = "v2"`)
	if n := s.note(NoteSwapped); !n.Fast {
		t.Errorf("the rebuild of main.go was not a fast one: %+v", n)
	}
	v.until("v2", func(m, _ string) bool { return text(m, "label") == "v2" })
}

// For a scene named as a file, a change to another Go file of its
// directory is no change; go.mod, a subdirectory's files or lost events
// still are.
func TestRelevant(t *testing.T) {
	d := &front{target: &build.Target{Dir: "/s", Files: []string{"a.go"}}}
	for _, tt := range []struct {
		files []string
		all   bool
		code  bool
		want  []string
	}{
		{files: []string{"/s/b.go"}, want: nil},
		{files: []string{"/s/a.go", "/s/b.go"}, code: true, want: []string{"/s/a.go"}},
		{files: []string{"/s/go.mod"}, code: true, want: []string{"/s/go.mod"}},
		{files: []string{"/s/sub/x.go"}, code: true, want: []string{"/s/sub/x.go"}},
		{all: true, code: true},
	} {
		got := d.relevant(watch.Change{Code: true, Files: tt.files, All: tt.all})
		if got.Code != tt.code || !slices.Equal(got.Files, tt.want) {
			t.Errorf("relevant(%v, all %v) = code %v %v, want code %v %v", tt.files, tt.all, got.Code, got.Files, tt.code, tt.want)
		}
	}
	d.target.Files = nil // the directory's package: every file counts
	if got := d.relevant(watch.Change{Code: true, Files: []string{"/s/b.go"}}); !got.Code {
		t.Error("a directory's own file was dropped")
	}
}

// Programs that are not scenes: each gets one line naming the problem and
// the fix, first in the terminal and in the page's overlay.
func TestMistakes(t *testing.T) {
	const noRun = "the program exited without calling vizserve.Run: a scene's main must end with vizserve.Run(s, nil)"
	tests := []struct {
		name  string
		files map[string]string
		path  string // in the directory; "" for the directory
		mod   func(*Config)
		kind  NoteKind
		want  string // in the note's first line
	}{
		{name: "not main", files: map[string]string{"scene.go": "package scene\n\nfunc Draw() {}\n"}, path: "scene.go", kind: NoteBuildFailed,
			want: "scene.go: package scene is not a program: a scene is package main, with a func main that ends with vizserve.Run(s, nil)"},
		{name: "two mains", files: map[string]string{"a.go": "package main\n\nfunc main() {}\n", "b.go": "package main\n\nfunc main() {}\n"}, kind: NoteBuildFailed,
			want: "b.go both declare func main: name one file to serve it alone (vizserve "},
		{name: "unfetchable import", files: map[string]string{"scene.go": "package main\n\nimport \"github.com/x/y\"\n\nfunc main() { y.Run() }\n"}, path: "scene.go", kind: NoteBuildFailed,
			want: "scene.go imports github.com/x/y, which vizserve cannot fetch for a scene outside a module: run `go mod init scene && go mod tidy` in "},
		{name: "no Run", files: map[string]string{"scene.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"just a program\") }\n"}, path: "scene.go", kind: NoteExited,
			want: noRun},
		{name: "no Run, running", files: map[string]string{"scene.go": "package main\n\nimport \"time\"\n\nfunc main() { time.Sleep(time.Hour) }\n"}, path: "scene.go", kind: NoteExited,
			mod:  func(c *Config) { c.ConnectTimeout = 300 * time.Millisecond },
			want: "the program ran 300ms without calling vizserve.Run: a scene's main must end with vizserve.Run(s, nil)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, src := range tt.files {
				write(t, filepath.Join(dir, name), src)
			}
			s := start(t, filepath.Join(dir, tt.path), tt.mod)
			v := s.viewer()
			n := s.note(tt.kind)
			if l := firstLine(n.Text); !strings.Contains(l, tt.want) {
				t.Errorf("message %q, want one with %q", l, tt.want)
			}
			v.until("the message in the overlay", func(_, d string) bool { return strings.Contains(overlay(d), tt.want) })
			if !strings.Contains(s.out.String(), tt.want) {
				t.Errorf("the terminal lacks %q", tt.want)
			}
		})
	}
}
