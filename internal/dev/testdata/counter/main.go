// Command counter is a test scene: a label showing its version, a counter
// of ticks carried across swaps, a clickable box and a control.
package main

import (
	"fmt"
	"strconv"

	"github.com/vizserve/vizserve"
	"github.com/vizserve/vizserve/scene"
)

const version = "v1"

// State is what survives a swap.
type State struct {
	Ticks  int
	Clicks int
}

func main() {
	st := &State{}
	s := scene.New(scene.Options{Width: 300, Height: 120})
	s.Root().Rect(0, 0, 300, 120, `id="bg"`, "fill:#eef")
	label := s.Root().Text(10, 30, version, `id="label"`, `class="label"`)
	ticks := s.Root().Text(10, 60, "0", `id="ticks"`)
	clicks := s.Root().Text(10, 90, "0", `id="clicks"`)
	box := s.Root().Rect(200, 20, 80, 80, `id="box"`, "fill:teal")
	box.OnClick(func(scene.Pointer) {
		st.Clicks++
		clicks.SetText(strconv.Itoa(st.Clicks))
	})
	s.OnTick(func(dt float64) {
		st.Ticks++
		ticks.SetText(strconv.Itoa(st.Ticks))
	})
	_ = label
	err := vizserve.Run(s, &vizserve.Options{
		Title: "counter",
		State: st,
		OnRestore: func() {
			clicks.SetText(strconv.Itoa(st.Clicks))
		},
	})
	if err != nil {
		fmt.Println(err)
	}
}
