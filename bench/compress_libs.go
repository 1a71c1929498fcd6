package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"
	"github.com/vizserve/vizserve/ws"
)

// Compression benchmarks: the same echo as the others, with
// permessage-deflate (RFC 7692) negotiated by each library's own option,
// on both sides.

// CompressLib is a library with compression set one way, used through its
// usual API on both sides of the echo. Variants with compression off are
// the baseline of the idle-memory comparison.
type CompressLib struct {
	Name     string // "ours", "ours-takeover", "gorilla", "gws", "gws-takeover", "ours-off", ...
	Library  string
	Setting  string // the option set, for reports
	Compress bool   // permessage-deflate on
	Takeover bool   // context takeover in either direction
	// Spawn runs the server's echo loop in its own goroutine (gws's
	// documented way); the others run it in the HTTP handler.
	Spawn bool

	accept func(w http.ResponseWriter, r *http.Request) (echo func() error, closer func() error, err error)
	// dial connects a client; nd, if set, opens the TCP connection.
	dial func(ctx context.Context, addr string, nd netDial) (Client, error)
}

type netDial func(ctx context.Context, network, addr string) (net.Conn, error)

// CompressLibs lists the variants: with compression as each library
// offers it, then with compression off.
var CompressLibs = []*CompressLib{
	oursCompress("ours", &ws.CompressionOptions{}, "CompressionOptions{} (no context takeover)"),
	oursCompress("ours-takeover", &ws.CompressionOptions{ContextTakeover: true}, "CompressionOptions{ContextTakeover: true}"),
	gorillaCompress("gorilla", true),
	gwsCompress("gws", true, false),
	gwsCompress("gws-takeover", true, true),
	oursCompress("ours-off", nil, "no compression"),
	gorillaCompress("gorilla-off", false),
	gwsCompress("gws-off", false, false),
}

// CompressLibByName returns the variant called name.
func CompressLibByName(name string) (*CompressLib, error) {
	for _, l := range CompressLibs {
		if l.Name == name {
			return l, nil
		}
	}
	names := make([]string, len(CompressLibs))
	for i, l := range CompressLibs {
		names[i] = l.Name
	}
	return nil, fmt.Errorf("unknown compression variant %q; known: %s", name, strings.Join(names, ", "))
}

// SelectCompressLibs returns the variants named in a comma-separated list,
// or all of them for "".
func SelectCompressLibs(list string) ([]*CompressLib, error) {
	if list == "" || list == "all" {
		return CompressLibs, nil
	}
	var out []*CompressLib
	for name := range strings.SplitSeq(list, ",") {
		l, err := CompressLibByName(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// lib adapts the variant to Lib, for StartServer.
func (l *CompressLib) lib() *Lib {
	return &Lib{Name: l.Name, Library: l.Library, API: l.Setting, accept: l.accept}
}

// Dial connects a client of the variant to the echo server at addr.
func (l *CompressLib) Dial(ctx context.Context, addr string) (Client, error) {
	return l.dialWith(ctx, addr, nil)
}

func (l *CompressLib) dialWith(ctx context.Context, addr string, nd netDial) (Client, error) {
	c, err := l.dial(ctx, addr, nd)
	if err != nil {
		return nil, fmt.Errorf("%s: dial %s: %w", l.Name, addr, err)
	}
	return c, nil
}

// StartCompressServer starts an echo server of the variant on addr.
func StartCompressServer(l *CompressLib, addr string) (*Server, error) {
	return StartServer(l.lib(), addr, &ServerOptions{Spawn: l.Spawn})
}

func oursCompress(name string, o *ws.CompressionOptions, setting string) *CompressLib {
	return &CompressLib{
		Name: name, Library: "github.com/vizserve/vizserve/ws", Setting: setting,
		Compress: o != nil, Takeover: o != nil && o.ContextTakeover,
		accept: func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
			c, err := ws.Accept(w, r, &ws.AcceptOptions{Compression: o})
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
		dial: func(ctx context.Context, addr string, nd netDial) (Client, error) {
			c, _, err := ws.Dial(ctx, "ws://"+addr+"/", &ws.DialOptions{Compression: o, NetDialContext: nd})
			if err != nil {
				return nil, err
			}
			return &oursClient{c: c}, nil
		},
	}
}

func gorillaCompress(name string, on bool) *CompressLib {
	setting := "Upgrader and Dialer with EnableCompression (no context takeover; the only mode it has)"
	if !on {
		setting = "no compression"
	}
	up := &websocket.Upgrader{EnableCompression: on}
	return &CompressLib{
		Name: name, Library: "github.com/gorilla/websocket", Setting: setting, Compress: on,
		accept: func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return nil, nil, err
			}
			echo := func() error {
				for {
					typ, p, err := c.ReadMessage()
					if err != nil {
						return err
					}
					if err := c.WriteMessage(typ, p); err != nil {
						return err
					}
				}
			}
			return echo, c.Close, nil
		},
		dial: func(ctx context.Context, addr string, nd netDial) (Client, error) {
			d := websocket.Dialer{EnableCompression: on, NetDialContext: nd}
			c, _, err := d.DialContext(ctx, "ws://"+addr+"/", nil)
			if err != nil {
				return nil, err
			}
			return &gorillaClient{c: c}, nil
		},
	}
}

func gwsCompress(name string, on, takeover bool) *CompressLib {
	pd := gws.PermessageDeflate{Enabled: on, ServerContextTakeover: takeover, ClientContextTakeover: takeover}
	setting := "PermessageDeflate{Enabled: true} (no context takeover)"
	switch {
	case !on:
		setting = "no compression"
	case takeover:
		setting = "PermessageDeflate{Enabled: true, ServerContextTakeover: true, ClientContextTakeover: true} (its default window: 4 KiB)"
	}
	// Made on first use: an upgrader with compression sets up its pools.
	up := sync.OnceValue(func() *gws.Upgrader { return gws.NewUpgrader(gwsEcho{}, &gws.ServerOption{PermessageDeflate: pd}) })
	return &CompressLib{
		Name: name, Library: "github.com/lxzan/gws", Setting: setting, Compress: on, Takeover: takeover, Spawn: true,
		accept: func(w http.ResponseWriter, r *http.Request) (func() error, func() error, error) {
			c, err := up().Upgrade(w, r)
			if err != nil {
				return nil, nil, err
			}
			return func() error { c.ReadLoop(); return nil }, c.NetConn().Close, nil
		},
		dial: func(ctx context.Context, addr string, nd netDial) (Client, error) {
			h := &gwsClientHandler{
				want:   make(chan []byte, 1),
				got:    make(chan gwsResult, 1),
				quit:   make(chan struct{}),
				closed: make(chan struct{}),
			}
			opt := &gws.ClientOption{Addr: "ws://" + addr + "/", PermessageDeflate: pd}
			if nd != nil {
				opt.NewDialer = func() (gws.Dialer, error) { return gwsDialer{ctx, nd}, nil }
			}
			c, _, err := gws.NewClient(h, opt)
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
}

// gwsDialer adapts a netDial to gws's Dialer.
type gwsDialer struct {
	ctx context.Context
	nd  netDial
}

func (d gwsDialer) Dial(network, addr string) (net.Conn, error) { return d.nd(d.ctx, network, addr) }
