package link

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/vizserve/vizserve/scene"
)

// exportDT is the time step of an export's ticks: the default scene rate.
const exportDT = 1.0 / 60

// RunExport runs s headless for the ticks the parameters ask for and writes
// the frame as a standalone SVG document.
func RunExport(s *scene.Scene, params string) error {
	q, err := url.ParseQuery(params)
	if err != nil {
		return fmt.Errorf("vizserve: export: bad %s %q: %w", ExportEnv, params, err)
	}
	out := q.Get("out")
	if out == "" {
		return fmt.Errorf("vizserve: export: %s names no output file", ExportEnv)
	}
	ticks := 0
	if t := q.Get("ticks"); t != "" {
		if ticks, err = strconv.Atoi(t); err != nil || ticks < 0 {
			return fmt.Errorf("vizserve: export: bad tick count %q", t)
		}
	}
	if ticks == 0 {
		// One frame without a tick: queued work runs and an immediate
		// scene draws, so the export shows the scene before its first
		// tick.
		s.Pause()
		s.Advance(0)
	}
	for range ticks {
		s.Advance(exportDT)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".vizserve-export-*.svg")
	if err != nil {
		return fmt.Errorf("vizserve: export: %w", err)
	}
	defer os.Remove(tmp.Name())
	// A temporary file is private (0600); the export is a document to
	// share, as a file the person wrote themselves would be.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("vizserve: export: %w", err)
	}
	if err := s.WriteSVG(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("vizserve: export: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("vizserve: export: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("vizserve: export: %w", err)
	}
	return nil
}
