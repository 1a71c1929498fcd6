package dev

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// session is a dev loop running in the test.
type session struct {
	t      *testing.T
	url    string
	notes  chan Note
	cancel context.CancelFunc
	done   chan error
	tmp    string
	out    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the dev loop on path until the test ends.
func start(t *testing.T, path string, mod func(*Config)) *session {
	t.Helper()
	s := &session{t: t, notes: make(chan Note, 64), done: make(chan error, 1), tmp: t.TempDir(), out: &syncBuffer{}}
	ready := make(chan string, 1)
	cfg := Config{
		Path:    path,
		Addr:    "127.0.0.1:0",
		Stdout:  s.out,
		Stderr:  s.out,
		TempDir: s.tmp,
		OnReady: func(u string) { ready <- u },
		Notify: func(n Note) {
			select {
			case s.notes <- n:
			default:
				t.Errorf("note dropped: %+v", n)
			}
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- Run(ctx, cfg) }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("vizserve output:\n%s", s.out.String())
		}
	})
	select {
	case s.url = <-ready:
	case err := <-s.done:
		t.Fatalf("dev.Run: %v\n%s", err, s.out.String())
	case <-deadline.After(t):
		t.Fatal("the server did not open")
	}
	return s
}

// stop ends the dev loop and returns its error.
func (s *session) stop() error {
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(30 * time.Second):
		s.t.Error("dev.Run did not return within 30 s of its context ending")
		return nil
	}
}

// note waits for a note of kind k.
func (s *session) note(k NoteKind) Note {
	s.t.Helper()
	end := deadline.After(s.t)
	for {
		select {
		case n := <-s.notes:
			if n.Kind == k {
				return n
			}
			s.t.Logf("note %d (waiting for %d): %s", n.Kind, k, firstLine(n.Text))
		case <-end:
			s.t.Fatalf("no note of kind %d by the test's deadline\n%s", k, s.out.String())
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// viewer is a Go client of the page's websocket that applies every batch
// to a stream.Mirror, as the browser client does.
type viewer struct {
	t    *testing.T
	c    *ws.Conn
	mu   sync.Mutex
	m    *stream.Mirror
	ops  []wire.Op     // control ops seen (asset, overlay)
	kfs  []*wire.Batch // the keyframes seen
	wake chan struct{}
	done chan struct{}
	err  error
}

func (s *session) viewer() *viewer {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(s.url, "http")
	u = strings.TrimSuffix(u, "/") + "/ws"
	c, _, err := ws.Dial(ctx, u, &ws.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		s.t.Fatal(err)
	}
	v := &viewer{t: s.t, c: c, m: stream.NewMirror(), wake: make(chan struct{}, 1), done: make(chan struct{})}
	go v.read()
	s.t.Cleanup(func() {
		c.Close(ws.StatusNormalClosure, "")
		<-v.done
	})
	return v
}

func (v *viewer) read() {
	defer close(v.done)
	for {
		_, msg, err := v.c.Read(context.Background())
		if err != nil {
			v.mu.Lock()
			v.err = err
			v.mu.Unlock()
			v.poke()
			return
		}
		b, err := wire.DecodeBatch(msg)
		if err != nil {
			v.t.Errorf("viewer: %v", err)
			return
		}
		v.mu.Lock()
		if err := v.m.Apply(b); err != nil {
			v.t.Errorf("viewer: apply: %v", err)
		}
		if b.IsKeyframe() {
			v.kfs = append(v.kfs, b)
		}
		for _, op := range b.Ops {
			if op.Code == wire.OpAsset || op.Code == wire.OpOverlay || op.Code == wire.OpNotice {
				v.ops = append(v.ops, op)
			}
		}
		v.mu.Unlock()
		ack := wire.Event{Kind: wire.Ack, Seq: b.Seq}
		data, _ := ack.MarshalBinary()
		if v.c.Write(context.Background(), ws.MessageBinary, data) != nil {
			return
		}
		v.poke()
	}
}

func (v *viewer) poke() {
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// until waits until cond holds for the mirror's markup and dump.
func (v *viewer) until(what string, cond func(markup, dump string) bool) (markup, dump string) {
	v.t.Helper()
	end := deadline.After(v.t)
	for {
		v.mu.Lock()
		markup, dump, err := v.m.Markup(), v.m.Dump(), v.err
		v.mu.Unlock()
		if v.m != nil && cond(markup, dump) {
			return markup, dump
		}
		if err != nil {
			v.t.Fatalf("viewer connection ended while waiting for %s: %v", what, err)
		}
		select {
		case <-v.wake:
		case <-end:
			v.t.Fatalf("waited until the test's deadline for %s; the viewer has:\n%s", what, dump)
		}
	}
}

// connected reports whether the viewer's connection is still open.
func (v *viewer) connected() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err == nil
}

// controlOps returns the overlay, asset and notice ops seen so far.
func (v *viewer) controlOps() []wire.Op {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]wire.Op(nil), v.ops...)
}

// keyframes returns the keyframes seen so far.
func (v *viewer) keyframes() []*wire.Batch {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]*wire.Batch(nil), v.kfs...)
}

func (v *viewer) send(ev wire.Event) {
	v.t.Helper()
	data, err := ev.MarshalBinary()
	if err != nil {
		v.t.Fatal(err)
	}
	if err := v.c.Write(context.Background(), ws.MessageBinary, data); err != nil {
		v.t.Fatal(err)
	}
}

// text returns the text of the element with the given id in markup.
func text(markup, id string) string {
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(markup)
	if m == nil {
		return ""
	}
	return m[1]
}

func num(markup, id string) int {
	n, err := strconv.Atoi(text(markup, id))
	if err != nil {
		return -1
	}
	return n
}

// overlay returns the overlay line of a mirror dump ("" for none).
func overlay(dump string) string {
	for _, l := range strings.Split(dump, "\n") {
		if q, ok := strings.CutPrefix(l, "overlay "); ok {
			o, err := strconv.Unquote(q)
			if err != nil {
				return q
			}
			return o
		}
	}
	return ""
}

// copyScene copies a test scene into a new directory (with no go.mod:
// a lone scene) and returns the directory.
func copyScene(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("testdata", name)
	des, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		data, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, de.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// edit rewrites a file of the scene, replacing old with new, the way an
// editor saves: truncate, then write.
func edit(t *testing.T, file, old, new string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(s, old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return string(b)
}
