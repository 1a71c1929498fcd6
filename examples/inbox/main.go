// Command inbox shows a websocket split into two goroutines fed by Go
// channels: a reader that delivers every message to an inbox, and a writer
// that sends whatever is put in an outbox. The rest of the program never
// touches the connection. Closing the outbox makes the writer close the
// connection normally (1000); when the read side ends, for whatever
// reason, the inbox is closed; both goroutines are gone when Done is.
//
// It runs as a client of any echo server:
//
//	go run ./examples/echo -addr 127.0.0.1:9001
//	go run ./examples/inbox -url ws://127.0.0.1:9001/ Hello world
//
// Without -url it serves an echo server of its own on -addr, with a page
// that does the same in the browser, talks to it, and keeps serving the
// page until interrupted.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"

	"github.com/vizserve/vizserve/server"
	"github.com/vizserve/vizserve/ws"
)

//go:embed page.html
var page []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "inbox:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("inbox", flag.ContinueOnError)
	fs.SetOutput(stdout)
	url := fs.String("url", "", "the echo server to talk to (default: serve one on -addr)")
	addr := fs.String("addr", "127.0.0.1:8000", "where to serve the echo server and its page when there is no -url")
	n := fs.Int("n", 0, "also send this many numbered messages")
	verbose := fs.Bool("v", false, "log debug lines (pings, closes)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: inbox [flags] [message ...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(server.NewConsoleHandler(stdout, &server.ConsoleOptions{Level: level}))
	msgs := fs.Args()
	if len(msgs) == 0 && *n == 0 {
		msgs = []string{"Hello", "Goodbye"}
	}
	for i := 1; i <= *n; i++ {
		msgs = append(msgs, fmt.Sprintf("message %d", i))
	}
	if *url != "" {
		return talk(ctx, *url, msgs, log, stdout)
	}

	s := server.New(server.Config{Addr: *addr, Logger: log})
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	s.HandleWS("/", server.Endpoint{Handler: Echo})
	if err := s.Open(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "inbox: open %s/ for the browser's side; talking to the echo server at ws%s/\n", s.URL(), strings.TrimPrefix(s.URL(), "http"))
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	err := talk(ctx, "ws"+strings.TrimPrefix(s.URL(), "http")+"/", msgs, log, stdout)
	if err == nil {
		fmt.Fprintln(stdout, "inbox: done; serving the page until interrupted")
		select {
		case <-ctx.Done():
		case err = <-served:
			served <- err
		}
	}
	return errors.Join(err, s.Close(), <-served)
}

// Echo is a websocket handler that sends every message back.
func Echo(ctx context.Context, c *ws.Conn, r *http.Request) {
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}

// talk sends msgs to the echo server at url through a Mailbox and prints
// what comes back.
func talk(ctx context.Context, url string, msgs []string, log *slog.Logger, stdout io.Writer) error {
	c, _, err := ws.Dial(ctx, url, &ws.DialOptions{Logger: log})
	if err != nil {
		return err
	}
	mb := Split(ctx, c, 16)

	// The producer sends while the loop below takes the replies: neither
	// waits for the other.
	var producer sync.WaitGroup
	producer.Go(func() {
		for _, m := range msgs {
			select {
			case mb.Outbox <- Message{Type: ws.MessageText, Data: []byte(m)}:
			case <-mb.Done():
				return // the connection ended early; Err says why
			}
		}
	})
	received := 0
	closed := len(msgs) == 0
	if closed {
		close(mb.Outbox)
	}
	for m := range mb.Inbox {
		fmt.Fprintf(stdout, "inbox: received %q\n", m.Data)
		received++
		if received == len(msgs) && !closed {
			// Every message came back: close the outbox, which closes
			// the connection. (Closing it earlier would drop replies
			// still on their way: see Outbox.)
			producer.Wait()
			close(mb.Outbox)
			closed = true
		}
	}
	<-mb.Done()
	producer.Wait()
	fmt.Fprintf(stdout, "inbox: sent %d messages, received %d\n", len(msgs), received)
	return mb.Err()
}

