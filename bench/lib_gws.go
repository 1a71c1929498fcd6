package bench

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/lxzan/gws"
)

// gws: its event API. ReadLoop delivers each message to OnMessage in a
// pooled buffer; the server writes it back from there, the client copies it
// into its buffer and hands it to the waiting Echo.
var gwsLib = &Lib{
	Name:    "gws",
	Library: "github.com/lxzan/gws",
	API:     "Conn.ReadLoop + OnMessage (pooled buffers) + Conn.WriteMessage",
	Idle:    true,
	accept: func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
		c, err := gwsUpgrader.Upgrade(w, r)
		if err != nil {
			return nil, nil, err
		}
		echo := func() error {
			c.ReadLoop()
			return nil
		}
		return echo, c.NetConn().Close, nil
	},
	dial: func(ctx context.Context, addr string) (Client, error) {
		h := &gwsClientHandler{
			want:   make(chan []byte, 1),
			got:    make(chan gwsResult, 1),
			quit:   make(chan struct{}),
			closed: make(chan struct{}),
		}
		c, _, err := gws.NewClient(h, &gws.ClientOption{Addr: "ws://" + addr + "/"})
		if err != nil {
			return nil, err
		}
		cl := &gwsClient{c: c, h: h, loopDone: make(chan struct{})}
		go func() {
			defer close(cl.loopDone)
			c.ReadLoop()
		}()
		return cl, nil
	},
}

var gwsUpgrader = gws.NewUpgrader(gwsEcho{}, nil)

// gwsEcho is the server's event handler.
type gwsEcho struct{ gws.BuiltinEventHandler }

func (gwsEcho) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	c.WriteMessage(m.Opcode, m.Bytes())
}

type gwsResult struct {
	n   int
	err error
}

// gwsClientHandler passes each message to the Echo waiting for it.
type gwsClientHandler struct {
	gws.BuiltinEventHandler
	want   chan []byte // the buffer for the next message, from Echo
	got    chan gwsResult
	quit   chan struct{} // closed by Client.Close
	once   sync.Once
	closed chan struct{} // closed when the read loop ends
}

func (h *gwsClientHandler) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	var buf []byte
	select {
	case buf = <-h.want:
	case <-h.quit:
		return
	}
	var r gwsResult
	if m.Data.Len() > len(buf) {
		r.err = errTooBig
	} else {
		r.n = copy(buf, m.Bytes())
	}
	h.got <- r
}

func (h *gwsClientHandler) OnClose(c *gws.Conn, err error) {
	h.once.Do(func() { close(h.closed) })
}

type gwsClient struct {
	c        *gws.Conn
	h        *gwsClientHandler
	loopDone chan struct{}
}

var errGWSClosed = errors.New("gws: connection closed")

func (c *gwsClient) Echo(msg, buf []byte) ([]byte, error) {
	c.h.want <- buf
	if err := c.c.WriteMessage(gws.OpcodeBinary, msg); err != nil {
		return nil, err
	}
	select {
	case r := <-c.h.got:
		return buf[:r.n], r.err
	case <-c.h.closed:
		return nil, errGWSClosed
	}
}

func (c *gwsClient) Close() error {
	close(c.h.quit)
	// WriteClose sends the close frame and closes the TCP connection
	// without waiting for the server's answer, which ends ReadLoop.
	err := c.c.WriteClose(1000, nil)
	<-c.loopDone
	return err
}
