package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// PortAllocator hands out free TCP ports on 127.0.0.1. A port is found by listening on :0 and closing
// the listener; it is then reserved with a file under Dir for Hold so that another sandbox starting at
// the same moment (or this one) does not pick it before its process binds it.
type PortAllocator struct {
	Dir  string        // reservation files; default: $TMPDIR/etcd-profiler-ports
	Hold time.Duration // default 2m

	mu   sync.Mutex
	mine map[int]bool
}

// Suggest returns a free port on host.
func (a *PortAllocator) Suggest(host string) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mine == nil {
		a.mine = map[int]bool{}
	}
	dir := a.Dir
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "etcd-profiler-ports")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	hold := orDefault(a.Hold, 2*time.Minute)
	for attempt := 0; attempt < 100; attempt++ {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if a.mine[port] {
			continue
		}
		if reserve(filepath.Join(dir, strconv.Itoa(port)), hold) {
			a.mine[port] = true
			return port, nil
		}
	}
	return 0, errors.New("no free port after 100 attempts")
}

// reserve creates the reservation file, or takes over one older than hold.
func reserve(path string, hold time.Duration) bool {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
		f.Close()
		return true
	}
	info, statErr := os.Stat(path)
	if statErr != nil || time.Since(info.ModTime()) < hold {
		return false
	}
	now := time.Now()
	return os.Chtimes(path, now, now) == nil
}
