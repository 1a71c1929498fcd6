//go:build vizserve_child

package publish

import "github.com/vizserve/vizserve/scene/wire"

// NATS does nothing in a scene child: the front publishes
// (vizserve -publish URL -scene NAME PATH).
func NATS(src wire.Source, url, name string) (stop func(), err error) {
	return func() {}, nil
}
