package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// serveProfiling serves net/http/pprof and the park endpoints on addr until ctx ends,
// as the cluster-etcd-operator does when OPENSHIFT_PROFILE=web.
func serveProfiling(ctx context.Context, addr string, parker *parker) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newMux(parker), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		infof("Starting profiling endpoint at http://%s/debug/pprof/", ln.Addr())
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func newMux(parker *parker) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("POST /park", parker.handlePark)
	mux.HandleFunc("POST /release", parker.handleRelease)
	mux.HandleFunc("GET /parked", parker.handleParked)
	mux.HandleFunc("POST /crash", handleCrash)
	registerLeak(mux)
	return mux
}
