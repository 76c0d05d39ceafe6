package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// containerRunner runs one container of a pod as a process in the sandbox's namespaces, restarting it on exit
// as the pod's restartPolicy says. Its fields are guarded by the pod runner's mutex.
type containerRunner struct {
	p    *podRunner
	spec corev1.Container

	restartCount int32
	running      bool
	pid          int
	startedAt    time.Time
	done         chan struct{} // closed when the current instance exits
	env          []string
	ready        bool
	waiting      *corev1.ContainerStateWaiting
	last         *corev1.ContainerStateTerminated
	final        *corev1.ContainerStateTerminated // set when it will not run again
}

func (cr *containerRunner) logPath(restart int32) string {
	return filepath.Join(cr.p.dir, "logs", cr.spec.Name, strconv.Itoa(int(restart))+".log")
}

func (cr *containerRunner) containerID(restart int32) string {
	return fmt.Sprintf("sandbox://%s-%s-%d", cr.p.uid, cr.spec.Name, restart)
}

func (cr *containerRunner) setWaiting(reason, msg string) {
	cr.p.mu.Lock()
	cr.waiting = &corev1.ContainerStateWaiting{Reason: reason, Message: msg}
	cr.p.mu.Unlock()
	cr.p.changed()
}

func (cr *containerRunner) loop() {
	r := cr.p
	backoff := time.Second
	for {
		began := time.Now()
		term := cr.runOnce()
		if term == nil { // could not start; retry with back-off unless the pod is going away
			if !sleepCtx(r.ctx, backoff) {
				return
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		r.mu.Lock()
		policy := r.pod.Spec.RestartPolicy
		r.mu.Unlock()
		restart := r.ctx.Err() == nil &&
			(policy == corev1.RestartPolicyAlways || policy == "" ||
				(policy == corev1.RestartPolicyOnFailure && term.ExitCode != 0))
		if !restart {
			r.mu.Lock()
			cr.final, cr.waiting = term, nil
			r.mu.Unlock()
			r.changed()
			return
		}
		if time.Since(began) > 10*time.Second {
			backoff = time.Second
		}
		log.Printf("pod %s/%s: container %s exited with %d; restarting in %s", r.ns, r.name, cr.spec.Name, term.ExitCode, backoff)
		r.mu.Lock()
		cr.last = term
		cr.waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", backoff, cr.spec.Name, r.name, r.ns, r.uid)}
		r.mu.Unlock()
		r.changed()
		if !sleepCtx(r.ctx, backoff) {
			return
		}
		backoff = min(2*backoff, 30*time.Second)
		r.mu.Lock()
		cr.restartCount++
		r.mu.Unlock()
	}
}

func sleepCtx(ctx interface{ Done() <-chan struct{} }, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// runOnce starts one instance of the container and waits for it to exit. It returns nil when it could not start.
func (cr *containerRunner) runOnce() *corev1.ContainerStateTerminated {
	r := cr.p
	pod := r.spec()
	r.mu.Lock()
	sb, podIP, restart := r.sandbox, r.podIP, cr.restartCount
	r.mu.Unlock()
	if r.ctx.Err() != nil {
		return nil
	}
	if sb == nil {
		cr.setWaiting("ContainerCreating", "waiting for the pod sandbox")
		return nil
	}
	env, err := containerEnv(r.ctx, r.a.client, pod, &cr.spec, r.a.cfg.nodeIP, podIP, r.a.cfg.binDir)
	if err != nil {
		cr.setWaiting("CreateContainerConfigError", err.Error())
		return nil
	}
	command, err := containerCommand(&cr.spec, env)
	if err != nil {
		cr.setWaiting("CreateContainerConfigError", err.Error())
		return nil
	}
	logPath := cr.logPath(restart)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		cr.setWaiting("RunContainerError", err.Error())
		return nil
	}
	lw, err := openLogWriter(logPath)
	if err != nil {
		cr.setWaiting("RunContainerError", err.Error())
		return nil
	}
	defer lw.Close()

	argv := inPodArgv(sb.pid, cr.spec.WorkingDir, command)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = "/"
	cmd.SysProcAttr = procAttr()
	outR, outW, err := os.Pipe()
	if err != nil {
		cr.setWaiting("RunContainerError", err.Error())
		return nil
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		cr.setWaiting("RunContainerError", err.Error())
		return nil
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	r.mu.Lock()
	if r.terminating { // checked under the lock stop() takes, so stop() never misses a started process
		r.mu.Unlock()
		outR.Close()
		outW.Close()
		errR.Close()
		errW.Close()
		return nil
	}
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		r.mu.Unlock()
		outR.Close()
		errR.Close()
		cr.setWaiting("RunContainerError", err.Error())
		return nil
	}
	done := make(chan struct{})
	cr.running, cr.pid, cr.startedAt, cr.done, cr.env, cr.waiting = true, cmd.Process.Pid, time.Now(), done, env, nil
	cr.ready = false
	r.mu.Unlock()
	r.changed()
	log.Printf("pod %s/%s: container %s started (pid %d): %q", r.ns, r.name, cr.spec.Name, cmd.Process.Pid, command)

	var copies sync.WaitGroup
	copies.Add(2)
	go func() { defer copies.Done(); lw.copyLines(outR, "stdout") }()
	go func() { defer copies.Done(); lw.copyLines(errR, "stderr") }()
	go cr.probeReadiness(sb, env, done)

	waitErr := cmd.Wait()
	copied := make(chan struct{})
	go func() { copies.Wait(); close(copied) }()
	select {
	case <-copied:
	case <-time.After(2 * time.Second): // a child that outlived the main process still holds the pipes
		killGroup(cmd.Process.Pid, syscall.SIGKILL)
	}
	outR.Close()
	errR.Close()

	code := int32(0)
	reason := "Completed"
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		switch {
		case st.Signaled():
			code = 128 + int32(st.Signal())
		default:
			code = int32(st.ExitStatus())
		}
	} else if waitErr != nil {
		code = 1
	}
	if code != 0 {
		reason = "Error"
	}
	term := &corev1.ContainerStateTerminated{
		ExitCode:    code,
		Reason:      reason,
		StartedAt:   metav1.NewTime(cr.startedAt),
		FinishedAt:  metav1.Now(),
		ContainerID: cr.containerID(restart),
	}
	r.mu.Lock()
	cr.running, cr.pid, cr.ready = false, 0, false
	r.mu.Unlock()
	close(done)
	r.changed()
	return term
}

// stop sends SIGTERM to the running instance (its process group), then SIGKILL after grace.
func (cr *containerRunner) stop(grace time.Duration) {
	r := cr.p
	r.mu.Lock()
	pid, done, running := cr.pid, cr.done, cr.running
	r.mu.Unlock()
	if !running {
		return
	}
	if grace > 0 {
		killGroup(pid, syscall.SIGTERM)
		select {
		case <-done:
			return
		case <-time.After(grace):
		}
	}
	killGroup(pid, syscall.SIGKILL)
	<-done
}
