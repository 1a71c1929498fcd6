package vizserve

import (
	"context"
	"os"

	"github.com/vizserve/vizserve/internal/link"
	"github.com/vizserve/vizserve/scene"
)

// underVizserve reports whether this program runs as a child of the
// vizserve front (live reload or export).
func underVizserve() bool { return os.Getenv(link.ChildEnv) != "" }

func runChild(ctx context.Context, s *scene.Scene, o *Options) error {
	return link.RunChild(ctx, s, link.ChildOptions{Title: o.Title, State: o.State, OnRestore: o.OnRestore})
}
