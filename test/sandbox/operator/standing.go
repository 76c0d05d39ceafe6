package main

import (
	"context"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// startStanding parks the goroutines a long-running operator always has: informer queues
// waiting for events, a leader-election wait, a health stream reading a connection, and so on.
// Each sits in a different wait state so a goroutine dump has several groups from the start.
func startStanding(ctx context.Context) {
	q := &eventQueue{events: make(chan string)}
	for range 4 {
		go q.waitForEvent()
	}
	statuses := make(chan string)
	for range 2 {
		go publishStatus(statuses, "Available")
	}
	w := &memberWatcher{changes: make(chan int64)}
	for range 3 {
		go w.watch(ctx)
	}

	c := &memberCache{}
	c.mu.Lock()
	go c.holdWhileDefragmenting()
	for range 3 {
		go c.refresh()
	}

	le := &leaderElection{}
	le.cond = sync.NewCond(&le.mu)
	for range 2 {
		go le.awaitLeadership()
	}
	for range 2 {
		go backoffBeforeRetry()
	}

	startHealthStreams()

	pool := &workerPool{}
	pool.wg.Add(1)
	go pool.waitAll()

	go watchNetworkNamespace(make(chan struct{}))
	go readInstallerPipe()
}

type eventQueue struct{ events chan string }

func (q *eventQueue) waitForEvent() {
	for ev := range q.events {
		infof("event %s", ev)
	}
}

func publishStatus(out chan<- string, condition string) {
	out <- condition
}

type memberWatcher struct{ changes chan int64 }

func (w *memberWatcher) watch(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case rev := <-w.changes:
			infof("member change at revision %d", rev)
		}
	}
}

type memberCache struct{ mu sync.Mutex }

// holdWhileDefragmenting keeps the cache locked for the process lifetime, so refresh waits.
func (c *memberCache) holdWhileDefragmenting() {
	for {
		time.Sleep(time.Hour)
	}
}

func (c *memberCache) refresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
}

type leaderElection struct {
	mu     sync.Mutex
	cond   *sync.Cond
	leader bool
}

func (le *leaderElection) awaitLeadership() {
	le.mu.Lock()
	for !le.leader {
		le.cond.Wait()
	}
	le.mu.Unlock()
}

func backoffBeforeRetry() {
	for {
		time.Sleep(30 * time.Minute)
	}
}

// startHealthStreams opens a loopback TCP connection nobody writes to: one reader waits in
// IO wait, a second reader of the same connection waits for the first (semacquire).
// A net.Pipe reader waits in select.
func startHealthStreams() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		warnf("health stream listener: %v", err)
		return
	}
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		warnf("health stream dial: %v", err)
		return
	}
	server, err := ln.Accept()
	ln.Close()
	if err != nil {
		warnf("health stream accept: %v", err)
		return
	}
	go readHealthStream(server)
	time.Sleep(10 * time.Millisecond)
	go readHealthStream(server)
	// The writers stay referenced: a collected net.Conn is closed by its finalizer.
	healthWriters = append(healthWriters, client)

	pipeReader, pipeWriter := net.Pipe()
	go readHealthStream(pipeReader)
	healthWriters = append(healthWriters, pipeWriter)
}

var healthWriters []net.Conn

func readHealthStream(conn net.Conn) {
	buf := make([]byte, 512)
	for {
		if _, err := conn.Read(buf); err != nil {
			return
		}
	}
}

type workerPool struct{ wg sync.WaitGroup }

func (p *workerPool) waitAll() { p.wg.Wait() }

// watchNetworkNamespace stands for work that must stay on one OS thread.
func watchNetworkNamespace(done chan struct{}) {
	runtime.LockOSThread()
	<-done
}

// readInstallerPipe blocks in a read(2) on a blocking pipe: state "syscall", and its own thread.
func readInstallerPipe() {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		warnf("installer pipe: %v", err)
		return
	}
	buf := make([]byte, 64)
	for {
		if _, err := syscall.Read(fds[0], buf); err != nil {
			return
		}
	}
}
