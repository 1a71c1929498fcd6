package bench

import (
	"context"
	"net/http"

	"github.com/gorilla/websocket"
)

// gorilla: ReadMessage, which allocates each message, and WriteMessage.
var gorillaLib = &Lib{
	Name:    "gorilla",
	Library: "github.com/gorilla/websocket",
	API:     "Conn.ReadMessage + Conn.WriteMessage",
	Idle:    true,
	accept:  gorillaAccept(false),
	dial:    gorillaDial(false),
}

// gorilla-reader: NextReader read into one buffer per connection, and
// WriteMessage.
var gorillaReaderLib = &Lib{
	Name:    "gorilla-reader",
	Library: "github.com/gorilla/websocket",
	API:     "Conn.NextReader into one buffer per connection + Conn.WriteMessage",
	accept:  gorillaAccept(true),
	dial:    gorillaDial(true),
}

var gorillaUpgrader websocket.Upgrader // the zero value, as documented

func gorillaAccept(reuse bool) func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
	return func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
		c, err := gorillaUpgrader.Upgrade(w, r, nil)
		if err != nil {
			return nil, nil, err
		}
		echo := func() error {
			var buf []byte
			if reuse {
				buf = make([]byte, BufSize)
			}
			for {
				typ, p, err := gorillaRead(c, buf)
				if err != nil {
					return err
				}
				if err := c.WriteMessage(typ, p); err != nil {
					return err
				}
			}
		}
		return echo, c.Close, nil
	}
}

// gorillaRead reads a message with ReadMessage, or into buf when buf is not
// nil.
func gorillaRead(c *websocket.Conn, buf []byte) (int, []byte, error) {
	if buf == nil {
		return c.ReadMessage()
	}
	typ, r, err := c.NextReader()
	if err != nil {
		return 0, nil, err
	}
	n, err := readAll(r, buf)
	return typ, buf[:n], err
}

func gorillaDial(reuse bool) func(ctx context.Context, addr string) (Client, error) {
	return func(ctx context.Context, addr string) (Client, error) {
		c, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+addr+"/", nil)
		if err != nil {
			return nil, err
		}
		return &gorillaClient{c: c, reuse: reuse}, nil
	}
}

type gorillaClient struct {
	c     *websocket.Conn
	reuse bool
}

func (c *gorillaClient) Echo(msg, buf []byte) ([]byte, error) {
	if err := c.c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
		return nil, err
	}
	if !c.reuse {
		buf = nil
	}
	_, p, err := gorillaRead(c.c, buf)
	return p, err
}

func (c *gorillaClient) Close() error {
	// gorilla has no closing handshake of its own: send the close frame
	// and drop the connection, as its examples do.
	c.c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	return c.c.Close()
}
