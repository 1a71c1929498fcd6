package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want Kind
	}{
		{"scene.go", Code},
		{"dir/x.go", Code},
		{"go.mod", Code},
		{"go.sum", Code},
		{"style.css", Asset},
		{"main.ts", Asset},
		{"app.js", Asset},
		{"scene_test.go", Ignore},
		{".scene.go.swp", Ignore},
		{"scene.go.swx", Ignore},
		{"scene.go~", Ignore},
		{"4913", Ignore},
		{".#scene.go", Ignore},
		{"#scene.go#", Ignore},
		{"scene.go.tmp.1234", Ignore},
		{"notes.txt", Ignore},
		{"out.svg", Ignore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.name); got != tt.want {
				t.Errorf("Classify(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

// next waits for one change.
func next(t *testing.T, w *Watcher) Change {
	t.Helper()
	select {
	case c := <-w.Changes():
		return c
	case <-time.After(30 * time.Second):
		t.Fatal("no change reported")
		return Change{}
	}
}

// none checks that no change comes within d (the test's own quiet
// period, well past the debounce).
func none(t *testing.T, w *Watcher, d time.Duration) {
	t.Helper()
	select {
	case c := <-w.Changes():
		t.Fatalf("unexpected change %+v", c)
	case <-time.After(d):
	}
}

func write(t *testing.T, name, s string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Editors' ways of saving each end in one Code change; their temporary
// files alone cause none.
func TestEditorSaves(t *testing.T) {
	t.Parallel()
	saves := map[string]func(t *testing.T, dir string){
		"truncate then write": func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, "scene.go"), os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("package main\n")
			f.Sync()
			f.WriteString("func main() {}\n")
			f.Close()
		},
		"vim: probe, backup, rename, write": func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "4913"), "")
			os.Remove(filepath.Join(dir, "4913"))
			os.Rename(filepath.Join(dir, "scene.go"), filepath.Join(dir, "scene.go~"))
			write(t, filepath.Join(dir, "scene.go"), "package main\nfunc main() {}\n")
			os.Remove(filepath.Join(dir, "scene.go~"))
		},
		"write temporary, rename over": func(t *testing.T, dir string) {
			tmp := filepath.Join(dir, ".scene.go.tmp.42")
			write(t, tmp, "package main\nfunc main() {}\n")
			if err := os.Rename(tmp, filepath.Join(dir, "scene.go")); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, save := range saves {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			write(t, filepath.Join(dir, "scene.go"), "package main\n")
			// A quiet period well past any pause a loaded machine puts
			// between a save's steps (the default, 50 ms, is for editors
			// on a machine that is not running a test suite).
			w, err := New(dir, &Options{CodeQuiet: 500 * time.Millisecond, MaxWait: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			save(t, dir)
			c := next(t, w)
			if !c.Code || len(c.Assets) != 0 || c.First.IsZero() {
				t.Errorf("change = %+v, want Code only", c)
			}
			none(t, w, time.Second)
		})
	}
}

func TestTemporaryFilesAlone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := New(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, n := range []string{".scene.go.swp", "scene.go~", "4913", ".#scene.go", "notes.txt", "x_test.go"} {
		write(t, filepath.Join(dir, n), "x")
	}
	none(t, w, 300*time.Millisecond)
}

func TestAssetsApartFromCode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sub := filepath.Join(dir, "lib")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := New(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	write(t, filepath.Join(dir, "style.css"), "a{}")
	c := next(t, w)
	if c.Code || len(c.Assets) != 1 || filepath.Base(c.Assets[0]) != "style.css" {
		t.Errorf("change = %+v, want the stylesheet alone", c)
	}
	// Subdirectories are watched, new ones too.
	write(t, filepath.Join(sub, "util.go"), "package lib")
	if c := next(t, w); !c.Code {
		t.Errorf("change in a subdirectory = %+v", c)
	}
}

// A stream of writes is reported within MaxWait of its start.
func TestMaxWait(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := New(dir, &Options{CodeQuiet: 200 * time.Millisecond, MaxWait: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	stop := time.Now().Add(2 * time.Second)
	got := w.Changes()
	var c Change
	for {
		write(t, filepath.Join(dir, "scene.go"), "package main // "+time.Now().String())
		select {
		case c = <-got:
		case <-time.After(20 * time.Millisecond): // the pace of the writes under test
			if time.Now().Before(stop) {
				continue
			}
			t.Fatal("no change within 2 s of continuous writes")
		}
		break
	}
	if d := time.Since(c.First); d > 1500*time.Millisecond {
		t.Errorf("change reported %v after its first event", d)
	}
}

// early waits for one early report.
func early(t *testing.T, w *Watcher) Change {
	t.Helper()
	select {
	case c := <-w.Early():
		return c
	case <-time.After(30 * time.Second):
		t.Fatal("no early report")
		return Change{}
	}
}

// A change to code is reported early, before its quiet period ends, and
// again whenever events resume; the settled change's Last tells whether
// anything came after an early report. A change of assets alone is not
// reported early.
func TestEarlyReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A quiet period long enough for the second write to come between
	// the early report and the settled one.
	w, err := New(dir, &Options{CodeQuiet: 2 * time.Second, MaxWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	name := filepath.Join(dir, "scene.go")
	write(t, name, "package main\n")
	e1 := early(t, w)
	if !e1.Code || len(e1.Files) != 1 || e1.Files[0] != name || e1.First.IsZero() || e1.Last.Before(e1.First) {
		t.Fatalf("early report %+v, want scene.go", e1)
	}
	select {
	case c := <-w.Changes():
		t.Fatalf("settled change %+v within the quiet period", c)
	default:
	}
	write(t, name, "package main\n\nfunc main() {}\n")
	e2 := early(t, w)
	c := next(t, w)
	select {
	case e := <-w.Early(): // a newer one, sent before c
		e2 = e
	default:
	}
	if !c.Code || len(c.Files) != 1 || !c.First.Equal(e1.First) {
		t.Errorf("settled change %+v, want scene.go from the first write on", c)
	}
	if !c.Last.After(e1.Last) || !c.Last.Equal(e2.Last) {
		t.Errorf("settled Last %v; early reports' Last %v, %v: want it after the first, equal to the second", c.Last, e1.Last, e2.Last)
	}

	write(t, filepath.Join(dir, "style.css"), "a{}")
	if c := next(t, w); c.Code || len(c.Assets) != 1 {
		t.Errorf("change = %+v, want the stylesheet alone", c)
	}
	select {
	case e := <-w.Early():
		t.Errorf("early report %+v for a stylesheet", e)
	default:
	}
}
