package bench

import (
	"context"
	"net/http"

	"github.com/vizserve/vizserve/ws"
)

// ours: Conn.Read, which allocates each message, and Conn.Write.
var oursLib = &Lib{
	Name:    "ours",
	Library: "github.com/vizserve/vizserve/ws",
	API:     "Conn.Read + Conn.Write",
	Idle:    true,
	accept: func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
		c, err := ws.Accept(w, r, nil)
		if err != nil {
			return nil, nil, err
		}
		echo := func() error {
			ctx := context.Background()
			for {
				typ, p, err := c.Read(ctx)
				if err != nil {
					return err
				}
				if err := c.Write(ctx, typ, p); err != nil {
					return err
				}
			}
		}
		return echo, c.CloseNow, nil
	},
	dial: func(ctx context.Context, addr string) (Client, error) {
		c, _, err := ws.Dial(ctx, "ws://"+addr+"/", nil)
		if err != nil {
			return nil, err
		}
		return &oursClient{c: c}, nil
	},
}

// ours-readinto: Conn.ReadInto with one buffer per connection, the
// allocation-free path, and Conn.Write.
var oursReadIntoLib = &Lib{
	Name:    "ours-readinto",
	Library: "github.com/vizserve/vizserve/ws",
	API:     "Conn.ReadInto (one buffer per connection) + Conn.Write",
	accept: func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
		c, err := ws.Accept(w, r, nil)
		if err != nil {
			return nil, nil, err
		}
		echo := func() error {
			ctx := context.Background()
			buf := make([]byte, BufSize)
			for {
				typ, n, err := c.ReadInto(ctx, buf)
				if err != nil {
					return err
				}
				if err := c.Write(ctx, typ, buf[:n]); err != nil {
					return err
				}
			}
		}
		return echo, c.CloseNow, nil
	},
	dial: func(ctx context.Context, addr string) (Client, error) {
		c, _, err := ws.Dial(ctx, "ws://"+addr+"/", nil)
		if err != nil {
			return nil, err
		}
		return &oursClient{c: c, into: true}, nil
	},
}

type oursClient struct {
	c    *ws.Conn
	into bool
}

func (c *oursClient) Echo(msg, buf []byte) ([]byte, error) {
	ctx := context.Background()
	if err := c.c.Write(ctx, ws.MessageBinary, msg); err != nil {
		return nil, err
	}
	if c.into {
		_, n, err := c.c.ReadInto(ctx, buf)
		return buf[:n], err
	}
	_, p, err := c.c.Read(ctx)
	return p, err
}

func (c *oursClient) Close() error {
	// Close waits for the server's answer; the server's echo loop ends on
	// the close frame and answers it.
	return c.c.Close(ws.StatusNormalClosure, "")
}
