package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/vizserve/vizserve/internal/record"
	"github.com/vizserve/vizserve/scene/wire"
	"github.com/vizserve/vizserve/ws"
)

// recordFile is a recording being written to a file: the Writer, and the
// file it closes after it.
type recordFile struct {
	*record.Writer
	f *os.File
}

func createRecording(path, title string) (*recordFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &recordFile{Writer: record.NewWriter(f, &record.Options{Title: title}), f: f}, nil
}

// Close writes the index and closes the file.
func (r *recordFile) Close() error {
	err := r.Writer.Close()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// summary is the line a person reads when a recording ends.
func (r *recordFile) summary() string {
	st := r.Stats()
	s := fmt.Sprintf("recorded %s: %d batches, %d segments, %d bytes", r.f.Name(), st.Records, st.Segments, st.Bytes)
	if st.Merged > 0 {
		s += fmt.Sprintf(" (the disk fell behind: %d batches were merged)", st.Merged)
	}
	return s
}

type recordOpts struct {
	out string
	dur time.Duration
}

func recordFlags(o *recordOpts, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vizserve record", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.out, "o", "", "write the recording to `file` (required)")
	fs.DurationVar(&o.dur, "for", 0, "stop after this `long` (default: until interrupted or the scene's server goes)")
	return fs
}

// runRecord is vizserve record: it connects to a running scene as a
// viewer and records what it sees.
func runRecord(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o recordOpts
	fs := recordFlags(&o, stderr)
	pos, err := parse(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if len(pos) != 1 || o.out == "" {
		fmt.Fprintln(stderr, "vizserve: usage: vizserve record -o FILE [-for 60s] URL")
		return errUsage
	}
	wsURL, err := viewerURL(pos[0])
	if err != nil {
		return err
	}
	if o.dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.dur)
		defer cancel()
	}
	dial := func() (*ws.Conn, error) {
		c, _, err := ws.Dial(ctx, wsURL, &ws.DialOptions{Subprotocols: []string{wire.Subprotocol}})
		if err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		if c.Subprotocol() != wire.Subprotocol {
			c.CloseNow()
			return nil, fmt.Errorf("record: %s is not a vizserve %s server", pos[0], wire.Subprotocol)
		}
		return c, nil
	}
	c, err := dial()
	if err != nil {
		return err
	}
	rec, err := createRecording(o.out, pos[0])
	if err != nil {
		c.CloseNow()
		return err
	}
	for {
		err = recordViewer(ctx, c, rec)
		c.Close(ws.StatusNormalClosure, "")
		if err != errNeedKeyframe {
			break
		}
		// The recording fell so far behind that it needs a keyframe, and
		// a viewer gets one when it connects.
		if c, err = dial(); err != nil {
			break
		}
	}
	if cerr := rec.Close(); err == nil {
		err = cerr
	}
	fmt.Fprintln(stdout, "vizserve:", rec.summary())
	return err
}

// errNeedKeyframe: the recording's merger overflowed and waits for a
// keyframe.
var errNeedKeyframe = errors.New("record: the recording needs a keyframe")

// recordViewer reads batches from c into w until ctx ends or the server
// closes, acknowledging each as a browser does once it applied it, so
// that the hub's flow control keeps sending.
func recordViewer(ctx context.Context, c *ws.Conn, w wire.Sink) error {
	var b wire.Batch
	var ack []byte
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			if ended(ctx, err) || ws.CloseStatus(err) == ws.StatusNormalClosure || ws.CloseStatus(err) == ws.StatusGoingAway {
				return nil
			}
			return fmt.Errorf("record: %w", err)
		}
		if typ != ws.MessageBinary {
			continue
		}
		if err := b.UnmarshalBinary(msg); err != nil {
			c.Close(ws.StatusInvalidFramePayloadData, err.Error())
			return fmt.Errorf("record: %w", err)
		}
		if !w.Send(&b) {
			return errNeedKeyframe
		}
		ev := wire.Event{Kind: wire.Ack, Seq: b.Seq}
		if ack, err = ev.AppendBinary(ack[:0]); err != nil {
			return err
		}
		if err := c.Write(ctx, ws.MessageBinary, ack); err != nil {
			if ended(ctx, err) {
				return nil
			}
			return fmt.Errorf("record: ack: %w", err)
		}
	}
}

// ended reports whether err is ctx's end (-for's time, a Ctrl-C): the
// connection may see the deadline an instant before ctx does.
func ended(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// viewerURL turns a page's URL (http://127.0.0.1:8000/?token=…) into its
// websocket's (ws://127.0.0.1:8000/ws?token=…).
func viewerURL(page string) (string, error) {
	u, err := url.Parse(page)
	if err != nil {
		return "", fmt.Errorf("record: %q is not a URL: %w", page, err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("record: %q: give the page's http:// or https:// URL", page)
	}
	if !strings.HasSuffix(u.Path, "/ws") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/ws"
	}
	return u.String(), nil
}
