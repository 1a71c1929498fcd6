package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/vizserve/vizserve/internal/dev"
	"github.com/vizserve/vizserve/internal/natsrelay"
	"github.com/vizserve/vizserve/internal/stream"
	"github.com/vizserve/vizserve/server"
)

// natsOpts are the flags of vizserve PATH that publish the scene over NATS
// (docs/scale.md).
type natsOpts struct {
	publish, scene, broker string
}

func natsFlags(fs *flag.FlagSet, o *natsOpts) {
	fs.StringVar(&o.publish, "publish", "", "publish the scene to relays through the NATS broker at `url` (nats://HOST:PORT; see docs/scale.md)")
	fs.StringVar(&o.scene, "scene", "", "the scene's `name` on the broker (with -publish)")
	fs.StringVar(&o.broker, "broker", "", "run a NATS broker in this process, listening on `address` (host:port)")
}

// startBroker starts the embedded broker of -broker, if asked; close is
// never nil.
func (o *natsOpts) startBroker(stdout io.Writer) (closeBroker func(), err error) {
	if o.broker == "" {
		return func() {}, nil
	}
	b, err := natsrelay.StartBroker(o.broker, nil)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "vizserve: NATS broker at %s\n", b.URL())
	return func() { b.Close() }, nil
}

// attach returns the dev front's hook that publishes its relay, or nil.
func (o *natsOpts) attach(stderr io.Writer) (func(*stream.Relay, *server.Hub) func(), error) {
	if o.publish == "" {
		if o.scene != "" {
			return nil, errors.New("-scene goes with -publish")
		}
		return nil, nil
	}
	if o.scene == "" {
		return nil, errors.New("-publish needs -scene NAME")
	}
	return func(r *stream.Relay, hub *server.Hub) func() {
		nc, err := natsrelay.Connect(o.publish, "vizserve-origin")
		if err != nil {
			fmt.Fprintf(stderr, "vizserve: %v\n", err)
			return func() {}
		}
		p, err := natsrelay.NewPublisher(nc, r, &natsrelay.PublisherOptions{Scene: o.scene, Viewers: func() int { return hub.Stats().Viewers }})
		if err != nil {
			nc.Close()
			fmt.Fprintf(stderr, "vizserve: %v\n", err)
			return func() {}
		}
		hub.CountViewers(p.Viewers)
		return func() {
			p.Close()
			nc.Close()
		}
	}, nil
}

type relayOpts struct {
	nats    natsOpts
	url     string
	addr    string
	name    string
	public  bool
	procs   int
	reuse   bool
	verbose bool
}

func relayFlags(o *relayOpts, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vizserve relay", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.url, "nats", "", "the NATS broker's `url` (nats://HOST:PORT); required")
	fs.StringVar(&o.nats.scene, "scene", "", "the scene's `name` on the broker; required")
	fs.StringVar(&o.nats.broker, "broker", "", "run a NATS broker in this process, listening on `address` (host:port)")
	fs.StringVar(&o.addr, "addr", server.DefaultAddr, "listen `address`")
	fs.StringVar(&o.name, "name", "", "the relay's `name` among the scene's relays (default: host name and process id)")
	fs.BoolVar(&o.public, "public", false, "listen on every interface (the port of -addr) and require the access token printed in the URL")
	fs.IntVar(&o.procs, "procs", 1, "run `n` relay processes sharing -addr's port (SO_REUSEPORT, Linux): the viewers of one that dies reconnect to the others")
	fs.BoolVar(&o.reuse, "reuse-port", false, "listen with SO_REUSEPORT (what each of -procs does)")
	fs.BoolVar(&o.verbose, "v", false, "log debug detail")
	return fs
}

// runRelay is vizserve relay: it serves a scene published by an origin
// elsewhere, from the broker, with no build.
func runRelay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o relayOpts
	fs := relayFlags(&o, stderr)
	pos, err := parse(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if len(pos) != 0 || o.url == "" || o.nats.scene == "" || o.procs < 1 {
		fmt.Fprintln(stderr, "vizserve: usage: vizserve relay -nats URL -scene NAME [-addr ADDR] [-public] [-procs N] [-broker ADDR]")
		return errUsage
	}
	closeBroker, err := o.nats.startBroker(stdout)
	if err != nil {
		return err
	}
	defer closeBroker()
	if o.procs > 1 {
		return runRelayProcs(ctx, &o, args, stdout, stderr)
	}
	log := logger(stderr, o.verbose)
	nc, err := natsrelay.Connect(o.url, "vizserve-relay")
	if err != nil {
		return err
	}
	defer nc.Close()
	cfg := server.Config{Addr: o.addr, Logger: log, ReusePort: o.reuse}
	var tok string
	if o.public {
		_, port, err := net.SplitHostPort(o.addr)
		if err != nil {
			return fmt.Errorf("-addr %q: %w", o.addr, err)
		}
		cfg.Addr = net.JoinHostPort("0.0.0.0", port)
		cfg.Tokens = server.NewTokens(nil)
		tok = cfg.Tokens.Mint("/", dev.DefaultTokenTTL)
	}
	srv := server.New(cfg)
	var hub atomic.Pointer[server.Hub] // mounted on the subscriber's relay
	sub, err := natsrelay.NewSubscriber(nc, &natsrelay.SubscriberOptions{
		Scene: o.nats.scene, Name: o.name, Logger: log,
		Viewers: func() int {
			if h := hub.Load(); h != nil {
				return h.Stats().Viewers
			}
			return 0
		},
	})
	if err != nil {
		return err
	}
	defer sub.Close()
	h := server.MountScene(srv, sub.Relay(), &server.SceneOptions{Title: "vizserve · " + o.nats.scene})
	h.CountViewers(sub.Viewers)
	hub.Store(h)
	if err := srv.Open(); err != nil {
		return err
	}
	u := srv.URL() + "/"
	if tok != "" {
		u += "?" + server.TokenParam + "=" + url.QueryEscape(tok)
	}
	fmt.Fprintf(stdout, "vizserve: relay %s (pid %d) of scene %q from %s: open %s\n", sub.Name(), os.Getpid(), o.nats.scene, o.url, u)
	return srv.Run(ctx)
}

// runRelayProcs runs o.procs relay processes on one port, each with
// -reuse-port, and starts a new one when one dies, until ctx ends.
func runRelayProcs(ctx context.Context, o *relayOpts, args []string, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var child []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-procs" || a == "--procs" || a == "-broker" || a == "--broker":
			i++
			continue
		case len(a) > 7 && (a[:7] == "-procs=" || a[:8] == "--procs=") || len(a) > 8 && (a[:8] == "-broker=" || a[:9] == "--broker="):
			continue
		}
		child = append(child, a)
	}
	child = append([]string{"relay"}, append(child, "-reuse-port")...)
	var wg sync.WaitGroup
	for i := range o.procs {
		wg.Go(func() {
			for ctx.Err() == nil {
				args := append(child[:len(child):len(child)], "-name", o.nats.scene+"-"+strconv.Itoa(os.Getpid())+"-"+strconv.Itoa(i)+"-"+strconv.Itoa(int(nextGen())))
				cmd := exec.CommandContext(ctx, exe, args...)
				cmd.Stdout, cmd.Stderr = stdout, stderr
				dieWithParent(cmd)
				if err := cmd.Run(); err != nil && ctx.Err() == nil {
					fmt.Fprintf(stderr, "vizserve: relay process %d ended (%v); starting another\n", i+1, err)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

var (
	genMu sync.Mutex
	gen   int64
)

func nextGen() int64 {
	genMu.Lock()
	defer genMu.Unlock()
	gen++
	return gen
}
