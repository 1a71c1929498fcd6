// Command chat is a multi-user chat for browsers: each person opens the
// page, picks a name, and talks to everyone else in the room.
//
//	go run ./examples/chat -addr 127.0.0.1:8000
//
// It shows a registry of connections shared by many goroutines, where one
// connection's handler writes to the others without ever letting a slow or
// dead member hold up the rest: every member has its own writer goroutine
// fed by a bounded queue, and a member whose queue is full is dropped. The
// server accepts websockets from its own pages only, plus the origins
// given with -origin.
//
// The protocol is text messages (that of the WebSockets.jl chat demo):
//
//	client: userName:<name>      server: <name> (accepted) or "Username taken!"
//	server to all:  <name> enters chat
//	client: <text>               server to everyone else: <name>: <text>
//	client: exit...              server to everyone else: <name> has left
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
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vizserve/vizserve/server"
	"github.com/vizserve/vizserve/ws"
)

// Limits of the room.
const (
	// QueueSize is how many messages may wait for one member. A member
	// whose queue is full is dropped: it is not reading (or not fast
	// enough), and holding messages for it without bound would let one
	// stalled browser eat the server's memory. Memory per member is thus
	// at most QueueSize*MaxMessage, whatever the member does.
	QueueSize = 256
	// MaxMessage is the largest message a member may send, in bytes.
	MaxMessage = 4096
	// MaxName is the longest name, in characters.
	MaxName = 32
)

// Server replies.
const (
	Taken      = "Username taken!"
	Register   = "Send userName:<name> to join."
	BadName    = "Username invalid: use 1 to 32 letters, digits, spaces or punctuation."
	TooSlow    = "dropped: you read too slowly"
	enterChat  = " enters chat"
	hasLeft    = " has left"
	namePrefix = "userName:"
)

//go:embed page.html
var page []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

// run serves the chat until ctx ends (or -stop-after has passed).
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8000", "listen address (loopback unless you know why)")
	var origins []string
	fs.Func("origin", "also accept websockets from pages of origins matching this `pattern`, e.g. '*.example.org' or 'localhost:*' (repeatable)", func(p string) error {
		origins = append(origins, p)
		return nil
	})
	stopAfter := fs.Duration("stop-after", 0, "shut the server down after this long (0: run until interrupted)")
	verbose := fs.Bool("v", false, "log debug lines (pings, closes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(server.NewConsoleHandler(stdout, &server.ConsoleOptions{Level: level}))

	if *stopAfter > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *stopAfter)
		defer cancel()
	}
	s := server.New(server.Config{
		Addr:           *addr,
		Logger:         log,
		OriginPatterns: origins,
		PingInterval:   30 * time.Second, // notice browsers that vanished
	})
	rm := newRoom(log)
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	s.HandleWS("/", server.Endpoint{
		Handler: rm.serve,
		Options: &ws.AcceptOptions{ReadLimit: MaxMessage},
	})
	if err := s.Open(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "chat: open %s/ in several browser windows\n", s.URL())
	return s.Run(ctx)
}

// room is the registry of members, shared by every connection's
// goroutines. Its lock guards the map only: nothing is sent on a channel,
// and nothing written to a connection, while it is held.
type room struct {
	log     *slog.Logger
	mu      sync.Mutex
	members map[string]*member // by name
}

func newRoom(log *slog.Logger) *room {
	return &room{log: log, members: map[string]*member{}}
}

// member is one person in the room. Its writer goroutine is the only one
// that writes to its connection once it has joined.
type member struct {
	name  string
	c     *ws.Conn
	queue chan string
	// ctx ends when the member leaves or is dropped; cause says why.
	ctx  context.Context
	stop context.CancelCauseFunc
}

var (
	errLeft    = errors.New("left the room")
	errTooSlow = errors.New("too slow")
)

// offer queues msg for m without ever blocking. A member whose queue is
// full is dropped.
func (m *member) offer(msg string) {
	select {
	case m.queue <- msg:
	default:
		m.stop(fmt.Errorf("%w: %d messages were waiting", errTooSlow, cap(m.queue)))
	}
}

