package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
)

// raw: a length-prefixed echo over net.Conn (4-byte big-endian length, then
// the payload), the floor under every WebSocket stack: what it costs to move
// the bytes through the kernel and back with buffered reads and one write
// per message.
var rawLib = &Lib{
	Name:    "raw",
	Library: "net (standard library)",
	API:     "length-prefixed messages over net.Conn, bufio reads, one write per message",
	Idle:    true,
	serveRaw: func(nc net.Conn) error {
		f := newRawFramer(nc)
		var buf []byte // grows to the largest message seen, then reused
		for {
			p, err := f.read(&buf)
			if err != nil {
				return err
			}
			if err := f.write(p); err != nil {
				return err
			}
		}
	},
	dial: func(ctx context.Context, addr string) (Client, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return &rawClient{nc: nc, f: newRawFramer(nc)}, nil
	},
}

// rawSmall is the largest message written with its length in one copy;
// longer ones go out with writev.
const rawSmall = 8192 - 4

type rawFramer struct {
	nc     net.Conn
	br     *bufio.Reader
	hdr    [4]byte // of the message read
	whdr   [4]byte // of the message written
	out    []byte
	vec    net.Buffers
	vecArr [2][]byte // vec's backing array: WriteTo consumes vec
}

func newRawFramer(nc net.Conn) *rawFramer {
	return &rawFramer{nc: nc, br: bufio.NewReaderSize(nc, 4096)}
}

// read reads a message into *buf, growing it to fit if needed.
func (f *rawFramer) read(buf *[]byte) ([]byte, error) {
	if _, err := io.ReadFull(f.br, f.hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(f.hdr[:])
	if n > MaxMessage {
		return nil, errTooBig
	}
	if int(n) > cap(*buf) {
		*buf = make([]byte, n)
	}
	p := (*buf)[:n]
	_, err := io.ReadFull(f.br, p)
	return p, err
}

func (f *rawFramer) write(p []byte) error {
	if len(p) <= rawSmall {
		if cap(f.out) < 4+len(p) {
			f.out = make([]byte, 0, 4+len(p)) // grows to the largest small message, then reused
		}
		f.out = binary.BigEndian.AppendUint32(f.out[:0], uint32(len(p)))
		f.out = append(f.out, p...)
		_, err := f.nc.Write(f.out)
		return err
	}
	binary.BigEndian.PutUint32(f.whdr[:], uint32(len(p)))
	f.vecArr = [2][]byte{f.whdr[:], p}
	f.vec = f.vecArr[:]
	_, err := f.vec.WriteTo(f.nc)
	f.vecArr = [2][]byte{}
	return err
}

type rawClient struct {
	nc net.Conn
	f  *rawFramer
}

func (c *rawClient) Echo(msg, buf []byte) ([]byte, error) {
	if err := c.f.write(msg); err != nil {
		return nil, err
	}
	return c.f.read(&buf)
}

func (c *rawClient) Close() error { return c.nc.Close() }
