package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The park endpoints let a test grow (and shrink) one goroutine group on demand:
//
//	POST /park?n=N&state=S  parks N more goroutines in main.parkedOnRequest, state S (default chan)
//	POST /release           lets every goroutine parked on request return
//	GET  /parked            {"parked": N, "states": {"chan": N, ...}}
//
// States and the wait reason they show in a goroutine dump:
var parkStates = map[string]string{
	"chan":   "chan receive",
	"send":   "chan send",
	"select": "select",
	"mutex":  "sync.Mutex.Lock",
	"cond":   "sync.Cond.Wait",
	"sleep":  "sleep",
	"io":     "IO wait",
	"wg":     "sync.WaitGroup.Wait",
}

const (
	maxParkPerRequest = 100_000
	maxParked         = 200_000
	maxParkedIO       = 1_000 // each one holds two loopback sockets
)

// sleepSlice bounds how long a released goroutine in "sleep" takes to notice.
var sleepSlice = 5 * time.Second

type parker struct {
	mu      sync.Mutex
	batches []*parkBatch
	counts  map[string]int
	ioLn    net.Listener
}

// parkBatch is one request's goroutines and what will let them go.
type parkBatch struct {
	state    string
	n        int
	released atomic.Bool
	release  chan struct{}
	send     chan struct{}
	never    chan struct{}
	held     sync.Mutex
	condMu   sync.Mutex
	cond     *sync.Cond
	wg       sync.WaitGroup
	conns    []net.Conn
}

type parkedStatus struct {
	Parked int            `json:"parked"`
	States map[string]int `json:"states"`
}

func newParker() *parker {
	return &parker{counts: map[string]int{}}
}

func (p *parker) handlePark(w http.ResponseWriter, r *http.Request) {
	n := 1
	if s := r.URL.Query().Get("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > maxParkPerRequest {
			http.Error(w, fmt.Sprintf("n must be an integer in 1..%d", maxParkPerRequest), http.StatusBadRequest)
			return
		}
		n = v
	}
	state := r.URL.Query().Get("state")
	if state == "" {
		state = "chan"
	}
	if _, ok := parkStates[state]; !ok {
		http.Error(w, "state must be one of "+stateNames(), http.StatusBadRequest)
		return
	}
	if err := p.park(n, state); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	infof("Parked %d goroutines in state %q", n, parkStates[state])
	p.writeStatus(w)
}

func (p *parker) handleRelease(w http.ResponseWriter, _ *http.Request) {
	p.releaseAll()
	p.writeStatus(w)
}

func (p *parker) handleParked(w http.ResponseWriter, _ *http.Request) {
	p.writeStatus(w)
}

func (p *parker) writeStatus(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(p.status())
}

func (p *parker) status() parkedStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := parkedStatus{States: map[string]int{}}
	for s, c := range p.counts {
		st.Parked += c
		st.States[s] = c
	}
	return st
}

// park starts n goroutines and returns once each has reached its blocking call.
func (p *parker) park(n int, state string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	total := 0
	for _, c := range p.counts {
		total += c
	}
	if total+n > maxParked {
		return fmt.Errorf("%d goroutines already parked, the limit is %d", total, maxParked)
	}
	if state == "io" && p.counts["io"]+n > maxParkedIO {
		return fmt.Errorf("at most %d goroutines may be parked in IO wait", maxParkedIO)
	}
	b := &parkBatch{state: state, n: n, release: make(chan struct{}), send: make(chan struct{}), never: make(chan struct{})}
	b.cond = sync.NewCond(&b.condMu)
	b.held.Lock()
	b.wg.Add(1)
	readers := make([]net.Conn, n)
	if state == "io" {
		if err := p.openConns(b, readers); err != nil {
			return err
		}
	}
	var ready sync.WaitGroup
	ready.Add(n)
	for i := range n {
		go parkedOnRequest(b, readers[i], &ready)
	}
	ready.Wait()
	// Each goroutine signals just before its blocking call; give the last ones time to get there.
	time.Sleep(20*time.Millisecond + time.Duration(n)*time.Microsecond)
	p.batches = append(p.batches, b)
	p.counts[state] += n
	return nil
}

// openConns makes one loopback TCP connection per reader; the reader side waits for bytes
// that the kept side never writes.
func (p *parker) openConns(b *parkBatch, readers []net.Conn) error {
	if p.ioLn == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		p.ioLn = ln
	}
	for i := range readers {
		c, err := net.Dial("tcp", p.ioLn.Addr().String())
		if err != nil {
			closeAll(b.conns)
			return err
		}
		s, err := p.ioLn.Accept()
		if err != nil {
			c.Close()
			closeAll(b.conns)
			return err
		}
		readers[i] = s
		b.conns = append(b.conns, c, s)
	}
	return nil
}

func parkedOnRequest(b *parkBatch, conn net.Conn, ready *sync.WaitGroup) {
	ready.Done()
	switch b.state {
	case "chan":
		<-b.release
	case "send":
		b.send <- struct{}{}
	case "select":
		select {
		case <-b.release:
		case <-b.never:
		}
	case "mutex":
		// b.held stays locked until the release; taking it is the wait.
		b.held.Lock()
		b.held.Unlock()
	case "cond":
		b.condMu.Lock()
		for !b.released.Load() {
			b.cond.Wait()
		}
		b.condMu.Unlock()
	case "sleep":
		for !b.released.Load() {
			time.Sleep(sleepSlice)
		}
	case "io":
		buf := make([]byte, 1)
		_, _ = conn.Read(buf)
	case "wg":
		b.wg.Wait()
	}
}

func (p *parker) releaseAll() {
	p.mu.Lock()
	batches := p.batches
	p.batches = nil
	p.counts = map[string]int{}
	p.mu.Unlock()
	for _, b := range batches {
		b.condMu.Lock()
		b.released.Store(true)
		b.cond.Broadcast()
		b.condMu.Unlock()
		close(b.release)
		b.held.Unlock()
		b.wg.Done()
		closeAll(b.conns)
		if b.state == "send" {
			go func() {
				for range b.n {
					<-b.send
				}
			}()
		}
	}
	if len(batches) > 0 {
		infof("Released %d batches of parked goroutines", len(batches))
	}
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

func stateNames() string {
	names := make([]string, 0, len(parkStates))
	for s := range parkStates {
		names = append(names, s)
	}
	sort.Strings(names)
	return fmt.Sprint(names)
}
