package main

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// POST /crash?kind=K makes the process die the way a Go program does, so its container restarts with the
// traceback in its previous log (run with GOTRACEBACK=all, as the sandbox's operator pod is, to see every goroutine):
//
//	panic   an unrecovered panic in a goroutine of its own: `panic: …` then the goroutines, exit 2
//	nil     a nil pointer dereference: `panic: runtime error: invalid memory address or nil pointer dereference`
//	        and `[signal SIGSEGV: segmentation violation …]`, exit 2
//	fatal   a runtime fatal error, `fatal error: sync: unlock of unlocked mutex`, exit 2 (deterministic)
//	map     `fatal error: concurrent map writes` from two goroutines writing one map, exit 2
//
// It answers 202 first; the crash follows 100 ms later, outside the HTTP server (which recovers handler panics).
var crashKinds = map[string]func(){
	"panic": crashPanic,
	"nil":   crashNil,
	"fatal": crashFatal,
	"map":   crashMap,
}

// CrashMessage is the panic value of kind=panic, so tests can find it in the log.
const CrashMessage = "etcd-operator stand-in: crash requested (POST /crash?kind=panic)"

func handleCrash(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		kind = "panic"
	}
	crash, ok := crashKinds[kind]
	if !ok {
		http.Error(w, "kind must be panic, nil, fatal or map", http.StatusBadRequest)
		return
	}
	warnf("Crash requested: kind=%s; exiting in 100ms", kind)
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, "{\"crashing\":%q}\n", kind)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		crash()
	}()
}

func crashPanic() {
	panic(CrashMessage)
}

type crashMember struct{ peerURL string }

//go:noinline
func peerOf(m *crashMember) string { return m.peerURL }

func crashNil() {
	var m *crashMember
	infof("peer %s", peerOf(m))
}

func crashFatal() {
	var mu sync.Mutex
	mu.Unlock()
}

func crashMap() {
	m := map[int]int{}
	for i := 0; i < 2; i++ {
		go func() {
			for j := 0; ; j++ {
				m[j%1024] = j
			}
		}()
	}
	select {}
}
