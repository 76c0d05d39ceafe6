// Writes a heap profile (every allocation sampled) to os.Args[1]. The test builds this file from a directory
// whose name is not valid UTF-8, so the profile's file names carry a byte that only pprof's bytes-as-they-are
// output keeps.
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

var sink [][]byte

//go:noinline
func grow() {
	for i := 0; i < 2000; i++ {
		sink = append(sink, make([]byte, 4096))
	}
}

func main() {
	runtime.MemProfileRate = 1
	grow()
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