// Message is one websocket message.
type Message struct {
	Type ws.MessageType
	Data []byte
}

// Mailbox is a websocket seen as two channels, served by a reader and a
// writer goroutine that Split starts.
type Mailbox struct {
	// Inbox delivers the messages that arrive, in order. It is closed
	// when the read side ends: the peer closed the connection, it broke,
	// or the closing handshake finished. Read it until it is closed:
	// while a message waits to be taken, nothing more is read, pings
	// included.
	Inbox <-chan Message

	// Outbox takes messages to send, in order. Closing it closes the
	// connection with 1000 once the messages before have gone out;
	// messages that arrive after that may be dropped, since the closing
	// handshake reads past them (ws.Conn.Close), so close it once the
	// replies you want are in. A sender should select on Done too: after
	// the connection ended, nobody takes from Outbox.
	Outbox chan<- Message

	done     chan struct{}
	err      error
	readErr  error
	writeErr error
}

// Split starts the reader and writer goroutines of c; from then on, the
// Mailbox owns c. When ctx ends, the writer closes the connection with
// 1001 (going away). inboxSize is how many arrived messages may wait in
// the inbox.
func Split(ctx context.Context, c *ws.Conn, inboxSize int) *Mailbox {
	inbox := make(chan Message, inboxSize)
	outbox := make(chan Message)
	m := &Mailbox{Inbox: inbox, Outbox: outbox, done: make(chan struct{})}
	readDone := make(chan struct{})
	closing := make(chan struct{}) // the writer is closing the connection
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(readDone)
		defer close(inbox)
		m.readErr = read(c, inbox, closing)
	})
	wg.Go(func() {
		m.writeErr = write(ctx, c, outbox, readDone, closing)
	})
	go func() {
		wg.Wait()
		c.CloseNow() // the handshake is over, or the connection broke
		m.err = m.result()
		close(m.done)
	}()
	return m
}

// Done is closed when both goroutines have ended.
func (m *Mailbox) Done() <-chan struct{} { return m.done }

// Err, after Done, says why the connection ended: nil after a normal
// closure (1000) by either side.
func (m *Mailbox) Err() error { return m.err }

func (m *Mailbox) result() error {
	if ws.CloseStatus(m.readErr) == ws.StatusNormalClosure {
		return m.writeErr
	}
	return errors.Join(m.readErr, m.writeErr)
}

// read delivers messages to inbox until the read side ends. Once the
// writer is closing, messages nobody takes are dropped, so that the reader
// can see the peer's close frame.
func read(c *ws.Conn, inbox chan<- Message, closing <-chan struct{}) error {
	for {
		// No context: the read ends when the connection does, and the
		// writer ends the connection.
		typ, data, err := c.Read(context.Background())
		if err != nil {
			return err
		}
		m := Message{Type: typ, Data: data}
		select {
		case inbox <- m:
			continue
		default:
		}
		select {
		case inbox <- m:
		case <-closing:
		}
	}
}

// write sends what arrives on outbox until outbox is closed (then it
// closes the connection with 1000), ctx ends (1001), or the read side has
// ended (the connection is over).
func write(ctx context.Context, c *ws.Conn, outbox <-chan Message, readDone <-chan struct{}, closing chan<- struct{}) error {
	for {
		select {
		case m, ok := <-outbox:
			if !ok {
				close(closing)
				return c.Close(ws.StatusNormalClosure, "")
			}
			if err := c.Write(ctx, m.Type, m.Data); err != nil {
				close(closing)
				c.CloseNow()
				return err
			}
		case <-ctx.Done():
			close(closing)
			return c.Close(ws.StatusGoingAway, "")
		case <-readDone:
			return nil
		}
	}
}
