package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestProcessReadyAfterHealthFailsThenSucceeds(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	p := &Process{Name: "sleeper", Path: "sleep", Args: []string{"30"},
		Health: HTTPHealth(nil, srv.URL, nil), PollInterval: 10 * time.Millisecond}
	if err := p.Start(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if n := calls.Load(); n != 3 {
		t.Fatalf("ready after %d health checks, want 3", n)
	}
	if err := syscall.Kill(p.Pid(), 0); err != nil {
		t.Fatalf("process not running after Start: %v", err)
	}
}

func TestProcessNeverReadyTimesOutAndIsStopped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "never", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	p := &Process{Name: "never", Path: "sleep", Args: []string{"30"},
		Health: HTTPHealth(nil, srv.URL, nil), StartTimeout: 300 * time.Millisecond, PollInterval: 20 * time.Millisecond}
	err := p.Start(context.Background(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not ready") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("Start error = %v, want a not-ready error naming the last check", err)
	}
	select {
	case <-p.Exited():
	case <-time.After(5 * time.Second):
		t.Fatal("process still running after a failed start")
	}
}

func TestProcessExitBeforeReadyIsReported(t *testing.T) {
	p := &Process{Name: "quitter", Path: "sh", Args: []string{"-c", "echo bye; exit 3"},
		Health: func(context.Context) error { return io.EOF }, PollInterval: 10 * time.Millisecond}
	var out strings.Builder
	err := p.Start(context.Background(), &out)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Start error = %v", err)
	}
	if !strings.Contains(out.String(), "bye") {
		t.Fatalf("output not captured: %q", out.String())
	}
}

// Stop must reach children the process spawned (the whole process group), and escalate to SIGKILL
// when SIGTERM is ignored.
func TestProcessStopKillsGroupAndEscalates(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	script := `trap '' TERM; sleep 30 & echo $! > ` + pidFile + `; wait`
	p := &Process{Name: "stubborn", Path: "sh", Args: []string{"-c", script}, StopTimeout: 200 * time.Millisecond,
		Health: func(context.Context) error {
			if _, err := os.Stat(pidFile); err != nil {
				return err
			}
			return nil
		}}
	if err := p.Start(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(pidFile)
	var child int
	for _, c := range strings.TrimSpace(string(b)) {
		child = child*10 + int(c-'0')
	}
	start := time.Now()
	err := p.Stop()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Stop error = %v, want a report that SIGKILL was needed", err)
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Fatalf("SIGKILL sent before StopTimeout")
	}
	deadline := time.Now().Add(2 * time.Second)
	for processAlive(child) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the group survived Stop", child)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDescendantsFindsGrandchildren(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "grandchild")
	p := &Process{Name: "tree", Path: "sh", Args: []string{"-c", `sh -c 'sleep 30 & echo $! > ` + pidFile + `; wait' & wait`},
		Health: func(context.Context) error { _, err := os.Stat(pidFile); return err }}
	if err := p.Start(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	time.Sleep(50 * time.Millisecond) // the pid file is written before its newline is flushed
	b, _ := os.ReadFile(pidFile)
	var grandchild int
	fmt.Sscan(strings.TrimSpace(string(b)), &grandchild)
	d := descendants([]int{p.Pid()})
	if _, ok := d[grandchild]; !ok || len(d) != 2 {
		t.Fatalf("descendants(%d) = %v, want the inner sh and sleep %d", p.Pid(), d, grandchild)
	}
	if d[grandchild] == "" || d[grandchild] != startTime(grandchild) {
		t.Fatalf("start time of %d not recorded: %q", grandchild, d[grandchild])
	}
}
