// Command pixels is a canvas round trip over a websocket, the demo of the
// Julia package vizserve descends from, and not a scene: a small program
// with its own page. The page draws a picture on a canvas (draw on it with
// the mouse too) and sends its pixels, the canvas's ImageData, as one
// binary message; Go recolours them (a photographic negative) and sends
// them back; the page draws the reply beside the original.
//
//	go run ./examples/pixels -addr 127.0.0.1:8000
//
// Both directions carry the same message, on the subprotocol "pixels":
// a 6-byte header of three little-endian int16 — height, width and bytes
// per pixel (always 4) — then height×width×4 bytes of RGBA, row by row,
// as ImageData holds them. A message that breaks these rules closes the
// connection with 1007 (1003 for a text message) and a reason.
package main

import (
	"context"
	_ "embed"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/vizserve/vizserve/server"
	"github.com/vizserve/vizserve/ws"
)

// Subprotocol is what the page and the server speak.
const Subprotocol = "pixels"

// The message format.
const (
	HeaderSize    = 6
	BytesPerPixel = 4
	// MaxSide bounds a picture's height and width, and so a message's
	// size.
	MaxSide    = 2048
	maxMessage = HeaderSize + MaxSide*MaxSide*BytesPerPixel
)

//go:embed page.html
var page []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pixels:", err)
		os.Exit(1)
	}
}

// run serves the page and the websocket until ctx ends.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pixels", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8000", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(server.NewConsoleHandler(stdout, nil))
	s := server.New(server.Config{Addr: *addr, Logger: log})
	s.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	s.HandleWS("/pixels", server.Endpoint{
		Subprotocols: []string{Subprotocol},
		Options:      &ws.AcceptOptions{RequireSubprotocol: true, ReadLimit: maxMessage},
		Handler: func(ctx context.Context, c *ws.Conn, r *http.Request) {
			err := roundTrips(ctx, c)
			log.Log(ctx, server.LevelWS, "pixels: connection ended", "conn", c.String(), "err", err)
		},
	})
	if err := s.Open(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pixels: open %s/\n", s.URL())
	return s.Run(ctx)
}

// roundTrips answers every picture the page sends with its negative, until
// the connection ends; it returns why it ended.
func roundTrips(ctx context.Context, c *ws.Conn) error {
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return err
		}
		if typ != ws.MessageBinary {
			c.Close(ws.StatusUnsupportedData, "pixels: send binary messages (an ArrayBuffer)")
			return errors.New("a text message")
		}
		h, w, err := Decode(msg)
		if err != nil {
			c.Close(ws.StatusInvalidFramePayloadData, err.Error())
			return err
		}
		Negative(msg[HeaderSize:])
		if err := c.Write(ctx, ws.MessageBinary, msg); err != nil {
			return fmt.Errorf("sending %d×%d pixels back: %w", w, h, err)
		}
	}
}

// Decode checks a message's header against its length and returns the
// picture's height and width.
func Decode(msg []byte) (h, w int, err error) {
	if len(msg) < HeaderSize {
		return 0, 0, fmt.Errorf("pixels: %d bytes: a message starts with a %d-byte header", len(msg), HeaderSize)
	}
	h = int(int16(binary.LittleEndian.Uint16(msg[0:])))
	w = int(int16(binary.LittleEndian.Uint16(msg[2:])))
	bpp := int(int16(binary.LittleEndian.Uint16(msg[4:])))
	switch {
	case bpp != BytesPerPixel:
		return 0, 0, fmt.Errorf("pixels: %d bytes per pixel, want %d (RGBA)", bpp, BytesPerPixel)
	case h < 1 || w < 1 || h > MaxSide || w > MaxSide:
		return 0, 0, fmt.Errorf("pixels: %d×%d pixels: each side must be 1 to %d", w, h, MaxSide)
	case len(msg)-HeaderSize != h*w*bpp:
		return 0, 0, fmt.Errorf("pixels: the header says %d×%d×%d bytes, %d follow", w, h, bpp, len(msg)-HeaderSize)
	}
	return h, w, nil
}

// Encode makes a message of a picture's RGBA pixels.
func Encode(h, w int, rgba []byte) []byte {
	msg := make([]byte, HeaderSize, HeaderSize+len(rgba))
	binary.LittleEndian.PutUint16(msg[0:], uint16(h))
	binary.LittleEndian.PutUint16(msg[2:], uint16(w))
	binary.LittleEndian.PutUint16(msg[4:], BytesPerPixel)
	return append(msg, rgba...)
}

// Negative recolours RGBA pixels in place: each colour channel becomes
// 255 minus itself; opacity stays.
func Negative(rgba []byte) {
	for i := 0; i+3 < len(rgba); i += 4 {
		rgba[i] = 255 - rgba[i]
		rgba[i+1] = 255 - rgba[i+1]
		rgba[i+2] = 255 - rgba[i+2]
	}
}
