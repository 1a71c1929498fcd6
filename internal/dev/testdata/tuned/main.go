// Command tuned is a test scene with controls and no State: the values a
// viewer sets are carried across swaps all the same. A text shows the
// slider's value, set from OnChange, so that a keyframe shows whether the
// carried value was applied before it.
package main

import (
	"fmt"
	"strconv"

	"github.com/vizserve/vizserve"
	"github.com/vizserve/vizserve/scene"
)

const version = "v1"

func main() {
	gravity := 500.0
	trail := false
	s := scene.New(scene.Options{Width: 300, Height: 120})
	s.Root().Text(10, 30, version, `id="label"`)
	shown := s.Root().Text(10, 60, strconv.FormatFloat(gravity, 'f', -1, 64), `id="gravity"`)
	s.Slider("gravity", &gravity, 0, 900, 10).OnChange(func() {
		shown.SetText(strconv.FormatFloat(gravity, 'f', -1, 64))
	})
	s.Toggle("trail", &trail)
	if err := vizserve.Run(s, &vizserve.Options{Title: "tuned"}); err != nil {
		fmt.Println(err)
	}
}
