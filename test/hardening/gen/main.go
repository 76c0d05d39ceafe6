// Writes real captures from real stacks, the seeds of the hardening suite's fuzzing and hostile inputs: a CPU
// profile and a heap profile whose samples come from deep recursion, a goroutine profile, a debug=2 dump with
// a goroutine parked 400 frames deep, and net/http/pprof's index page. The hostile variants (names, paths,
// millions of samples, 10k frames) are mutations of these captures (test/hardening/helpers/hostile.ts).
// Run: go build -o /tmp/gen . && /tmp/gen -out ../testdata
package main

import (
	"flag"
	"log"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	rpprof "runtime/pprof"
	"time"
)

var sink [][]byte

// recurse spends CPU and allocates at every level, so samples carry long stacks of the same function.
//
//go:noinline
func recurse(depth int, work int) uint64 {
	if depth == 0 {
		var h uint64 = 14695981039346656037
		for i := 0; i < work; i++ {
			h ^= uint64(i)
			h *= 1099511628211
		}
		sink = append(sink, make([]byte, 512))
		return h
	}
	if depth%16 == 0 {
		sink = append(sink, make([]byte, 64))
	}
	return recurse(depth-1, work) + 1
}

//go:noinline
func parkDeep(depth int, ready chan<- struct{}, block <-chan struct{}) {
	if depth == 0 {
		close(ready)
		<-block
		return
	}
	parkDeep(depth-1, ready, block)
}

func write(dir, name string, f func(*os.File) error) {
	out, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		log.Fatal(err)
	}
	if err := f(out); err != nil {
		log.Fatal(err)
	}
	if err := out.Close(); err != nil {
		log.Fatal(err)
	}
}

func main() {
	dir := flag.String("out", ".", "output directory")
	cpu := flag.Duration("cpu", 400*time.Millisecond, "CPU profile duration")
	flag.Parse()
	runtime.MemProfileRate = 4096

	block := make(chan struct{})
	ready := make(chan struct{})
	go parkDeep(400, ready, block)
	<-ready

	cpuFile, err := os.Create(filepath.Join(*dir, "cpu.pb.gz"))
	if err != nil {
		log.Fatal(err)
	}
	if err := rpprof.StartCPUProfile(cpuFile); err != nil {
		log.Fatal(err)
	}
	var total uint64
	for end := time.Now().Add(*cpu); time.Now().Before(end); {
		total += recurse(200, 20000)
		if len(sink) > 10000 {
			sink = sink[:0]
		}
	}
	rpprof.StopCPUProfile()
	cpuFile.Close()

	runtime.GC()
	write(*dir, "heap.pb.gz", func(f *os.File) error { return rpprof.Lookup("heap").WriteTo(f, 0) })
	write(*dir, "goroutine.pb.gz", func(f *os.File) error { return rpprof.Lookup("goroutine").WriteTo(f, 0) })
	write(*dir, "goroutine-debug2.txt", func(f *os.File) error { return rpprof.Lookup("goroutine").WriteTo(f, 2) })
	// The /debug/pprof/ index page as net/http/pprof serves it.
	rec := httptest.NewRecorder()
	pprof.Index(rec, httptest.NewRequest("GET", "/debug/pprof/", nil))
	write(*dir, "index.html", func(f *os.File) error { _, err := f.Write(rec.Body.Bytes()); return err })
	close(block)
	log.Printf("wrote captures to %s (%d)", *dir, total%10)
}
