package main

import (
	"flag"
	"log"
	"time"

	"github.com/vizserve/vizserve"
)

func main() {
	n := flag.Int("n", 50, "number of balls")
	flag.Parse()
	w := newWorld(*n, uint64(time.Now().UnixNano()))
	err := vizserve.Run(w.s, &vizserve.Options{
		Title:     "bouncing",
		State:     w.st,
		OnRestore: w.sync,
	})
	if err != nil {
		log.Fatal(err)
	}
}
