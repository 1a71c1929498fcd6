// Command wsfuzz runs the WebSocket conformance suite (Autobahn's groups 1
// to 7, 9, 10, 12 and 13: 517 cases) against any WebSocket implementation.
//
// Test a server, which must echo every message with its type:
//
//	go run ./ws/internal/conformance/cmd/wsfuzz -server ws://127.0.0.1:9001/
//
// Groups 12 and 13 negotiate permessage-deflate (RFC 7692): a server that
// declines it gets UNIMPLEMENTED for them. Against our own echo example:
//
//	go run ./examples/echo -addr 127.0.0.1:9001 -compress &
//	go run ./ws/internal/conformance/cmd/wsfuzz -server ws://127.0.0.1:9001/ -cases '12.*,13.*'
//
// Test a client, which must connect, echo every message and return when
// the connection ends: wsfuzz serves one case per connection, in order, on
// any path (or the case named in /case/ID, or Autobahn's
// /runCase?case=N&agent=NAME), and prints the table when every case ran:
//
//	go run ./ws/internal/conformance/cmd/wsfuzz -client-addr 127.0.0.1:9002
//	for i in $(seq 517); do ./echoclient ws://127.0.0.1:9002/; done
//
// (a client must offer permessage-deflate for groups 12 and 13).
//
// -cases picks cases by ID or pattern ("1.*,6.4.*"); -v prints the log of
// every case, not only of those that did not pass. The exit status is 1
// when a case did not pass.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/vizserve/vizserve/ws/internal/conformance"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "wsfuzz:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("wsfuzz", flag.ContinueOnError)
	fl.SetOutput(stderr)
	server := fl.String("server", "", "test the WebSocket server at this ws:// URL")
	clientAddr := fl.String("client-addr", "", "serve the cases on this address to test a client")
	casesFlag := fl.String("cases", "", "comma-separated case IDs or patterns (default: all)")
	parallel := fl.Int("parallel", 4, "with -server: cases run at once (group 9 always runs alone)")
	skipSlow := fl.Bool("short", false, "skip the slowest cases (8 and 16 MiB messages, 1 MiB in 64-byte chops, compressed messages over 4 KiB)")
	verbose := fl.Bool("v", false, "print the log of every case")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if (*server == "") == (*clientAddr == "") || fl.NArg() > 0 {
		fl.Usage()
		return errors.New("give exactly one of -server URL and -client-addr ADDR")
	}
	var patterns []string
	if *casesFlag != "" {
		patterns = strings.Split(*casesFlag, ",")
	}
	cases, err := conformance.Select(conformance.Cases(), patterns)
	if err != nil {
		return err
	}
	if *skipSlow {
		kept := cases[:0:0]
		for _, c := range cases {
			if !c.Slow {
				kept = append(kept, c)
			}
		}
		cases = kept
	}

	var sum conformance.Summary
	var outMu sync.Mutex
	report := func(r conformance.Result) {
		sum.Add(r)
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(stdout, "%-6s %-8s %-16s %v\n", r.Role, r.Case, r.Verdict, r.Duration.Round(time.Millisecond))
		if *verbose {
			fmt.Fprint(stdout, r)
		}
	}
	start := time.Now()
	if *server != "" {
		runServerCases(ctx, *server, cases, max(1, *parallel), report)
	} else if err := serveClientCases(ctx, *clientAddr, cases, stdout, report); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "\n%s\n", sum.Table())
	failed := sum.Failed()
	for _, r := range failed {
		if !*verbose {
			fmt.Fprint(stdout, r)
		}
	}
	fmt.Fprintf(stdout, "%d cases, %d did not pass, in %v\n", len(cases), len(failed), time.Since(start).Round(time.Millisecond))
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d cases did not pass", len(failed), len(cases))
	}
	return ctx.Err()
}

// runServerCases runs the cases against the server at url: group 9 one at
// a time first, then the rest n at a time.
func runServerCases(ctx context.Context, url string, cases []conformance.Case, n int, report func(conformance.Result)) {
	var heavy, light []conformance.Case
	for _, c := range cases {
		if c.Group() == 9 {
			heavy = append(heavy, c)
		} else {
			light = append(light, c)
		}
	}
	for _, c := range heavy {
		if ctx.Err() != nil {
			return
		}
		report(conformance.RunAgainstServer(ctx, url, c))
	}
	work := make(chan conformance.Case)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				report(conformance.RunAgainstServer(ctx, url, c))
			}
		}()
	}
	for _, c := range light {
		if ctx.Err() != nil {
			break
		}
		work <- c
	}
	close(work)
	wg.Wait()
}

// serveClientCases serves the cases at addr until every one has a result
// or ctx ends.
func serveClientCases(ctx context.Context, addr string, cases []conformance.Case, stdout io.Writer, report func(conformance.Result)) error {
	fs := conformance.NewFuzzServer(cases)
	all := make(chan struct{})
	var mu sync.Mutex
	done := 0
	fs.OnResult = func(r conformance.Result) {
		report(r)
		mu.Lock()
		defer mu.Unlock()
		if done++; done == len(cases) {
			close(all)
		}
	}
	if err := fs.Listen(addr); err != nil {
		return err
	}
	defer fs.Close()
	fmt.Fprintf(stdout, "wsfuzz: serving %d cases at ws://%s/ — connect the client under test once per case (any path runs the next case; /case/ID runs that one)\n", len(cases), fs.Addr())
	select {
	case <-all:
	case <-ctx.Done():
		fmt.Fprintln(stdout, "wsfuzz: interrupted; results so far:")
	}
	return nil
}
