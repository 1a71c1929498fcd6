//go:build !vizserve_child

package vizserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/server"
)

func serve(ctx context.Context, s *scene.Scene, o *Options, stdout *os.File) error {
	addr := listenAddr(o)
	log := slog.New(server.NewConsoleHandler(os.Stderr, nil))
	cfg := server.Config{Addr: addr, Logger: log, AllowedHosts: allowedHosts(o)}
	var token string
	if !server.IsLoopback(addr) {
		cfg.Tokens = server.NewTokens(nil)
		token = cfg.Tokens.Mint("/", 24*time.Hour)
	}
	srv := server.New(cfg)
	server.MountScene(srv, s, &server.SceneOptions{Title: o.Title})
	if err := srv.Open(); err != nil {
		return err
	}
	u := srv.URL() + "/"
	if token != "" {
		u += "?" + server.TokenParam + "=" + url.QueryEscape(token)
	}
	fmt.Fprintf(stdout, "vizserve: live at %s\n", u)

	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan error, 1)
	go func() { simDone <- s.Run(simCtx) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		served <- err
	case err = <-simDone:
		simDone <- err
	}
	closeErr := srv.Close()
	serveErr := <-served
	stopSim()
	simErr := <-simDone
	return errors.Join(serveErr, simErr, closeErr)
}
