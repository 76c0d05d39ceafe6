// A small real program for the source-fetch integration test: it spends its CPU time in three real dependencies
// (zstd compression, Unicode normalisation, xxhash) and in its own functions, and writes a CPU and a heap profile.
// Built by the test with -trimpath, so its frames carry module@version paths and no local folder.
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/text/unicode/norm"
)

var sink []byte

func compress(enc *zstd.Encoder, data []byte) int {
	out := enc.EncodeAll(data, nil)
	sink = out
	return len(out)
}

func normalize(s string) int {
	return len(norm.NFKD.String(s))
}

func hashAll(data []byte) uint64 {
	var h uint64
	for i := 0; i+64 <= len(data); i += 64 {
		h ^= xxhash.Sum64(data[i : i+64])
	}
	return h
}

func work(d time.Duration) (n int) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	for i := 0; buf.Len() < 1<<20; i++ {
		fmt.Fprintf(&buf, "key-%d=value %d Ǆ ﬁ Å %x\n", i, i*7, i*i)
	}
	text := strings.Repeat("Ǆemo ﬁle Å ½ ", 2000)
	// A third of the time in each dependency, in 30 ms slices, so every one of them takes CPU samples (100 Hz)
	// however slow one call of another is on a busy machine.
	slice := func(f func()) {
		for end := time.Now().Add(30 * time.Millisecond); time.Now().Before(end); {
			f()
		}
	}
	small := buf.Bytes()[:64<<10]
	for end := time.Now().Add(d); time.Now().Before(end); {
		slice(func() { n += compress(enc, small) })
		slice(func() { n += normalize(text) })
		slice(func() { n += int(hashAll(buf.Bytes()) & 1) })
	}
	return n
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: srcprog CPU.pb.gz HEAP.pb.gz")
		os.Exit(2)
	}
	cpu, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		panic(err)
	}
	n := work(2 * time.Second)
	pprof.StopCPUProfile()
	cpu.Close()
	heap, err := os.Create(os.Args[2])
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("allocs").WriteTo(heap, 0); err != nil {
		panic(err)
	}
	heap.Close()
	fmt.Println(n)
}
