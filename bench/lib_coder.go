package bench

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
)

// coder: Read, which allocates each message, and Write.
var coderLib = &Lib{
	Name:    "coder",
	Library: "github.com/coder/websocket",
	API:     "Conn.Read + Conn.Write",
	Idle:    true,
	accept:  coderAccept(false),
	dial:    coderDial(false),
}

// coder-reader: Reader read into one buffer per connection, and Write.
var coderReaderLib = &Lib{
	Name:    "coder-reader",
	Library: "github.com/coder/websocket",
	API:     "Conn.Reader into one buffer per connection + Conn.Write",
	accept:  coderAccept(true),
	dial:    coderDial(true),
}

func coderAccept(reuse bool) func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
	return func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return nil, nil, err
		}
		// The default limit is 32 KiB; the benchmark sends up to 1 MiB.
		c.SetReadLimit(MaxMessage)
		echo := func() error {
			ctx := context.Background()
			var buf []byte
			if reuse {
				buf = make([]byte, BufSize)
			}
			for {
				typ, p, err := coderRead(ctx, c, buf)
				if err != nil {
					return err
				}
				if err := c.Write(ctx, typ, p); err != nil {
					return err
				}
			}
		}
		return echo, c.CloseNow, nil
	}
}

// coderRead reads a message with Read, or into buf when buf is not nil.
func coderRead(ctx context.Context, c *websocket.Conn, buf []byte) (websocket.MessageType, []byte, error) {
	if buf == nil {
		return c.Read(ctx)
	}
	typ, r, err := c.Reader(ctx)
	if err != nil {
		return 0, nil, err
	}
	n, err := readAll(r, buf)
	return typ, buf[:n], err
}

func coderDial(reuse bool) func(ctx context.Context, addr string) (Client, error) {
	return func(ctx context.Context, addr string) (Client, error) {
		c, _, err := websocket.Dial(ctx, "ws://"+addr+"/", nil)
		if err != nil {
			return nil, err
		}
		c.SetReadLimit(MaxMessage)
		return &coderClient{c: c, reuse: reuse}, nil
	}
}

type coderClient struct {
	c     *websocket.Conn
	reuse bool
}

func (c *coderClient) Echo(msg, buf []byte) ([]byte, error) {
	ctx := context.Background()
	if err := c.c.Write(ctx, websocket.MessageBinary, msg); err != nil {
		return nil, err
	}
	if !c.reuse {
		buf = nil
	}
	_, p, err := coderRead(ctx, c.c, buf)
	return p, err
}

func (c *coderClient) Close() error {
	return c.c.Close(websocket.StatusNormalClosure, "")
}
