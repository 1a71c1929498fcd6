// Package bench compares vizserve's ws package with other Go WebSocket
// libraries and with raw TCP, as an echo: a client sends one binary message,
// the server sends it back.
//
//	cd bench && ./run.sh                  # everything, raw results in results/
//	go test -run='^$' -bench=RoundTrip    # one benchmark
//
// It lives in its own module so that the product module never depends on
// the libraries it is measured against.
//
// # Libraries and paths
//
// Libs lists every library, each used one way on both sides of the echo:
// its usual API (for ws, Conn.Read and Conn.Write) and, where the library
// has one, its buffer-reuse path (for ws, Conn.ReadInto). raw is a
// length-prefixed echo over net.Conn, the floor any WebSocket stack sits on.
// Every library runs with its default options, compression off (the default
// of all of them) and binary messages.
//
// # Processes
//
// Users run servers and clients in separate processes, so the benchmarks
// start the echo server as a child process (cmd/echoserver), and the
// allocations a benchmark reports are the client's alone; the server's are
// read from the child and reported as srv-allocs/op. The idle-memory
// benchmark runs a server process (cmd/idleserver) and a client process
// (cmd/idleclient) driven by cmd/idlebench.
package bench
