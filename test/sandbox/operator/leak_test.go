package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

func leakRequest(t *testing.T, mux *http.ServeMux, method, target string) (int, leakStatus) {
	t.Helper()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	var st leakStatus
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
			t.Fatalf("%s %s: %v", method, target, err)
		}
	}
	return rec.Code, st
}

// inUseIn is the in-use bytes the runtime's heap profile attributes to stacks holding fn, after a GC.
func inUseIn(fn string) int64 {
	runtime.GC()
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		n, ok = runtime.MemProfile(recs, true)
		if ok {
			recs = recs[:n]
			break
		}
	}
	var total int64
	for _, r := range recs {
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			if strings.HasSuffix(f.Function, fn) {
				total += r.InUseBytes()
				break
			}
			if !more {
				break
			}
		}
	}
	return total
}

func TestLeakEndpoints(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()
	mux := newMux(newParker())
	heapLeak.handleUnleak(httptest.NewRecorder(), nil)

	if code, _ := leakRequest(t, mux, "POST", "/leak?kb=0"); code != http.StatusBadRequest {
		t.Fatalf("kb=0: got %d, want 400", code)
	}
	before := inUseIn(".retainOnRequest")
	code, st := leakRequest(t, mux, "POST", "/leak?kb=1000")
	if code != http.StatusOK || st.Bytes != 1000<<10 || st.Chunks != 16 {
		t.Fatalf("leak: %d %+v", code, st)
	}
	if _, st = leakRequest(t, mux, "GET", "/leaked"); st.Bytes != 1000<<10 {
		t.Fatalf("leaked: %+v", st)
	}
	if grew := inUseIn(".retainOnRequest") - before; grew < 1000<<10 {
		t.Fatalf("heap profile shows %d more bytes in use in retainOnRequest, want ≥ %d", grew, 1000<<10)
	}
	if _, st = leakRequest(t, mux, "POST", "/unleak"); st.Bytes != 0 || st.Chunks != 0 {
		t.Fatalf("unleak: %+v", st)
	}
}
