// Command count is two programs in one binary, a server and a client, that
// count to 10 together with one-byte binary messages over the subprotocol
// "count": the server says 1, the client 2, the server 3, and so on. Each
// side checks the other's number; a wrong one closes the connection with
// 1002 (protocol error) and a reason. Both sides run the same function,
// Count; only who starts differs.
//
//	go run ./examples/count -role server -addr 127.0.0.1:8000 -v
//	go run ./examples/count -role client -url ws://127.0.0.1:8000/ -v
//
// The server also serves a page whose script plays the client's part in a
// browser. -v logs every number, and the websocket's pings and closes, at
// debug level.
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
	"sync"

	"github.com/vizserve/vizserve/server"
	"github.com/vizserve/vizserve/ws"
)

// Subprotocol is what both sides speak.
const Subprotocol = "count"

// Goal is the number the two sides count to.
const Goal = 10

//go:embed page.html
var page []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "count:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("count", flag.ContinueOnError)
	fs.SetOutput(stdout)
	role := fs.String("role", "server", "`server` (says 1, 3, 5 …) or client (says 2, 4, … 10)")
	addr := fs.String("addr", "127.0.0.1:8000", "the server's listen address")
	url := fs.String("url", "ws://127.0.0.1:8000/", "the server the client dials")
	games := fs.Int("games", 0, "the server stops after this many games (0: when interrupted)")
	verbose := fs.Bool("v", false, "log every number, ping and close")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(server.NewConsoleHandler(stdout, &server.ConsoleOptions{Level: level})).With("role", *role)
	switch *role {
	case "server":
		return serve(ctx, *addr, *games, log, stdout)
	case "client":
		return dial(ctx, *url, log, stdout)
	}
	return fmt.Errorf("-role %q: want server or client", *role)
}

// Count plays one side of the game on c: it says the odd numbers if first,
// else the even ones, checks every number the peer says, and returns the
// last number both sides agree on. The side that hears Goal closes the
// connection normally; the side that said it waits for that close. A
// wrong number, or anything but a one-byte binary message, closes the
// connection with StatusProtocolError and the reason.
func Count(ctx context.Context, c *ws.Conn, first bool, log *slog.Logger) (int, error) {
	say := func(n byte) error {
		log.Debug("count: saying", "n", n)
		if err := c.Write(ctx, ws.MessageBinary, []byte{n}); err != nil {
			return fmt.Errorf("saying %d: %w", n, err)
		}
		return nil
	}
	said, want := byte(0), byte(1) // want: the number the peer must say next
	if first {
		if err := say(1); err != nil {
			return 0, err
		}
		said, want = 1, 2
	}
	for {
		typ, msg, err := c.Read(ctx)
		if said == Goal {
			// The peer heard Goal and ends the game.
			if ws.CloseStatus(err) == ws.StatusNormalClosure {
				return Goal, nil
			}
			if err == nil {
				err = errors.New("a message after the goal")
			}
			return Goal, fmt.Errorf("after saying %d, waiting for the close: %w", Goal, err)
		}
		if err != nil {
			return int(want) - 1, fmt.Errorf("waiting for %d: %w", want, err)
		}
		if typ != ws.MessageBinary || len(msg) != 1 || msg[0] != want {
			reason := fmt.Sprintf("expected %d, got %s", want, describe(typ, msg))
			log.Warn("count: the peer broke the rules", "reason", reason)
			c.Close(ws.StatusProtocolError, reason)
			return int(want) - 1, fmt.Errorf("the peer broke the rules: %s", reason)
		}
		log.Debug("count: heard", "n", want)
		if want == Goal {
			if err := c.Close(ws.StatusNormalClosure, fmt.Sprintf("counted to %d", Goal)); err != nil {
				return Goal, fmt.Errorf("closing after %d: %w", Goal, err)
			}
			return Goal, nil
		}
		if err := say(want + 1); err != nil {
			return int(want), err
		}
		said, want = want+1, want+2
	}
}

// describe names a message that is not a valid number.
func describe(typ ws.MessageType, msg []byte) string {
	switch {
	case typ != ws.MessageBinary:
		return fmt.Sprintf("a %v message", typ)
	case len(msg) != 1:
		return fmt.Sprintf("%d bytes", len(msg))
	}
	return fmt.Sprint(msg[0])
}

// serve runs the server role until ctx ends or games games were played. It
// fails if a game did.
func serve(ctx context.Context, addr string, games int, log *slog.Logger, stdout io.Writer) error {
	s := server.New(server.Config{Addr: addr, Logger: log})
	var (
		mu       sync.Mutex
		played   int
		failures []error
		enough   = make(chan struct{})
	)
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	s.HandleWS("/", server.Endpoint{
		Subprotocols: []string{Subprotocol},
		Options:      &ws.AcceptOptions{RequireSubprotocol: true},
		Handler: func(ctx context.Context, c *ws.Conn, r *http.Request) {
			log := log.With("peer", r.RemoteAddr)
			n, err := Count(ctx, c, true, log)
			if err != nil {
				log.Error("count: game failed", "reached", n, "err", err)
			} else {
				log.Log(ctx, server.LevelWS, "count: game won", "reached", n)
			}
			mu.Lock()
			defer mu.Unlock()
			played++
			if err != nil {
				failures = append(failures, fmt.Errorf("game %d with %s: %w", played, r.RemoteAddr, err))
			}
			if played == games {
				close(enough)
			}
		},
	})
	if err := s.Open(); err != nil {
		return err
	}
	u := s.URL()
	fmt.Fprintf(stdout, "count: open %s/ to count in a browser, or run: count -role client -url ws%s/\n", u, u[len("http"):])
	// Serve until interrupted, or until the games asked for are played.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-enough:
			stop()
		case <-runCtx.Done():
		}
	}()
	err := s.Run(runCtx)
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintf(stdout, "count: %d games played, %d failed\n", played, len(failures))
	return errors.Join(append([]error{err}, failures...)...)
}

// dial runs the client role: one game against the server at url.
func dial(ctx context.Context, url string, log *slog.Logger, stdout io.Writer) error {
	c, _, err := ws.Dial(ctx, url, &ws.DialOptions{Subprotocols: []string{Subprotocol}, Logger: log})
	if err != nil {
		return err
	}
	defer c.CloseNow()
	if c.Subprotocol() != Subprotocol {
		c.Close(ws.StatusProtocolError, "this client speaks "+Subprotocol)
		return fmt.Errorf("%s does not speak the %q subprotocol", url, Subprotocol)
	}
	fmt.Fprintf(stdout, "count: connected to %s\n", url)
	n, err := Count(ctx, c, false, log)
	fmt.Fprintf(stdout, "count: reached %d\n", n)
	return err
}
