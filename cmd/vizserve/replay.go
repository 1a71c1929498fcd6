package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/vizserve/vizserve/internal/record"
	"github.com/vizserve/vizserve/server"
)

type replayOpts struct {
	addr string
}

func replayFlags(o *replayOpts, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vizserve replay", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.addr, "addr", server.DefaultAddr, "listen `address`")
	return fs
}

// runReplay is vizserve replay: it serves a recording with the normal
// page, played at 1×, with a control at /replay (GET: where it is; POST
// ?seek=12.5s, ?play, ?pause).
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o replayOpts
	fs := replayFlags(&o, stderr)
	pos, err := parse(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "vizserve: usage: vizserve replay [-addr A] FILE.vzr")
		return errUsage
	}
	f, err := record.OpenFile(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	p := record.NewPlayer(f.Reader)
	srv := server.New(server.Config{Addr: o.addr, Logger: logger(stderr, false)})
	title := f.Header().Title
	if title == "" {
		title = filepath.Base(pos[0])
	}
	server.MountScene(srv, p, &server.SceneOptions{Title: "vizserve · replay · " + title})
	srv.Handle("/replay", p)
	if err := srv.Open(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	played := make(chan error, 1)
	go func() { played <- p.Run(ctx) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	fmt.Fprintf(stdout, "vizserve: replaying %s (%v, %d segments)\n", pos[0], f.Duration().Round(1e6), len(f.Segments()))
	fmt.Fprintf(stdout, "vizserve: open %s/\n", srv.URL())
	fmt.Fprintf(stdout, "vizserve: control: curl -X POST '%s/replay?seek=10s' (or ?play, ?pause; GET for where it is)\n", srv.URL())
	select {
	case <-ctx.Done():
		err = nil
	case err = <-played:
	case err = <-served:
	}
	cancel()
	if cerr := srv.Close(); err == nil {
		err = cerr
	}
	if perr := <-played; err == nil {
		err = perr
	}
	<-served
	return err
}
