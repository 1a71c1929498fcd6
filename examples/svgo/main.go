package main

import (
	"log"

	"github.com/vizserve/vizserve"
)

func main() {
	if err := vizserve.Run(newClock(), &vizserve.Options{Title: "svgo clock"}); err != nil {
		log.Fatal(err)
	}
}