// serve handles one websocket: registration, then the member's messages.
func (rm *room) serve(ctx context.Context, c *ws.Conn, r *http.Request) {
	rm.log.Log(ctx, server.LevelWS, "gatekeeper: websocket accepted",
		"origin", c.Origin(), "target", c.Target(), "subprotocol", c.Subprotocol(), "remote", r.RemoteAddr)
	m := rm.register(ctx, c)
	if m == nil {
		return
	}
	var writer sync.WaitGroup
	writer.Go(func() { rm.write(m) })
	rm.broadcast(m.name+enterChat, nil)
	code, reason, why := rm.converse(ctx, m)
	rm.leave(m, why)
	writer.Wait() // nothing else writes to c now
	if code != 0 {
		c.Close(code, reason)
	}
}

// converse relays m's messages until m leaves or its connection ends, and
// says how to close the connection (code 0: it has ended already).
func (rm *room) converse(ctx context.Context, m *member) (code ws.StatusCode, reason string, why error) {
	for {
		typ, msg, err := m.c.Read(ctx)
		if err != nil {
			return 0, "", err
		}
		if typ != ws.MessageText {
			return ws.StatusUnsupportedData, "this chat speaks text only", errors.New("sent a binary message")
		}
		text := string(msg)
		if strings.HasPrefix(text, "exit") {
			return ws.StatusNormalClosure, "goodbye", errLeft
		}
		rm.broadcast(m.name+": "+text, m)
	}
}

// register reads until the connection offers a free name, and returns the
// new member, or nil if the connection ended first. Until then, this is
// the only goroutine that writes to c.
func (rm *room) register(ctx context.Context, c *ws.Conn) *member {
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return nil
		}
		reply := Register
		if name, ok := strings.CutPrefix(string(msg), namePrefix); ok && typ == ws.MessageText {
			name = strings.TrimSpace(name)
			if !validName(name) {
				reply = BadName
			} else if m := rm.join(name, c); m != nil {
				return m
			} else {
				reply = Taken
			}
		}
		if err := c.Write(ctx, ws.MessageText, []byte(reply)); err != nil {
			return nil
		}
	}
}

func validName(name string) bool {
	if name == "" || utf8.RuneCountInString(name) > MaxName {
		return false
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// join adds a member called name, or returns nil if the name is taken.
// The member's first message is its own name: the sign it was accepted.
func (rm *room) join(name string, c *ws.Conn) *member {
	m := &member{name: name, c: c, queue: make(chan string, QueueSize)}
	m.ctx, m.stop = context.WithCancelCause(context.Background())
	m.queue <- name // the queue is new and empty: this cannot block
	rm.mu.Lock()
	_, taken := rm.members[name]
	if !taken {
		rm.members[name] = m
	}
	rm.mu.Unlock()
	if taken {
		m.stop(nil)
		return nil
	}
	rm.log.Log(context.Background(), server.LevelWS, "joined", "name", name, "conn", c.String())
	return m
}

// leave removes m, tells the others, and stops its writer. It may be
// called more than once; only the first call has an effect.
func (rm *room) leave(m *member, why error) {
	rm.mu.Lock()
	here := rm.members[m.name] == m
	if here {
		delete(rm.members, m.name)
	}
	rm.mu.Unlock()
	m.stop(why)
	if !here {
		return
	}
	rm.log.Log(context.Background(), server.LevelWS, "left", "name", m.name, "why", context.Cause(m.ctx))
	rm.broadcast(m.name+hasLeft, m)
}

// broadcast offers msg to every member but except. It takes a snapshot of
// the members under the lock and offers outside it; offering never blocks.
func (rm *room) broadcast(msg string, except *member) {
	rm.mu.Lock()
	to := make([]*member, 0, len(rm.members))
	for _, m := range rm.members {
		if m != except {
			to = append(to, m)
		}
	}
	rm.mu.Unlock()
	for _, m := range to {
		m.offer(msg)
	}
}

// write sends m's queued messages until m leaves or is dropped. A dropped
// member's writes are abandoned (the context of a blocked write ends), it
// is removed from the room, and its connection is closed with 1008.
func (rm *room) write(m *member) {
	for {
		select {
		case <-m.ctx.Done():
			if cause := context.Cause(m.ctx); errors.Is(cause, errTooSlow) {
				rm.log.Warn("dropping a member", "name", m.name, "why", cause)
				rm.leave(m, cause)
				m.c.Close(ws.StatusPolicyViolation, TooSlow)
			}
			return
		case msg := <-m.queue:
			if err := m.c.Write(m.ctx, ws.MessageText, []byte(msg)); err != nil && m.ctx.Err() == nil {
				// The connection failed; the reader sees it too and leaves.
				m.stop(err)
			}
		}
	}
}
