//go:build linux

package dev

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/dev/build"
	"github.com/vizserve/vizserve/internal/dev/watch"
	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/scene/wire"
)

// TestSwapKeepsViewersAndState edits a lone scene: the viewer, connected
// all along, gets the new version's keyframe; the tick count carries over;
// the old process is gone; clicks reach the new child.
func TestSwapKeepsViewersAndState(t *testing.T) {
	dir := copyScene(t, "counter")
	s := start(t, filepath.Join(dir, "main.go"), nil)
	v := s.viewer()
	first := s.note(NoteSwapped)
	v.until("version v1 ticking", func(m, _ string) bool { return text(m, "label") == "v1" && num(m, "ticks") > 5 })

	// A click goes through the front to the child.
	box := handleOf(t, v, "box")
	v.send(wire.Event{Kind: wire.Click, Target: box, X: 240, Y: 60, Button: 1})
	v.until("one click", func(m, _ string) bool { return num(m, "clicks") == 1 })

	// Enough ticks that a count started afresh cannot pass for one carried
	// over.
	before, _ := v.until("100 ticks", func(m, _ string) bool { return num(m, "ticks") > 100 })
	ticks := num(before, "ticks")
	edit(t, filepath.Join(dir, "main.go"), `const version = "v1"`, `const version = "v2"`)
	second := s.note(NoteSwapped)
	// The keyframe shows the markup the scene was built with; the first
	// tick shows the restored count.
	after, _ := v.until("version v2 ticking", func(m, _ string) bool { return text(m, "label") == "v2" && num(m, "ticks") > 0 })
	if got := num(after, "ticks"); got <= ticks {
		t.Errorf("ticks after the swap = %d, before %d: the state was not carried over", got, ticks)
	}
	if got := num(after, "clicks"); got != 1 {
		t.Errorf("clicks after the swap = %d, want 1 (restored, and shown by OnRestore)", got)
	}
	if !v.connected() {
		t.Error("the viewer's connection was closed by the swap")
	}
	if second.Pid == first.Pid {
		t.Fatalf("the same process (pid %d) after a swap", first.Pid)
	}
	for n := s.note(NoteStopped); n.Pid != first.Pid; n = s.note(NoteStopped) {
	}
	if alive(first.Pid) {
		t.Errorf("the old child (pid %d) is still running after it was reported stopped", first.Pid)
	}
	if second.Change.IsZero() || second.Keyframe.Before(second.Change) {
		t.Errorf("swap note has bad times: %+v", second)
	}
}

