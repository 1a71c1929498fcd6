package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
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

// replayJS tells the page it serves a recording: its run bar becomes the
// player of /replay (web/client/player.ts). A live page has neither.
func replayJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	// After the client's script (both are deferred), which boots at once
	// or at DOMContentLoaded.
	io.WriteString(w, `(function r() {
  const v = globalThis.vizserve;
  if (v) v.replay("/replay");
  else document.addEventListener("DOMContentLoaded", r, { once: true });
})();
`)
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
	server.MountScene(srv, p, &server.SceneOptions{Title: "vizserve · replay · " + title, ExtraJS: []string{"/replay.js"}})
	srv.Handle("/replay", p)
	srv.Handle("/replay.js", http.HandlerFunc(replayJS))
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
