// Command echo serves a WebSocket echo on every path: each text message
// comes back as text, each binary message as binary. It applies the ws
// package's default, strict checks, so outside conformance tools can test
// it:
//
//	go run ./examples/echo -addr 127.0.0.1:9001
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
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string, verbose bool) error {
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
	srv := &http.Server{Handler: Handler(logger)}
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
func Handler(logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := ws.Accept(w, r, &ws.AcceptOptions{Logger: logger})
		if err != nil {
			logger.Info("refused", "remote", r.RemoteAddr, "err", err)
			return
		}
		defer c.CloseNow()
		if err := Echo(r.Context(), c); err != nil {
			logger.Debug("echo ended", "conn", c.String(), "err", err)
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
