package main

import (
	"log"
	"time"

	"github.com/vizserve/vizserve"
)

func main() {
	w := newWorld(uint64(time.Now().UnixNano()))
	if err := vizserve.Run(w.s, &vizserve.Options{Title: "plots"}); err != nil {
		log.Fatal(err)
	}
}
