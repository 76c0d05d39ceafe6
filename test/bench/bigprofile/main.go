// Writes a real heap profile whose call tree has a very large number of nodes, for the flame
// graph benchmark: every allocation goes down its own path of 16 distinct functions, and
// MemProfileRate=1 records each one. Usage: go run . -out big.pb.gz -paths 150000
package main

import (
	"flag"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
)

var sink [][]byte

//go:noinline
func step00(path, depth int) { next(path, depth) }
//go:noinline
func step01(path, depth int) { next(path, depth) }
//go:noinline
func step02(path, depth int) { next(path, depth) }
//go:noinline
func step03(path, depth int) { next(path, depth) }
//go:noinline
func step04(path, depth int) { next(path, depth) }
//go:noinline
func step05(path, depth int) { next(path, depth) }
//go:noinline
func step06(path, depth int) { next(path, depth) }
//go:noinline
func step07(path, depth int) { next(path, depth) }
//go:noinline
func step08(path, depth int) { next(path, depth) }
//go:noinline
func step09(path, depth int) { next(path, depth) }
//go:noinline
func step10(path, depth int) { next(path, depth) }
//go:noinline
func step11(path, depth int) { next(path, depth) }
//go:noinline
func step12(path, depth int) { next(path, depth) }
//go:noinline
func step13(path, depth int) { next(path, depth) }
//go:noinline
func step14(path, depth int) { next(path, depth) }
//go:noinline
func step15(path, depth int) { next(path, depth) }

// next descends one level, picking the callee from the path's next base-16 digit.
func next(path, depth int) {
	if depth == 0 {
		sink = append(sink, make([]byte, 64+path%512))
		return
	}
	switch path % 16 {
	case 0:
		step00(path/16, depth-1)
	case 1:
		step01(path/16, depth-1)
	case 2:
		step02(path/16, depth-1)
	case 3:
		step03(path/16, depth-1)
	case 4:
		step04(path/16, depth-1)
	case 5:
		step05(path/16, depth-1)
	case 6:
		step06(path/16, depth-1)
	case 7:
		step07(path/16, depth-1)
	case 8:
		step08(path/16, depth-1)
	case 9:
		step09(path/16, depth-1)
	case 10:
		step10(path/16, depth-1)
	case 11:
		step11(path/16, depth-1)
	case 12:
		step12(path/16, depth-1)
	case 13:
		step13(path/16, depth-1)
	case 14:
		step14(path/16, depth-1)
	case 15:
		step15(path/16, depth-1)
	}
}

func main() {
	out := flag.String("out", "big.pb.gz", "output file")
	paths := flag.Int("paths", 150000, "number of distinct allocation paths")
	depth := flag.Int("depth", 6, "levels below main")
	flag.Parse()
	runtime.MemProfileRate = 1
	for i := 0; i < *paths; i++ {
		next(i*7919, *depth)
	}
	runtime.GC()
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
