package main

import (
	"flag"
	"log"
	"time"

	"github.com/vizserve/vizserve"
)

func main() {
	n := flag.Int("n", 50, "number of balls")
	canvas := flag.Bool("canvas", false, "draw the balls on a canvas in the page, not as SVG elements (for thousands)")
	flag.Parse()
	w := newWorld(*n, uint64(time.Now().UnixNano()))
	if *canvas {
		w.layer.Canvas()
	}
	err := vizserve.Run(w.s, &vizserve.Options{
		Title:     "bouncing",
		State:     w.st,
		OnRestore: w.sync,
	})
	if err != nil {
		log.Fatal(err)
	}
}
