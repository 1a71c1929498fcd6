// Command echo serves a WebSocket echo on every path: each text message
// comes back as text, each binary message as binary. It applies the ws
// package's default, strict checks, so outside conformance tools can test
// it; -compress accepts permessage-deflate (context takeover allowed):
//
//	go run ./examples/echo -addr 127.0.0.1:9001 [-compress]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"

	"github.com/vizserve/vizserve/ws"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9001", "listen address")
	verbose := flag.Bool("v", false, "log debug lines")
	compress := flag.Bool("compress", false, "accept permessage-deflate, context takeover allowed")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *verbose, *compress); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string, verbose, compress bool) error {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("echo: serving ws://%s/\n", ln.Addr())
	opts := &ws.AcceptOptions{Logger: logger}
	if compress {
		opts.Compression = &ws.CompressionOptions{ContextTakeover: true}
	}
	srv := &http.Server{Handler: Handler(opts)}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler echoes every message of every websocket it accepts.
func Handler(opts *ws.AcceptOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := ws.Accept(w, r, opts)
		if err != nil {
			opts.Logger.Info("refused", "remote", r.RemoteAddr, "err", err)
			return
		}
		defer c.CloseNow()
		if err := Echo(r.Context(), c); err != nil {
			opts.Logger.Debug("echo ended", "conn", c.String(), "err", err)
		}
	})
}

// Echo sends every message back until the connection ends. It returns nil
// after a normal closure.
func Echo(ctx context.Context, c *ws.Conn) error {
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			if ws.CloseStatus(err) == ws.StatusNormalClosure {
				return nil
			}
			return err
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return err
		}
	}
}
