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

	"github.com/vizserve/vizserve/internal/scenehook"
	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/scene"
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
// o.State from it if there is one, then the control values it carries),
// then runs the sim loop with its
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

	// The child's one writer to the link: the scene's batches merge while
	// the link is busy (the sim never waits for it); control messages go
	// first, in order.
	w := &stream.Writer{
		Write: c.Write,
		Encode: func(dst []byte, b *stream.Outgoing) ([]byte, error) {
			return b.Append(append(dst, byte(TBatch)), b.Seq, nil)
		},
	}
	w.Queue(AppendHello(nil, Hello{PID: os.Getpid(), Title: o.Title, State: o.State != nil}))
	var writer sync.WaitGroup
	writer.Go(func() {
		if err := w.Run(ctx); err != nil {
			cancel() // the link is gone: so is the reason to live
		}
	})

	start := make(chan Msg, 1)
	var reader sync.WaitGroup
	reader.Go(func() {
		defer cancel()
		readLink(ctx, c, s, &o, w, start)
	})
	defer func() {
		cancel()
		writer.Wait()
		c.Close() // ends the reader's read
		reader.Wait()
	}()

	var m Msg
	select {
	case m = <-start:
	case <-ctx.Done():
		return nil
	}
	// The state first, then the control values, which win over any the
	// state holds: they are what the viewers last saw. Both before the
	// subscription, so that the first keyframe shows them.
	var notice string
	if state := m.Data; len(state) > 0 && o.State != nil {
		if err := restore(o.State, state); err != nil {
			fmt.Fprintf(os.Stderr, "vizserve: the state of the previous version does not fit this one, starting afresh: %v\n", err)
			notice = "The previous version's state does not fit this one: it starts afresh (" + err.Error() + ")"
		} else if o.OnRestore != nil {
			o.OnRestore()
		}
	}
	if len(m.Controls) > 0 {
		scenehook.SetControls(s, m.Controls)
	}
	// A reset of a scene without OnReset: the parent starts this program
	// afresh.
	scenehook.SetRestart(s, func() { w.Queue(Control(TRestart)) })
	unsubscribe := s.Subscribe(w)
	defer unsubscribe()
	if notice != "" {
		// The page says so too, in a batch after the keyframe: queued
		// behind the subscription, which flushes before its keyframe.
		s.Do(func() { s.Notice(notice) })
	}
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
func readLink(ctx context.Context, c *Conn, s *scene.Scene, o *ChildOptions, w *stream.Writer, start chan<- Msg) {
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
				start <- m
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
				w.Queue(AppendState(nil, data, err))
			})
		case TShutdown:
			return
		}
	}
}
