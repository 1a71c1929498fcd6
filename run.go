// Package vizserve shows a live Go simulation in a web browser.
//
//	func main() {
//		s := scene.New(scene.Options{Width: 600, Height: 400})
//		ball := s.Root().Circle(300, 200, 20, "fill:crimson")
//		s.OnTick(func(dt float64) { ... ball.SetXY(x, y) })
//		if err := vizserve.Run(s, nil); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// `go run .` serves the scene on http://127.0.0.1:8000 (change it with -addr
// or VIZSERVE_ADDR); `vizserve ./scene.go` runs the same program under the
// live-reload front, which rebuilds it on every save and swaps the new code
// in while the browser stays connected.
package vizserve

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vizserve/vizserve/scene"
)

// Options configures Run. The zero value (or nil) gives the defaults.
type Options struct {
	// Title names the page. Default "vizserve".
	Title string

	// Addr is the listen address. Default: the -addr flag, else the
	// VIZSERVE_ADDR environment variable, else 127.0.0.1:8000. A
	// non-loopback address gets an access token, printed in the URL.
	Addr string

	// AllowedHosts are names besides localhost and loopback addresses that
	// the page may be opened under: a server on loopback answers no others
	// (see server.Config.AllowedHosts). Default: the -allow-host flag, a
	// comma-separated list.
	AllowedHosts []string

	// State, if set, is a pointer to a JSON-serialisable value holding the
	// simulation's state. Under `vizserve` it is carried across live-reload
	// swaps: taken from the old program and restored into the new one before
	// its first tick; OnRestore then runs on the sim goroutine.
	State     any
	OnRestore func()
}

// DefaultAddr is where Run serves unless told otherwise: server.DefaultAddr
// (a test keeps them equal; a scene built for the front links no server).
const DefaultAddr = "127.0.0.1:8000"

var addrFlag, allowHostFlag *string

func init() {
	// Scene programs get -addr without declaring it; one that declares its
	// own -addr keeps it.
	if flag.Lookup("addr") == nil {
		addrFlag = flag.String("addr", "", "listen address (default "+DefaultAddr+", or $VIZSERVE_ADDR)")
	}
	if flag.Lookup("allow-host") == nil {
		allowHostFlag = flag.String("allow-host", "", "comma-separated host names to answer besides localhost and loopback addresses")
	}
}

// Run shows s in the browser until the program is interrupted (SIGINT or
// SIGTERM): it runs the simulation loop, serves the page, the websocket and
// the SVG views (server.MountScene), and prints the URL. Under `vizserve`
// it instead links the scene to the live-reload front.
func Run(s *scene.Scene, opts *Options) error {
	var o Options
	if opts != nil {
		o = *opts
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if underVizserve() {
		return runChild(ctx, s, &o)
	}
	if !flag.Parsed() {
		flag.Parse()
	}
	return serve(ctx, s, &o, os.Stdout)
}

// listenAddr picks the address from the options, the flag, the
// environment or the default.
func listenAddr(o *Options) string {
	switch {
	case o.Addr != "":
		return o.Addr
	case addrFlag != nil && *addrFlag != "":
		return *addrFlag
	case os.Getenv("VIZSERVE_ADDR") != "":
		return os.Getenv("VIZSERVE_ADDR")
	}
	return DefaultAddr
}

// allowedHosts picks the extra host names from the options or the flag.
func allowedHosts(o *Options) []string {
	if len(o.AllowedHosts) > 0 || allowHostFlag == nil {
		return o.AllowedHosts
	}
	var names []string
	for _, n := range strings.Split(*allowHostFlag, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}
