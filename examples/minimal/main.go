// Command minimal is the smallest useful websocket server: one listener
// serves a page of instructions and a websocket that answers every
// message. Open the page, open the browser's developer tools, and talk to
// the server from the JavaScript console. Every message gets a reply; an
// empty message gets "Goodbye!" and a clean close (1000).
//
//	go run ./examples/minimal -addr 127.0.0.1:8000
//
// The gatekeeper logs the origin, target and subprotocol of every
// websocket it lets in; the server itself refuses pages of other origins
// (and logs why).
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"

	"github.com/vizserve/vizserve/server"
	"github.com/vizserve/vizserve/ws"
)

// Replies of the conversation.
const (
	Hello   = "Hello! Send an empty message to exit, or just leave."
	Goodbye = "Goodbye!"
)

//go:embed page.html
var page []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "minimal:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("minimal", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8000", "listen address (loopback unless you know why)")
	verbose := fs.Bool("v", false, "log debug lines (pings, closes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(server.NewConsoleHandler(stdout, &server.ConsoleOptions{Level: level}))

	s := server.New(server.Config{Addr: *addr, Logger: log})
	// One pattern for both: a plain GET of / gets the page, an upgrade
	// the websocket.
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	s.HandleWS("/", server.Endpoint{Handler: gatekeeper(log, converse)})
	if err := s.Open(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "minimal: open %s/ and follow the instructions\n", s.URL())
	return serveUntil(ctx, s)
}

// serveUntil serves s until ctx ends, then closes it.
func serveUntil(ctx context.Context, s *server.Server) error {
	return s.Run(ctx)
}

// gatekeeper logs who comes in before handing the websocket to next. The
// origin check itself happens before, in the server: by default only pages
// of the server's own origin may open websockets here, and refusals are
// logged there.
func gatekeeper(log *slog.Logger, next server.WSHandler) server.WSHandler {
	return func(ctx context.Context, c *ws.Conn, r *http.Request) {
		log.Log(ctx, server.LevelWS, "gatekeeper: websocket accepted",
			"origin", c.Origin(), "target", c.Target(), "subprotocol", c.Subprotocol(), "remote", r.RemoteAddr)
		next(ctx, c, r)
	}
}

// converse answers every message with Hello until an empty message, which
// it answers with Goodbye before closing normally.
func converse(ctx context.Context, c *ws.Conn, r *http.Request) {
	for {
		_, msg, ok := c.ReadGuarded(ctx)
		if !ok {
			return // the peer left; the server cleans up
		}
		if len(msg) == 0 {
			if c.WriteGuarded(ctx, ws.MessageText, []byte(Goodbye)) {
				c.Close(ws.StatusNormalClosure, "goodbye")
			}
			return
		}
		if !c.WriteGuarded(ctx, ws.MessageText, []byte(Hello)) {
			return
		}
	}
}
