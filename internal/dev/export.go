package dev

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vizserve/vizserve/internal/dev/build"
	"github.com/vizserve/vizserve/internal/link"
	"github.com/vizserve/vizserve/internal/supervise"
)

// ExportTimeout bounds the run of an export's child.
const ExportTimeout = 5 * time.Minute

// ExportConfig configures Export.
type ExportConfig struct {
	// Path names the scene, as Config.Path.
	Path string
	// Out is the SVG file to write.
	Out string
	// Ticks is the number of sim ticks to run first.
	Ticks int
	// Stdout and Stderr are as in Config.
	Stdout, Stderr io.Writer
	// TempDir is where the build directory goes. Default os.TempDir().
	TempDir string
}

// Export builds the scene, runs it headless for cfg.Ticks ticks (no
// browser, no server) and writes its frame to cfg.Out as a standalone SVG
// document.
func Export(ctx context.Context, cfg ExportConfig) error {
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	t, err := build.Locate(ctx, cfg.Path)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(cfg.TempDir, "vizserve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b, err := build.New(ctx, t, filepath.Join(tmp, "build"))
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Stdout, "vizserve: building %s…\n", t.Display)
	res, err := b.Build(ctx, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Stdout, "vizserve: built in %s\n", ms(res.Duration))
	cmd := exec.Command(res.Bin)
	cmd.Dir = t.Dir
	q := url.Values{"ticks": {strconv.Itoa(cfg.Ticks)}, "out": {cfg.Out}}
	cmd.Env = append(os.Environ(), link.ChildEnv+"="+link.ExportValue, link.ExportEnv+"="+q.Encode())
	before, _ := os.Stat(cfg.Out)
	p, err := supervise.Start(cmd, supervise.Options{Prefix: "scene | ", Out: cfg.Stderr})
	if err != nil {
		return err
	}
	limit := time.NewTimer(ExportTimeout)
	defer limit.Stop()
	select {
	case <-p.Exited():
	case <-limit.C:
		p.Stop(DefaultStopGrace)
		return fmt.Errorf("the scene did not finish the export within %v: does its main call vizserve.Run?", ExportTimeout)
	case <-ctx.Done():
		p.Stop(DefaultStopGrace)
		return ctx.Err()
	}
	if err := p.Err(); err != nil {
		return fmt.Errorf("the scene failed (%v):\n%s", err, p.Tail())
	}
	fi, err := os.Stat(cfg.Out)
	if err != nil || (before != nil && os.SameFile(before, fi)) {
		return fmt.Errorf("the scene exited without writing %s: does its main call vizserve.Run?", cfg.Out)
	}
	fmt.Fprintf(cfg.Stdout, "vizserve: wrote %s (%d bytes, %d ticks)\n", cfg.Out, fi.Size(), cfg.Ticks)
	return nil
}
