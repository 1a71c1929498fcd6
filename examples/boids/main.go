package main

import (
	"flag"
	"log"
	"time"

	"github.com/vizserve/vizserve"
)

func main() {
	n := flag.Int("n", 600, "number of boids")
	flag.Parse()
	w := newWorld(*n, uint64(time.Now().UnixNano()))
	err := vizserve.Run(w.s, &vizserve.Options{
		Title:     "boids",
		State:     w.st,
		OnRestore: w.sync,
	})
	if err != nil {
		log.Fatal(err)
	}
}
