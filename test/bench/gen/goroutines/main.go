// Command goroutines writes large real goroutine dumps: it parks 100k goroutines in a handful
// of distinct stacks and wait states, then writes the goroutine profile as debug=2 and debug=1 text.
//
//	goroutines DEBUG2.txt DEBUG1.txt [COUNT]   (default COUNT 100000)
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"
)

// A server-like mix: most goroutines wait for work, some contend on locks, a few sleep.
type waiters struct {
	requests chan int
	results  chan int
	quit     chan struct{}
	never    chan struct{}
	table    sync.Mutex
	cacheMu  sync.Mutex
	cond     *sync.Cond
	wg       sync.WaitGroup
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: goroutines DEBUG2.txt DEBUG1.txt [COUNT]")
		os.Exit(2)
	}
	count := 100_000
	if len(os.Args) > 3 {
		n, err := strconv.Atoi(os.Args[3])
		if err != nil || n < 10 {
			fmt.Fprintln(os.Stderr, "goroutines: COUNT must be an integer >= 10")
			os.Exit(2)
		}
		count = n
	}

	w := &waiters{requests: make(chan int), results: make(chan int), quit: make(chan struct{}), never: make(chan struct{})}
	w.cond = sync.NewCond(&w.cacheMu)
	w.table.Lock()
	w.wg.Add(1)

	// Shares of count per kind of waiter, in tenths of a percent.
	kinds := []struct {
		perMille int
		start    func(i int)
	}{
		{300, func(i int) { go w.serveRequests(i % 3) }}, // chan receive, 3 stacks by depth
		{200, func(i int) { go w.watch() }},              // select
		{120, func(i int) { go w.updateTable() }},        // sync.Mutex.Lock
		{100, func(i int) { go w.awaitCache() }},         // sync.Cond.Wait
		{100, func(i int) { go backoff(i % 2) }},         // sleep, 2 stacks
		{100, func(i int) { go w.join() }},               // sync.WaitGroup.Wait
		{80, func(i int) { go w.publish(i) }},            // chan send
	}
	var ready sync.WaitGroup
	started := 0
	for k, kind := range kinds {
		n := count * kind.perMille / 1000
		if k == len(kinds)-1 {
			n = count - started
		}
		ready.Add(n)
		for i := range n {
			kind.start(i)
			ready.Done()
		}
		started += n
	}
	ready.Wait()
	time.Sleep(500 * time.Millisecond) // let the last goroutines reach their wait

	for _, out := range []struct {
		path  string
		debug int
	}{{os.Args[1], 2}, {os.Args[2], 1}} {
		if err := write(out.path, out.debug); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("parked %d goroutines, wrote %s and %s\n", started, os.Args[1], os.Args[2])
}

func write(path string, debug int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("goroutine").WriteTo(f, debug); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (w *waiters) serveRequests(depth int) {
	if depth > 0 {
		w.serveRequests(depth - 1)
		return
	}
	for req := range w.requests {
		_ = req
	}
}

func (w *waiters) watch() {
	select {
	case <-w.quit:
	case <-w.never:
	}
}

func (w *waiters) updateTable() {
	w.table.Lock()
	defer w.table.Unlock()
}

func (w *waiters) awaitCache() {
	w.cacheMu.Lock()
	defer w.cacheMu.Unlock()
	for {
		w.cond.Wait()
	}
}

func backoff(kind int) {
	if kind == 0 {
		time.Sleep(time.Hour)
	} else {
		retryAfter(2 * time.Hour)
	}
}

func retryAfter(d time.Duration) { time.Sleep(d) }

func (w *waiters) join() { w.wg.Wait() }

func (w *waiters) publish(v int) { w.results <- v }
