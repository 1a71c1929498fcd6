package main

import (
	"flag"
	"log"
	"time"

	"github.com/vizserve/vizserve"
	"github.com/vizserve/vizserve/scene"
)

func main() {
	paused := flag.Bool("paused", false, "start paused")
	flag.Parse()
	l := newLife(uint64(time.Now().UnixNano()), scene.Options{Paused: *paused})
	if err := vizserve.Run(l.s, &vizserve.Options{Title: "life"}); err != nil {
		log.Fatal(err)
	}
}
