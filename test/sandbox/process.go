package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process runs one binary of the sandbox in its own process group and knows when it is healthy.
// Start returns when the first of three things happens: the health check passes, the process exits,
// or StartTimeout elapses (then the process is stopped). Stop sends SIGTERM to the whole group,
// waits StopTimeout, then sends SIGKILL.
type Process struct {
	Name string   // for logs and errors
	Path string   // binary
	Args []string // rendered flags
	Env  []string // added to the orchestrator's environment
	Dir  string   // working directory; empty: the orchestrator's
	// Health reports nil once the process is ready. Nil Health means "ready once started".
	Health       func(ctx context.Context) error
	StartTimeout time.Duration // default 60s
	StopTimeout  time.Duration // default 10s
	PollInterval time.Duration // default 100ms

	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// Start launches the process with stdout and stderr going to out and waits until it is healthy.
func (p *Process) Start(ctx context.Context, out io.Writer) error {
	if p.cmd != nil {
		return fmt.Errorf("%s: already started", p.Name)
	}
	startTimeout := orDefault(p.StartTimeout, 60*time.Second)
	poll := orDefault(p.PollInterval, 100*time.Millisecond)

	cmd := exec.Command(p.Path, p.Args...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), p.Env...)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: Ctrl-C in the terminal reaches only the orchestrator, which then stops
	// the components in order, and Stop can signal everything the component spawned.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start %s: %w", p.Name, p.Path, err)
	}
	p.cmd = cmd
	p.exited = make(chan struct{})
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	if p.Health == nil {
		return nil
	}
	lastErr := errors.New("no health check yet")
	for {
		checkCtx, checkCancel := context.WithTimeout(ctx, 2*time.Second)
		err := p.Health(checkCtx)
		checkCancel()
		if err == nil {
			return nil
		}
		// a check cut short by the start timeout says nothing; keep the previous result for the error
		if ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it was ready: %v", p.Name, p.waitErr)
		case <-ctx.Done():
			_ = p.Stop()
			return fmt.Errorf("%s not ready after %s: %v (last check: %v)", p.Name, startTimeout, ctx.Err(), lastErr)
		case <-ticker.C:
		}
	}
}

// Exited is closed when the process has exited (nil before Start).
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Pid is the process id, which is also its process group id; 0 before Start.
func (p *Process) Pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// ExitErr is the result of Wait once Exited is closed.
func (p *Process) ExitErr() error { return p.waitErr }

// Stop terminates the process group: SIGTERM, up to StopTimeout for the leader to exit, then SIGKILL.
// Stopping a process that is not running is not an error.
func (p *Process) Stop() error {
	if p.cmd == nil {
		return nil
	}
	pgid := p.cmd.Process.Pid
	select {
	case <-p.exited:
		// the leader is gone, but children it left in the group may not be
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return nil
	default:
	}
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: SIGTERM: %w", p.Name, err)
	}
	select {
	case <-p.exited:
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // stragglers in the group
		return nil
	case <-time.After(orDefault(p.StopTimeout, 10*time.Second)):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.exited:
		return fmt.Errorf("%s did not stop on SIGTERM within %s; killed", p.Name, orDefault(p.StopTimeout, 10*time.Second))
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s (pid %d) survived SIGKILL", p.Name, pgid)
	}
}

// HTTPHealth returns a health check that wants 200 from url; client may be nil for http URLs.
func HTTPHealth(client *http.Client, url string, header http.Header) func(context.Context) error {
	if client == nil {
		client = http.DefaultClient
	}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s: %s", url, resp.Status, body)
		}
		return nil
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// the state follows the command name in parentheses, which may itself contain ") "
	s := string(b)
	for i := len(s) - 1; i > 0; i-- {
		if s[i] == ')' {
			return i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
		}
	}
	return true
}

// startTime is a process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), which with
// the pid identifies a process across pid reuse; "" if it is gone.
func startTime(pid int) string {
	f := statFields(pid)
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// statFields are the fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, ...
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return nil
	}
	return strings.Fields(s[i+2:])
}

// descendants maps every living descendant of roots to its start time.
func descendants(roots []int) map[int]string {
	children := map[int][]int{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if f := statFields(pid); len(f) > 1 {
			if ppid, err := strconv.Atoi(f[1]); err == nil {
				children[ppid] = append(children[ppid], pid)
			}
		}
	}
	out := map[int]string{}
	queue := append([]int(nil), roots...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			if _, seen := out[c]; !seen {
				out[c] = startTime(c)
				queue = append(queue, c)
			}
		}
	}
	return out
}
