// Command echoclient dials a WebSocket server and sends every message it
// receives back, text as text and binary as binary, until the server closes
// the connection. It exits 0 after a clean close. The URL is the last
// argument; -compress offers permessage-deflate (context takeover allowed):
//
//	go run ./examples/echoclient [-compress] ws://127.0.0.1:9001/
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/vizserve/vizserve/ws"
)

func main() {
	verbose := flag.Bool("v", false, "log debug lines")
	compress := flag.Bool("compress", false, "offer permessage-deflate, context takeover allowed")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: echoclient [-v] [-compress] ws://HOST:PORT/PATH")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	opts := &ws.DialOptions{Logger: logger}
	if *compress {
		opts.Compression = &ws.CompressionOptions{ContextTakeover: true}
	}
	if err := run(ctx, flag.Arg(flag.NArg()-1), opts); err != nil {
		fmt.Fprintln(os.Stderr, "echoclient:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url string, opts *ws.DialOptions) error {
	logger := opts.Logger
	c, _, err := ws.Dial(ctx, url, opts)
	if err != nil {
		return err
	}
	defer c.CloseNow()
	n := 0
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			if ws.CloseStatus(err) == ws.StatusNormalClosure {
				logger.Info("server closed the connection", "echoed", n)
				return nil
			}
			return err
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return err
		}
		n++
	}
}
