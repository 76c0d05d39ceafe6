package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
)

// The leak endpoints let a test grow the heap on purpose, the way a cache without eviction does:
//
//	POST /leak?kb=N  allocates N KiB more (1..65536, default 1024) in main.retainOnRequest and keeps it
//	POST /unleak     drops everything retained (the next GC frees it)
//	GET  /leaked     {"bytes": N, "chunks": N}
//
// The memory is allocated in 64 KiB chunks filled with non-zero bytes, so it is really in use.
const (
	leakChunk    = 64 << 10
	maxLeakKB    = 64 << 10
	maxLeakTotal = 1 << 30
)

type leaker struct {
	mu     sync.Mutex
	chunks [][]byte
	bytes  int
}

type leakStatus struct {
	Bytes  int `json:"bytes"`
	Chunks int `json:"chunks"`
}

var heapLeak = &leaker{}

// registerLeak adds the leak endpoints to the profiling mux.
func registerLeak(mux *http.ServeMux) {
	mux.HandleFunc("POST /leak", heapLeak.handleLeak)
	mux.HandleFunc("POST /unleak", heapLeak.handleUnleak)
	mux.HandleFunc("GET /leaked", heapLeak.handleLeaked)
}

func (l *leaker) handleLeak(w http.ResponseWriter, r *http.Request) {
	kb := 1024
	if s := r.URL.Query().Get("kb"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > maxLeakKB {
			http.Error(w, fmt.Sprintf("kb must be an integer in 1..%d", maxLeakKB), http.StatusBadRequest)
			return
		}
		kb = v
	}
	if err := l.retain(kb << 10); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	infof("Retained %d KiB on request", kb)
	l.writeStatus(w)
}

func (l *leaker) handleUnleak(w http.ResponseWriter, _ *http.Request) {
	l.mu.Lock()
	l.chunks, l.bytes = nil, 0
	l.mu.Unlock()
	l.writeStatus(w)
}

func (l *leaker) handleLeaked(w http.ResponseWriter, _ *http.Request) {
	l.writeStatus(w)
}

func (l *leaker) writeStatus(w http.ResponseWriter) {
	l.mu.Lock()
	st := leakStatus{Bytes: l.bytes, Chunks: len(l.chunks)}
	l.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

func (l *leaker) retain(n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bytes+n > maxLeakTotal {
		return fmt.Errorf("%d bytes already retained, the limit is %d", l.bytes, maxLeakTotal)
	}
	for n > 0 {
		size := min(n, leakChunk)
		l.chunks = append(l.chunks, retainOnRequest(size))
		l.bytes += size
		n -= size
	}
	return nil
}

// retainOnRequest is the allocation site a heap profile shows for the leak.
//
//go:noinline
func retainOnRequest(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i) | 1
	}
	return b
}
