// Command panicparse-bench groups a goroutine dump with panicparse (github.com/maruel/panicparse/v2),
// the reference the goroutine bench compares the extension's grouping with. It prints one JSON line:
// the goroutine and bucket counts and the milliseconds of each run (read + scan + aggregate).
//
//	panicparse-bench DUMP.txt [RUNS]
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/maruel/panicparse/v2/stack"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: panicparse-bench DUMP.txt [RUNS]")
		os.Exit(2)
	}
	runs := 3
	if len(os.Args) > 2 {
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "panicparse-bench: RUNS must be a positive integer")
			os.Exit(2)
		}
		runs = n
	}
	var out struct {
		Goroutines int       `json:"goroutines"`
		Buckets    int       `json:"buckets"`
		Ms         []float64 `json:"ms"`
	}
	for range runs {
		start := time.Now()
		data, err := os.ReadFile(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// No path guessing against the local GOROOT/GOPATH: only parsing and grouping are timed.
		opts := stack.DefaultOpts()
		opts.GuessPaths = false
		opts.AnalyzeSources = false
		snap, _, err := stack.ScanSnapshot(bytes.NewReader(data), io.Discard, opts)
		if err != nil && err != io.EOF {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if snap == nil {
			fmt.Fprintln(os.Stderr, "panicparse-bench: no goroutines found")
			os.Exit(1)
		}
		agg := snap.Aggregate(stack.AnyValue)
		out.Ms = append(out.Ms, float64(time.Since(start).Microseconds())/1000)
		out.Goroutines = len(snap.Goroutines)
		out.Buckets = len(agg.Buckets)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
