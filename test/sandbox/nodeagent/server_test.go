package main

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRequireClientCert(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := requireClientCert(true, ok)
	for path, want := range map[string]int{"/healthz": http.StatusTeapot, "/exec/ns/p/c": http.StatusUnauthorized} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", path, nil)
		req.TLS = &tls.ConnectionState{}
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
	}
	rec := httptest.NewRecorder()
	requireClientCert(false, ok).ServeHTTP(rec, httptest.NewRequest("GET", "/pods", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("off: %d", rec.Code)
	}
}

func TestRoutesAnswer404ForUnknownPods(t *testing.T) {
	a := newAgent(config{node: "master-0"}, nil)
	srv := newServer(a)
	for _, path := range []string{"/containerLogs/ns/nope/c", "/exec/ns/nope/c?command=ls&output=1", "/exec/ns/nope/uid/c?command=ls&output=1", "/portForward/ns/nope"} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 || rec.Body.String() != "ok" {
		t.Errorf("healthz: %d %q", rec.Code, rec.Body)
	}
}
