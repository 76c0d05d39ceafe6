// Command dumpgen prints a real goroutine dump (runtime.Stack of every goroutine) of a small program whose
// goroutines wait in known states, in the forms a dump arrives in from logs. The unit tests build and run it
// (test/unit/goroutineWrapped.test.ts); nothing of its output is committed.
//
//	dumpgen plain              the dump alone on stdout
//	dumpgen klog OUT           the dump written to OUT, and on stderr each of its lines as a klog line
//	                           (`I1203 10:11:12.123456   12345 main.go:NN] …`), as a program logging it line by line
//	dumpgen indent OUT         the dump written to OUT, and on stdout indented by four spaces, as pasted into a
//	                           report or a YAML block
//
// `go test -v -run TestLogDump` (with DUMP_OUT=file) writes the dump to the file and logs it with t.Log, so the
// test output holds it as `go test -v` prints it. Run with GODEBUG=tracebackancestors=5 for ancestor stacks.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

var (
	mu       sync.Mutex
	block    = make(chan struct{})
	started  sync.WaitGroup
	sink     = make(chan int)
	cond     = sync.NewCond(&sync.Mutex{})
	sleeping = time.Hour
)

// worker waits on the same channel receive whichever spawner started it: one group of 2×workers goroutines.
func worker() {
	started.Done()
	<-block
}

// spawner starts workers and then waits in select; two spawners are two goroutines of one group.
func spawner(workers int) {
	for i := 0; i < workers; i++ {
		started.Add(1)
		go worker()
	}
	started.Done()
	select {
	case <-block:
	}
}

func locker() {
	started.Done()
	mu.Lock()
	defer mu.Unlock()
}

func sleeper() {
	started.Done()
	time.Sleep(sleeping)
}

func sender(v int) {
	started.Done()
	sink <- v
}

func condWaiter() {
	cond.L.Lock()
	started.Done()
	cond.Wait()
	cond.L.Unlock()
}

// Start puts the program's goroutines in their states and returns once they are all blocked.
func Start() {
	mu.Lock() // held for good: lockers wait on it
	started.Add(2)
	go spawner(3)
	go spawner(3)
	for i := 0; i < 4; i++ {
		started.Add(1)
		go locker()
	}
	for i := 0; i < 5; i++ {
		started.Add(1)
		go sleeper()
	}
	for i := 0; i < 3; i++ {
		started.Add(1)
		go sender(i)
	}
	for i := 0; i < 2; i++ {
		started.Add(1)
		go condWaiter()
	}
	started.Wait()
	// Done() comes just before each goroutine blocks: give them the moment to get there.
	time.Sleep(300 * time.Millisecond)
}

// Dump is every goroutine's stack, as a debug=2 dump and a crash print them.
func Dump() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dumpgen plain | klog OUT | indent OUT")
		os.Exit(2)
	}
	Start()
	dump := Dump()
	switch os.Args[1] {
	case "plain":
		fmt.Print(dump)
	case "klog":
		write(os.Args[2], dump)
		w := bufio.NewWriter(os.Stderr)
		for _, line := range strings.Split(strings.TrimSuffix(dump, "\n"), "\n") {
			now := time.Now()
			_, file, lineNo, _ := runtime.Caller(0)
			fmt.Fprintf(w, "I%s %7d %s:%d] %s\n", now.Format("0102 15:04:05.000000"), os.Getpid(), file[strings.LastIndex(file, "/")+1:], lineNo, line)
		}
		w.Flush()
	case "indent":
		write(os.Args[2], dump)
		fmt.Print("    " + strings.ReplaceAll(strings.TrimSuffix(dump, "\n"), "\n", "\n    ") + "\n")
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
}

func write(path, dump string) {
	if err := os.WriteFile(path, []byte(dump), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
