package main

import (
	"flag"
	"log"
	"time"

	"github.com/vizserve/vizserve"
)

func main() {
	n := flag.Int("n", 30, "number of nodes")
	seed := flag.Uint64("seed", 0, "random seed of the graph (0: from the clock)")
	flag.Parse()
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	g := newGraph(*n, *seed)
	if err := vizserve.Run(g.s, &vizserve.Options{Title: "graph"}); err != nil {
		log.Fatal(err)
	}
}
