package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// gobwas: the wsutil helpers its README starts with, which allocate each
// message and read the connection unbuffered.
var gobwasLib = &Lib{
	Name:    "gobwas",
	Library: "github.com/gobwas/ws",
	API:     "wsutil.ReadClientData/ReadServerData + wsutil.WriteServerMessage/WriteClientMessage",
	Idle:    true,
	accept: func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
		nc, _, _, err := ws.UpgradeHTTP(r, w)
		if err != nil {
			return nil, nil, err
		}
		echo := func() error {
			for {
				p, op, err := wsutil.ReadClientData(nc)
				if err != nil {
					return err
				}
				if err := wsutil.WriteServerMessage(nc, op, p); err != nil {
					return err
				}
			}
		}
		return echo, nc.Close, nil
	},
	dial: func(ctx context.Context, addr string) (Client, error) {
		nc, rw, err := gobwasDial(ctx, addr)
		if err != nil {
			return nil, err
		}
		return &gobwasClient{nc: nc, rw: rw}, nil
	},
}

// gobwasDial dials and returns the connection and a ReadWriter that first
// yields what the server sent after its handshake response, if anything.
func gobwasDial(ctx context.Context, addr string) (net.Conn, io.ReadWriter, error) {
	nc, br, _, err := ws.Dial(ctx, "ws://"+addr+"/")
	if err != nil {
		return nil, nil, err
	}
	if br == nil {
		return nc, nc, nil
	}
	rest := make([]byte, br.Buffered())
	br.Read(rest)
	ws.PutReader(br)
	return nc, struct {
		io.Reader
		io.Writer
	}{io.MultiReader(bytes.NewReader(rest), nc), nc}, nil
}

type gobwasClient struct {
	nc net.Conn
	rw io.ReadWriter
}

func (c *gobwasClient) Echo(msg, _ []byte) ([]byte, error) {
	if err := wsutil.WriteClientMessage(c.rw, ws.OpBinary, msg); err != nil {
		return nil, err
	}
	p, _, err := wsutil.ReadServerData(c.rw)
	return p, err
}

func (c *gobwasClient) Close() error {
	wsutil.WriteClientMessage(c.rw, ws.OpClose, ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))
	return c.nc.Close()
}

// gobwas-lowlevel: its low-level frame API (ws.ReadHeaderBuffer,
// ws.WriteHeaderBuffer, ws.Cipher) over bufio, with one payload buffer per
// connection, as its README's "zero-copy" section suggests.
var gobwasLowLevelLib = &Lib{
	Name:    "gobwas-lowlevel",
	Library: "github.com/gobwas/ws",
	API:     "ws.ReadHeaderBuffer + ws.Cipher + ws.WriteHeaderBuffer over bufio, one buffer per connection",
	accept: func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
		nc, _, _, err := ws.UpgradeHTTP(r, w)
		if err != nil {
			return nil, nil, err
		}
		echo := func() error {
			f := newGobwasFramer(nc, nc, true)
			for {
				h, p, err := f.read()
				if err != nil {
					return err
				}
				if h.OpCode == ws.OpClose {
					f.write(ws.OpClose, p)
					return io.EOF
				}
				if h.OpCode == ws.OpPing {
					h.OpCode = ws.OpPong
				}
				if err := f.write(h.OpCode, p); err != nil {
					return err
				}
			}
		}
		return echo, nc.Close, nil
	},
	dial: func(ctx context.Context, addr string) (Client, error) {
		nc, rw, err := gobwasDial(ctx, addr)
		if err != nil {
			return nil, err
		}
		return &gobwasLowClient{nc: nc, f: newGobwasFramer(rw, rw, false)}, nil
	},
}

// gobwasFramer reads and writes single-frame messages with gobwas's frame
// functions, reusing its buffers.
type gobwasFramer struct {
	br      *bufio.Reader
	bw      *bufio.Writer
	server  bool
	hdrR    []byte
	hdrW    []byte
	payload []byte // received payloads
	masked  []byte // the masked copy a client sends
}

func newGobwasFramer(r io.Reader, w io.Writer, server bool) *gobwasFramer {
	f := &gobwasFramer{
		br:      bufio.NewReaderSize(r, 4096),
		bw:      bufio.NewWriterSize(w, 4096),
		server:  server,
		hdrR:    make([]byte, ws.MaxHeaderSize),
		hdrW:    make([]byte, ws.MaxHeaderSize),
		payload: make([]byte, BufSize),
	}
	if !server {
		f.masked = make([]byte, BufSize)
	}
	return f
}

var errFragmented = errors.New("fragmented message: the low-level echo handles single frames only")

func (f *gobwasFramer) read() (ws.Header, []byte, error) {
	h, err := ws.ReadHeaderBuffer(f.br, f.hdrR)
	if err != nil {
		return h, nil, err
	}
	if !h.Fin {
		return h, nil, errFragmented
	}
	if h.Length > int64(len(f.payload)) {
		return h, nil, errTooBig
	}
	p := f.payload[:h.Length]
	if _, err := io.ReadFull(f.br, p); err != nil {
		return h, nil, err
	}
	if h.Masked {
		ws.Cipher(p, h.Mask, 0)
	}
	return h, p, nil
}

func (f *gobwasFramer) write(op ws.OpCode, p []byte) error {
	h := ws.Header{Fin: true, OpCode: op, Length: int64(len(p))}
	if !f.server {
		h.Masked = true
		h.Mask = ws.NewMask()
		m := f.masked[:len(p)]
		copy(m, p)
		ws.Cipher(m, h.Mask, 0)
		p = m
	}
	if err := ws.WriteHeaderBuffer(f.bw, h, f.hdrW); err != nil {
		return err
	}
	if _, err := f.bw.Write(p); err != nil {
		return err
	}
	return f.bw.Flush()
}

type gobwasLowClient struct {
	nc net.Conn
	f  *gobwasFramer
}

func (c *gobwasLowClient) Echo(msg, _ []byte) ([]byte, error) {
	if err := c.f.write(ws.OpBinary, msg); err != nil {
		return nil, err
	}
	_, p, err := c.f.read()
	return p, err
}

func (c *gobwasLowClient) Close() error {
	c.f.write(ws.OpClose, ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))
	return c.nc.Close()
}
