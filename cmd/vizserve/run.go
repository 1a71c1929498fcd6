package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/vizserve/vizserve/internal/dev"
	"github.com/vizserve/vizserve/server"
)

// errUsage is returned after the usage was printed: main says nothing more.
var errUsage = errors.New("usage")

const usage = `vizserve builds a Go scene, runs it, serves it to the browser, and swaps
new code in on every save while the page stays live.

Usage:
  vizserve [flags] PATH                 serve PATH, rebuild and reload on save
  vizserve init [DIR]                   start a project in DIR (default .): go.mod, scene.go
  vizserve export [flags] PATH -o FILE  run PATH headless, write a frame as SVG
  vizserve record -o FILE [-for D] URL  record the scene served at URL, as a viewer
  vizserve replay [-addr A] FILE        serve a recording, played at 1×, with a /replay control
  vizserve relay -nats URL -scene NAME  serve a scene published over NATS (docs/scale.md)
  vizserve version                      print the version
  vizserve help                         print this help

PATH is a scene's .go file (built alone, as go run builds it), its
directory (the directory's package), or a package path. The scene's
main calls vizserve.Run(scene, options). It may live in this module, in a
module of its own that requires github.com/vizserve/vizserve, or alone in a
directory with no go.mod (vizserve then builds it in a temporary module,
offline, with the vizserve it was built from).

Flags of vizserve PATH:
`

// run is the whole command: main only sets up the signals.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
			printUsage(stdout, serveFlags(new(serveOpts), io.Discard))
			return nil
		case "version", "-version", "--version":
			fmt.Fprintln(stdout, version())
			return nil
		case "export":
			return runExport(ctx, args[1:], stdout, stderr)
		case "init":
			return runInit(ctx, args[1:], stdout, stderr)
		case "record":
			return runRecord(ctx, args[1:], stdout, stderr)
		case "replay":
			return runReplay(ctx, args[1:], stdout, stderr)
		case "relay":
			return runRelay(ctx, args[1:], stdout, stderr)
		}
	}
	return runServe(ctx, args, stdout, stderr)
}

type serveOpts struct {
	addr, tlsCert, tlsKey string
	record                string
	noWatch, public, open bool
	verbose               bool
	tokenTTL              time.Duration
	allowHosts            hostList
	nats                  natsOpts
}

// hostList is the repeatable -allow-host flag.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(v string) error {
	for _, name := range strings.Split(v, ",") {
		if name = strings.TrimSpace(name); name != "" {
			*h = append(*h, name)
		}
	}
	return nil
}

func serveFlags(o *serveOpts, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vizserve", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.addr, "addr", server.DefaultAddr, "listen `address`")
	fs.BoolVar(&o.noWatch, "no-watch", false, "build and serve once; do not watch for changes")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve https and wss with this certificate `file` (with -tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the TLS private key `file`")
	fs.BoolVar(&o.public, "public", false, "listen on every interface (the port of -addr) and require the access token printed in the URL")
	fs.DurationVar(&o.tokenTTL, "token-ttl", dev.DefaultTokenTTL, "how long the -public access token is valid")
	fs.Var(&o.allowHosts, "allow-host", "also answer requests for this host `name` (repeatable, or comma-separated); without it, a server on loopback answers only localhost, 127.0.0.0/8 and [::1]")
	fs.BoolVar(&o.open, "open", false, "open the page in the system's browser")
	fs.BoolVar(&o.verbose, "v", false, "log debug detail")
	fs.StringVar(&o.record, "record", "", "record everything the viewers see, from the start, to `file` (docs/recording.md)")
	natsFlags(fs, &o.nats)
	return fs
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, "\nFlags of vizserve export:\n")
	exportFlags(new(exportOpts), w).PrintDefaults()
	fmt.Fprint(w, "\nFlags of vizserve record:\n")
	recordFlags(new(recordOpts), w).PrintDefaults()
	fmt.Fprint(w, "\nFlags of vizserve replay:\n")
	replayFlags(new(replayOpts), w).PrintDefaults()
	fmt.Fprint(w, "\nFlags of vizserve relay:\n")
	relayFlags(new(relayOpts), w).PrintDefaults()
}

// parse parses flags placed before and after the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func logger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(server.NewConsoleHandler(w, &server.ConsoleOptions{Level: level}))
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o serveOpts
	fs := serveFlags(&o, stderr)
	fs.Usage = func() { printUsage(stderr, fs) }
	pos, err := parse(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "vizserve: name one scene: vizserve [flags] PATH (vizserve help tells more)")
		return errUsage
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	attach, err := o.nats.attach(stderr)
	if err != nil {
		return err
	}
	closeBroker, err := o.nats.startBroker(stdout)
	if err != nil {
		return err
	}
	defer closeBroker()
	var opener sync.WaitGroup
	defer opener.Wait()
	cfg := dev.Config{
		Attach:   attach,
		Path:     pos[0],
		Addr:     o.addr,
		NoWatch:  o.noWatch,
		TLSCert:  o.tlsCert,
		TLSKey:   o.tlsKey,
		Public:   o.public,
		TokenTTL: o.tokenTTL,
		Stdout:   stdout,
		Stderr:   stderr,
		Logger:   logger(stderr, o.verbose),

		AllowedHosts: o.allowHosts,
		OnReady: func(url string) {
			if o.open {
				opener.Go(func() { openBrowser(url, stderr) })
			}
		},
	}
	if o.record == "" {
		return dev.Run(ctx, cfg)
	}
	rec, err := createRecording(o.record, pos[0])
	if err != nil {
		return err
	}
	cfg.Record = rec
	err = dev.Run(ctx, cfg)
	if cerr := rec.Close(); err == nil {
		err = cerr
	}
	fmt.Fprintln(stdout, "vizserve:", rec.summary())
	return err
}

// openBrowser opens url in the system's browser, if there is a way to.
func openBrowser(url string, stderr io.Writer) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(stderr, "vizserve: could not open a browser (%v): open the URL yourself\n", err)
	}
}

type exportOpts struct {
	out   string
	ticks int
}

func exportFlags(o *exportOpts, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vizserve export", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.out, "o", "", "write the SVG to `file` (required)")
	fs.IntVar(&o.ticks, "ticks", 0, "run the sim for `n` ticks (of 1/60 s) before rendering")
	return fs
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o exportOpts
	fs := exportFlags(&o, stderr)
	pos, err := parse(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if len(pos) != 1 || o.out == "" {
		fmt.Fprintln(stderr, "vizserve: usage: vizserve export PATH -o FILE [-ticks N]")
		return errUsage
	}
	if o.ticks < 0 {
		return errors.New("-ticks must not be negative")
	}
	out, err := filepath.Abs(o.out)
	if err != nil {
		return err
	}
	return dev.Export(ctx, dev.ExportConfig{
		Path:   pos[0],
		Out:    out,
		Ticks:  o.ticks,
		Stdout: stdout,
		Stderr: stderr,
	})
}

// version describes this build: the module version, or the VCS revision of
// a source build.
func version() string {
	v := "vizserve (devel)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = "vizserve " + bi.Main.Version
		} else {
			rev, dirty := "", false
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					dirty = s.Value == "true"
				}
			}
			if rev != "" {
				if len(rev) > 12 {
					rev = rev[:12]
				}
				v += " " + rev
				if dirty {
					v += "+dirty"
				}
			}
		}
	}
	return v + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
