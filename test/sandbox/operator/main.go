// Command operator stands in for the cluster-etcd-operator in the etcd Profiler sandbox:
// a Go process doing operator-like work whose profiles and goroutine dumps are worth reading.
package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("pprof-address", "127.0.0.1:6060", "address of the profiling endpoint (served when OPENSHIFT_PROFILE=web)")
	interval := flag.Duration("reconcile-interval", 2*time.Second, "time between reconciles")
	cpuDuty := flag.Float64("cpu-duty", 0.1, "fraction of one CPU spent checksumming")
	blockRate := flag.Int("block-profile-rate", 10_000, "runtime.SetBlockProfileRate: sample one blocking event per this many nanoseconds")
	memRate := flag.Int("mem-profile-rate", 0, "runtime.MemProfileRate in bytes (0 keeps Go's default, 512 KiB)")
	flag.Parse()
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}

	runtime.SetMutexProfileFraction(5)
	runtime.SetBlockProfileRate(*blockRate)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	infof("Starting etcd-operator stand-in pid=%d GOMAXPROCS=%d", os.Getpid(), runtime.GOMAXPROCS(0))

	startStanding(ctx)
	startWorkload(ctx, *interval, *cpuDuty)

	if os.Getenv("OPENSHIFT_PROFILE") != "web" {
		<-ctx.Done()
		infof("Received termination signal, shutting down")
		return
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- serveProfiling(ctx, *addr, newParker()) }()
	if err := <-serveErr; err != nil {
		errorf("Profiling endpoint failed: %v", err)
		os.Exit(1)
	}
	infof("Received termination signal, shutting down")
}
