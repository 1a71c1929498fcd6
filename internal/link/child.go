package link

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"sync"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// ChildOptions are the parts of vizserve.Options a child needs.
type ChildOptions struct {
	Title     string
	State     any
	OnRestore func()
}

// RunChild runs s as a child of the vizserve front process, as ChildEnv
// says: an export (RunExport), or linked over the inherited descriptor it
// names. Linked, it says hello, waits for the start message (restoring
// o.State from it if there is one), then runs the sim loop with its
// batches going to the link and the viewers' events coming from it, until
// the parent says shutdown, the link ends, or ctx ends.
func RunChild(ctx context.Context, s *scene.Scene, o ChildOptions) error {
	v := os.Getenv(ChildEnv)
	if v == ExportValue {
		return RunExport(s, os.Getenv(ExportEnv))
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return fmt.Errorf("vizserve: child: %s=%q names no inherited descriptor: is this program run by vizserve?", ChildEnv, v)
	}
	f, err := inherited(fd)
	if err != nil {
		return fmt.Errorf("vizserve: child: the link to the vizserve process: %w", err)
	}
	c := newConn(f)
	defer c.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	w := &childWriter{c: c, wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.queue(AppendHello(nil, Hello{PID: os.Getpid(), Title: o.Title, State: o.State != nil}))
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
		readLink(ctx, c, s, &o, w, start)
	})
	defer func() {
		cancel()
		close(w.done)
		writer.Wait()
		c.Close() // ends the reader's read
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
func readLink(ctx context.Context, c *Conn, s *scene.Scene, o *ChildOptions, w *childWriter, start chan<- []byte) {
	started := false
	for {
		msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		m, err := Decode(msg)
		if err != nil {
			fmt.Fprintf(os.Stderr, "vizserve: child: %v\n", err)
			return
		}
		switch m.Type {
		case TEvent:
			s.Dispatch(m.Event)
		case TStart:
			if !started {
				started = true
				start <- m.Data
			}
		case TStateRequest:
			// Marshal on the sim goroutine, between ticks, so the
			// state is consistent and sim code needs no lock.
			s.Do(func() {
				var data []byte
				err := errors.New("the scene keeps no state (vizserve.Options.State is nil)")
				if o.State != nil {
					data, err = json.Marshal(o.State)
				}
				w.queue(AppendState(nil, data, err))
			})
		case TShutdown:
			return
		}
	}
}

// childWriter is the child's one writer to the link. The scene's batches
// are merged into a wire.Merger (latest value wins) so the sim never waits
// for the link; control messages queue in order, before any batch.
type childWriter struct {
	c    *Conn
	wake chan struct{}
	done chan struct{} // closed when the child ends

	mu     sync.Mutex
	merger wire.Merger
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
				if err := w.c.Write(ctx, msg); err != nil {
					return err
				}
			}
			if !have {
				break
			}
			var err error
			if buf, err = AppendBatch(buf[:0], &out); err != nil {
				return err
			}
			if err := w.c.Write(ctx, buf); err != nil {
				return err
			}
			if cap(buf) > 1<<20 && len(buf) < 64<<10 {
				buf = nil
			}
		}
	}
}
