//go:build vizserve_child

package vizserve

import (
	"context"
	"errors"
	"os"

	"github.com/vizserve/vizserve/scene"
)

// A scene built by the vizserve front (with the vizserve_child build tag)
// leaves out the server it would need to serve itself: the front serves
// it, and a smaller program links faster on every save.
func serve(context.Context, *scene.Scene, *Options, *os.File) error {
	return errors.New("vizserve: this program was built by vizserve for its live-reload front; run the scene with go run to serve it on its own")
}
