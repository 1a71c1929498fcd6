package vizserve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"

	"github.com/vizserve/vizserve/internal/dev/link"
	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

// ChildEnv is the environment variable that tells Run it runs as the child
// of `vizserve` (dev mode): its value is the URL of the parent's link,
// with a one-time token, or "export" for `vizserve export`. Run then calls
// runChild instead of serving the scene itself.
const ChildEnv = "VIZSERVE_CHILD"

// ExportEnv carries the parameters of an export child, as a URL query:
// ticks=N&out=PATH.
const ExportEnv = "VIZSERVE_EXPORT"

// exportDT is the time step of an export's ticks: the default scene rate.
const exportDT = 1.0 / 60

// runChild runs s as a child of the vizserve front process: it dials the
// link, says hello, waits for the start message (restoring o.State from it
// if there is one), then runs the sim loop with its batches going to the
// link and the viewers' events coming from it, until the parent says
// shutdown, the link is lost, or ctx ends. docs/dev.md describes the link.
func runChild(ctx context.Context, s *scene.Scene, o *Options) error {
	if o == nil {
		o = &Options{}
	}
	v := os.Getenv(ChildEnv)
	if v == "export" {
		return runExport(s, os.Getenv(ExportEnv))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	c, _, err := ws.Dial(ctx, v, &ws.DialOptions{
		Subprotocols: []string{link.Subprotocol},
		ReadLimit:    link.ReadLimit,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return fmt.Errorf("vizserve: child: connect to the vizserve process: %w", err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != link.Subprotocol {
		c.Close(ws.StatusProtocolError, "link subprotocol not selected")
		return fmt.Errorf("vizserve: child: the vizserve process does not speak %s", link.Subprotocol)
	}

	w := &childWriter{c: c, wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.queue(link.AppendHello(nil, link.Hello{PID: os.Getpid(), Title: o.Title, State: o.State != nil}))
	var writer sync.WaitGroup
	writer.Go(func() {
		if err := w.run(ctx); err != nil {
			cancel() // the link is gone: so is the reason to live
		}
	})

	start := make(chan []byte, 1)
	var reader sync.WaitGroup
	reader.Go(func() {
		defer cancel()
		readLink(ctx, c, s, o, w, start)
	})
	defer func() {
		cancel()
		close(w.done)
		writer.Wait()
		reader.Wait()
	}()

	var state []byte
	select {
	case state = <-start:
	case <-ctx.Done():
		return nil
	}
	if len(state) > 0 && o.State != nil {
		if err := restore(o.State, state); err != nil {
			fmt.Fprintf(os.Stderr, "vizserve: the state of the previous version does not fit this one, starting afresh: %v\n", err)
		} else if o.OnRestore != nil {
			o.OnRestore()
		}
	}
	unsubscribe := s.Subscribe(wire.SinkFunc(w.send))
	defer unsubscribe()
	if err := s.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	// Say goodbye properly: the parent knows the child ended on purpose.
	c.Close(ws.StatusNormalClosure, "")
	return nil
}

// restore unmarshals data into a fresh value of ptr's type and, only if
// that works, copies it over *ptr, so that a state that no longer fits
// leaves the initial state untouched.
func restore(ptr any, data []byte) error {
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("Options.State must be a non-nil pointer, not %T", ptr)
	}
	fresh := reflect.New(rv.Elem().Type())
	if err := json.Unmarshal(data, fresh.Interface()); err != nil {
		return err
	}
	rv.Elem().Set(fresh.Elem())
	return nil
}

// readLink handles the parent's messages until the link ends or the parent
// says shutdown.
func readLink(ctx context.Context, c *ws.Conn, s *scene.Scene, o *Options, w *childWriter, start chan<- []byte) {
	started := false
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if typ != ws.MessageBinary {
			c.Close(ws.StatusUnsupportedData, "the link carries binary messages only")
			return
		}
		m, err := link.Decode(msg)
		if err != nil {
			c.Close(ws.StatusInvalidFramePayloadData, err.Error())
			return
		}
		switch m.Type {
		case link.TEvent:
			s.Dispatch(m.Event)
		case link.TStart:
			if !started {
				started = true
				start <- m.Data
			}
		case link.TStateRequest:
			// Marshal on the sim goroutine, between ticks, so the
			// state is consistent and sim code needs no lock.
			s.Do(func() {
				var data []byte
				err := errors.New("the scene keeps no state (vizserve.Options.State is nil)")
				if o.State != nil {
					data, err = json.Marshal(o.State)
				}
				w.queue(link.AppendState(nil, data, err))
			})
		case link.TShutdown:
			return
		}
	}
}

// childWriter is the child's one writer to the link. The scene's batches
// are merged into a stream.Merger (latest value wins) so the sim never waits
// for the link; control messages queue in order, before any batch.
type childWriter struct {
	c    *ws.Conn
	wake chan struct{}
	done chan struct{} // closed when the child ends

	mu     sync.Mutex
	merger stream.Merger
	ctl    [][]byte
}

func (w *childWriter) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// send is the scene's sink: it never blocks.
func (w *childWriter) send(b *wire.Batch) bool {
	w.mu.Lock()
	ok := w.merger.Add(b)
	w.mu.Unlock()
	w.poke()
	return ok
}

func (w *childWriter) queue(msg []byte) {
	w.mu.Lock()
	w.ctl = append(w.ctl, msg)
	w.mu.Unlock()
	w.poke()
}

func (w *childWriter) run(ctx context.Context) error {
	var out wire.Batch
	var buf []byte
	for {
		select {
		case <-w.wake:
		case <-w.done:
			return nil
		case <-ctx.Done():
			return nil
		}
		for {
			w.mu.Lock()
			ctl := w.ctl
			w.ctl = nil
			have := w.merger.Take(&out)
			w.mu.Unlock()
			for _, msg := range ctl {
				if err := w.c.Write(ctx, ws.MessageBinary, msg); err != nil {
					return err
				}
			}
			if !have {
				break
			}
			var err error
			if buf, err = link.AppendBatch(buf[:0], &out); err != nil {
				return err
			}
			if err := w.c.Write(ctx, ws.MessageBinary, buf); err != nil {
				return err
			}
			if cap(buf) > 1<<20 && len(buf) < 64<<10 {
				buf = nil
			}
		}
	}
}

// runExport runs s headless for the ticks the parameters ask for and writes
// the frame as a standalone SVG document.
func runExport(s *scene.Scene, params string) error {
	q, err := url.ParseQuery(params)
	if err != nil {
		return fmt.Errorf("vizserve: export: bad %s %q: %w", ExportEnv, params, err)
	}
	out := q.Get("out")
	if out == "" {
		return fmt.Errorf("vizserve: export: %s names no output file", ExportEnv)
	}
	ticks := 0
	if t := q.Get("ticks"); t != "" {
		if ticks, err = strconv.Atoi(t); err != nil || ticks < 0 {
			return fmt.Errorf("vizserve: export: bad tick count %q", t)
		}
	}
	if ticks == 0 {
		// One frame without a tick: queued work runs and an immediate
		// scene draws, so the export shows the scene before its first
		// tick.
		s.Pause()
		s.Advance(0)
	}
	for range ticks {
		s.Advance(exportDT)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".vizserve-export-*.svg")
	if err != nil {
		return fmt.Errorf("vizserve: export: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := s.WriteSVG(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("vizserve: export: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("vizserve: export: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("vizserve: export: %w", err)
	}
	return nil
}