// handleOf returns the handle of the element with DOM id id.
func handleOf(t *testing.T, v *viewer, id string) wire.Handle {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(\d+) "` + regexp.QuoteMeta(id) + `" mask=`)
	_, dump := v.until("element "+id, func(_, d string) bool { return re.MatchString(d) })
	h, err := strconv.ParseUint(re.FindStringSubmatch(dump)[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return wire.Handle(h)
}

// alive reports whether a process with pid exists (and is not a zombie
// waiting to be reaped by someone else).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// state is the field after the command name in parentheses
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || !strings.HasPrefix(s[i+1:], " Z")
}

// TestBadEditShowsOverlayAndKeepsSim breaks the scene: the overlay shows
// the compiler's message while the previous version keeps ticking; the fix
// clears it.
func TestBadEditShowsOverlayAndKeepsSim(t *testing.T) {
	file, s, v := startCounter(t, nil)

	edit(t, file, `const version = "v1"`, `const version = v2undefined`)
	n := s.note(NoteBuildFailed)
	if !strings.Contains(n.Text, "main.go:") || !strings.Contains(n.Text, "v2undefined") {
		t.Errorf("build error does not name the file and the problem:\n%s", n.Text)
	}
	m, _ := v.until("an overlay naming the error", func(_, d string) bool {
		o := overlay(d)
		return strings.Contains(o, "main.go:") && strings.Contains(o, "undefined: v2undefined")
	})
	ticks := num(m, "ticks")
	v.until("the old sim still ticking", func(m, _ string) bool { return num(m, "ticks") > ticks+3 && text(m, "label") == "v1" })

	edit(t, file, `const version = v2undefined`, `const version = "v3"`)
	s.note(NoteSwapped)
	v.until("v3 and no overlay", func(m, d string) bool { return text(m, "label") == "v3" && overlay(d) == "" })
}

// TestCrashShowsOutputAndRestartsOnSave runs a version that panics: its
// last output shows in the overlay; the next save starts a fixed one.
func TestCrashShowsOutputAndRestartsOnSave(t *testing.T) {
	file, s, v := startCounter(t, nil)

	// It starts, shows its first frame, then crashes on a goroutine of
	// its own (a panic in a tick would be caught by the scene).
	edit(t, file, `	_ = label
`, `	_ = label
	n := 0
	s.OnTick(func(float64) {
		if n++; n == 30 {
			go func() { panic("boom at tick 30") }()
		}
	})
`)
	s.note(NoteSwapped)
	n := s.note(NoteExited)
	if !strings.Contains(n.Text, "boom at tick 30") {
		t.Errorf("exit note lacks the panic:\n%s", n.Text)
	}
	v.until("the crash in the overlay", func(_, d string) bool { return strings.Contains(overlay(d), "boom at tick 30") })
	if !strings.Contains(s.out.String(), "boom at tick 30") {
		t.Error("the terminal did not show the panic")
	}

	edit(t, file, `go func() { panic("boom at tick 30") }()`, `label.SetText("fixed")`)
	s.note(NoteSwapped)
	v.until("fixed and no overlay", func(m, d string) bool { return overlay(d) == "" && num(m, "ticks") > 31 })
}

// TestAssetEditDoesNotRestartSim edits a stylesheet next to the scene: the
// viewers get an asset op, and the sim is the same process, still
// counting.
func TestAssetEditDoesNotRestartSim(t *testing.T) {
	dir := copyScene(t, "counter")
	css := filepath.Join(dir, "style.css")
	if err := os.WriteFile(css, []byte(".label { fill: red; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := start(t, filepath.Join(dir, "main.go"), nil)
	v := s.viewer()
	sw := s.note(NoteSwapped)
	m, _ := v.until("ticking", func(m, _ string) bool { return num(m, "ticks") > 5 })
	ticks := num(m, "ticks")

	edit(t, css, "red", "blue")
	n := s.note(NoteAssets)
	if len(n.Assets) != 1 || n.Assets[0] != "style.css" {
		t.Errorf("assets sent = %v, want [style.css]", n.Assets)
	}
	v.until("an asset op for style.css", func(_, _ string) bool {
		for _, op := range v.controlOps() {
			if op.Code == wire.OpAsset && op.Tag == "css" && op.Name == AssetPrefix+"style.css" && strings.Contains(op.Text, "?v=") {
				return true
			}
		}
		return false
	})
	v.until("ticks going on from before", func(m, _ string) bool { return num(m, "ticks") > ticks+3 })
	if !alive(sw.Pid) {
		t.Error("the sim's process ended after a stylesheet edit")
	}
	select {
	case n := <-s.notes:
		if n.Kind == NoteSwapped || n.Kind == NoteBuilt {
			t.Errorf("a stylesheet edit rebuilt or swapped the scene: %+v", n)
		}
	default:
	}

	// The bundle is served.
	body := get(t, s.url+strings.TrimPrefix(AssetPrefix, "/")+"style.css")
	if !strings.Contains(body, "blue") {
		t.Errorf("served stylesheet:\n%s", body)
	}

	// A broken stylesheet shows in the overlay; the fix clears it.
	if err := os.WriteFile(css, []byte("@import \"./missing.css\";\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.note(NoteAssetFailed)
	v.until("the bundle error in the overlay", func(_, d string) bool { return strings.Contains(overlay(d), "style.css:") })
	if err := os.WriteFile(css, []byte(".label { fill: green; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.note(NoteAssets)
	v.until("no overlay", func(_, d string) bool { return overlay(d) == "" })
}

// TestUserModule serves a scene in a module of its own that requires
// vizserve, without watching.
func TestUserModule(t *testing.T) {
	dir := copyScene(t, "counter")
	src, err := build.FindSource()
	if err != nil || src.Dir == "" {
		t.Fatalf("no vizserve source directory: %v", err)
	}
	gomod := "module example.com/userscene\n\ngo 1.26\n\nrequire github.com/vizserve/vizserve v0.0.0-00010101000000-000000000000\n\nreplace github.com/vizserve/vizserve => " + src.Dir + "\n"
	write(t, filepath.Join(dir, "go.mod"), gomod)
	sum, err := os.ReadFile(filepath.Join(src.Dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "go.sum"), string(sum))
	// The user's go.mod lists only vizserve: let the go command complete
	// it from the module cache, offline.
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOPROXY", "off")
	s := start(t, dir, func(c *Config) { c.NoWatch = true })
	v := s.viewer()
	s.note(NoteSwapped)
	v.until("v1 ticking", func(m, _ string) bool { return text(m, "label") == "v1" && num(m, "ticks") > 0 })
}

// TestInRepository serves a scene inside this module by package path.
func TestInRepository(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	s := start(t, "./testdata/counter", func(c *Config) { c.NoWatch = true })
	v := s.viewer()
	s.note(NoteSwapped)
	v.until("v1 ticking", func(m, _ string) bool { return text(m, "label") == "v1" && num(m, "ticks") > 0 })
}

// TestCleanExit stops the loop: the child is gone and so is every
// temporary file.
func TestCleanExit(t *testing.T) {
	dir := copyScene(t, "counter")
	s := start(t, dir, nil)
	s.viewer()
	n := s.note(NoteSwapped)
	if !alive(n.Pid) {
		t.Fatalf("child %d not running", n.Pid)
	}
	if err := s.stop(); err != nil {
		t.Fatalf("dev.Run: %v", err)
	}
	if alive(n.Pid) {
		t.Errorf("child %d still running after the loop stopped", n.Pid)
	}
	left, err := os.ReadDir(s.tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestExport renders a frame after 30 ticks.
func TestExport(t *testing.T) {
	dir := copyScene(t, "counter")
	out := filepath.Join(t.TempDir(), "out.svg")
	tmp := t.TempDir()
	err := Export(context.Background(), ExportConfig{Path: dir, Out: out, Ticks: 30, TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, data)
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the export's mode is %v (%v), want 0644 like any document", fi.Mode().Perm(), err)
	}
	if got := text(string(data), "ticks"); got != "30" {
		t.Errorf("ticks in the export = %q, want 30", got)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// checkSVG checks that data is a well-formed SVG document.
func checkSVG(t *testing.T, data []byte) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("export is not well-formed XML: %v\n%s", err, data)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
			if se.Name.Space != "http://www.w3.org/2000/svg" {
				t.Errorf("root namespace %q", se.Name.Space)
			}
		}
	}
	if root != "svg" {
		t.Errorf("root element %q, want svg", root)
	}
}

func write(t *testing.T, name, s string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPublicNeedsToken serves on every interface: the printed URL carries
// an access token, and the page is refused without it. The placeholder
// scene is there before the first build ends.
func TestPublicNeedsToken(t *testing.T) {
	dir := copyScene(t, "counter")
	s := start(t, dir, func(c *Config) { c.Public = true; c.NoWatch = true })
	u, err := url.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get("token")
	if tok == "" {
		t.Fatalf("URL %s has no token", s.url)
	}
	port := u.Port()
	plain := "http://127.0.0.1:" + port + "/"
	resp, err := http.Get(plain)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET without the token: %s, want 403", resp.Status)
	}
	page := get(t, plain+"?token="+url.QueryEscape(tok))
	if !strings.Contains(page, "building ") && !strings.Contains(page, `id="label"`) {
		t.Errorf("page shows neither the placeholder nor the scene:\n%s", page)
	}
}

// TestEarlyBuildRedoneAfterLaterWrite saves twice: the second save comes
// after the build started on the watcher's early report of the first, so
// that build is dropped (it may have read the file before the second save)
// and the version swapped in is the second one, in a single new child.
func TestEarlyBuildRedoneAfterLaterWrite(t *testing.T) {
	// A quiet period long enough to save again before the change settles.
	file, s, v := startCounter(t, func(c *Config) { c.Watch = &watch.Options{CodeQuiet: 2 * time.Second} })

	edit(t, file, `const version = "v1"`, `const version = "v2"`)
	for n := s.note(NoteBuilding); !n.Early; n = s.note(NoteBuilding) {
		t.Logf("a build not started early: %+v", n)
	}
	edit(t, file, `const version = "v2"`, `const version = "v3"`)
	n := s.note(NoteSwapped)
	if n.Child != 2 {
		t.Errorf("swapped in child %d, want 2: the early build of v2 was not dropped", n.Child)
	}
	if !n.Early {
		t.Errorf("the swapped version %+v was not built early: the second save's early report should have started it", n)
	}
	v.until("v3", func(m, _ string) bool { return text(m, "label") == "v3" })
}

// TestEarlyBuildKept saves once: the build started on the early report
// is the one swapped in, before the quiet period is over.
func TestEarlyBuildKept(t *testing.T) {
	file, s, v := startCounter(t, nil)
	edit(t, file, `const version = "v1"`, `const version = "v2"`)
	b := s.note(NoteBuilt)
	if !b.Early || b.Debounced.IsZero() {
		t.Errorf("the build's note %+v: want Early, and the settled change's time", b)
	}
	v.until("v2", func(m, _ string) bool { return text(m, "label") == "v2" })
}

// startCounter runs the counter scene (a copy) under the dev loop with a
// viewer, and returns once the viewer shows its first version, v1.
func startCounter(t *testing.T, mod func(*Config)) (file string, s *session, v *viewer) {
	t.Helper()
	file = filepath.Join(copyScene(t, "counter"), "main.go")
	s = start(t, file, mod)
	v = s.viewer()
	if n := s.note(NoteSwapped); n.Child != 1 {
		t.Fatalf("first swap is of child %d", n.Child)
	}
	v.until("v1", func(m, _ string) bool { return text(m, "label") == "v1" })
	return file, s, v
}

// TestResetRestartsSceneWithoutOnReset sends a viewer's reset to a scene
// that has no OnReset: vizserve starts its program afresh from the same
// build (no rebuild), without the previous process's state, and the
// viewer stays connected.
func TestResetRestartsSceneWithoutOnReset(t *testing.T) {
	dir := copyScene(t, "counter")
	s := start(t, filepath.Join(dir, "main.go"), nil)
	v := s.viewer()
	first := s.note(NoteSwapped)
	box := handleOf(t, v, "box")
	v.send(wire.Event{Kind: wire.Click, Target: box, X: 240, Y: 60, Button: 1})
	v.until("one click, 100 ticks", func(m, _ string) bool { return num(m, "clicks") == 1 && num(m, "ticks") > 100 })

	v.send(wire.Event{Kind: wire.Run, Cmd: wire.RunReset})
	var second Note
	end := deadline.After(t)
	for second.Kind != NoteSwapped {
		select {
		case n := <-s.notes:
			if n.Kind == NoteBuilt {
				t.Fatal("a reset rebuilt the scene")
			}
			second = n
		case <-end:
			t.Fatalf("no swap after a reset\n%s", s.out.String())
		}
	}
	if second.Pid == first.Pid {
		t.Fatalf("the same process (pid %d) after a reset", first.Pid)
	}
	after, _ := v.until("ticking afresh", func(m, _ string) bool { return num(m, "ticks") > 0 && num(m, "ticks") < 100 })
	if got := num(after, "clicks"); got != 0 {
		t.Errorf("clicks after a reset = %d, want 0: the state was carried over", got)
	}
	if !v.connected() {
		t.Error("the viewer's connection was closed by the reset")
	}
	if !strings.Contains(s.out.String(), "resetting the scene") {
		t.Errorf("the terminal does not say the scene is reset:\n%s", s.out.String())
	}
}

// TestStateThatDoesNotFitShowsNotice edits the counter scene so that its
// State no longer holds the old one's tick count (an int8 against more
// than 127 ticks): the new version starts afresh, and the viewer gets a
// notice saying so, besides the terminal's line.
func TestStateThatDoesNotFitShowsNotice(t *testing.T) {
	file := filepath.Join(copyScene(t, "counter"), "main.go")
	s := start(t, file, nil)
	v := s.viewer()
	s.note(NoteSwapped)
	v.until("130 ticks", func(m, _ string) bool { return num(m, "ticks") > 130 })
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	v2 := strings.NewReplacer("\tTicks  int\n", "\tTicks  int8\n",
		"strconv.Itoa(st.Ticks)", "strconv.Itoa(int(st.Ticks))",
		`const version = "v1"`, `const version = "v2"`).Replace(string(data))
	if err := os.WriteFile(file, []byte(v2), 0o644); err != nil { // one save
		t.Fatal(err)
	}
	s.note(NoteSwapped)
	v.until("v2 ticking afresh", func(m, _ string) bool {
		return text(m, "label") == "v2" && num(m, "ticks") > 0 && num(m, "ticks") < 100
	})
	var notice string
	end := deadline.After(t)
	for notice == "" {
		for _, op := range v.controlOps() {
			if op.Code == wire.OpNotice {
				notice = op.Text
			}
		}
		if notice != "" {
			break
		}
		select {
		case <-v.wake:
		case <-end:
			t.Fatalf("no notice after a state that does not fit; ops %v\n%s", v.controlOps(), s.out.String())
		}
	}
	if !strings.Contains(notice, "state does not fit") || !strings.Contains(notice, "int8") {
		t.Errorf("notice %q does not say that the state does not fit, and why", notice)
	}
	if !strings.Contains(s.out.String(), "does not fit this one") {
		t.Errorf("the terminal does not say the state does not fit:\n%s", s.out.String())
	}
}
