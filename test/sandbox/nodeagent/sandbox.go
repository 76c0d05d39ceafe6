package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// sandbox is the pod's "pause" process: it owns the pod's mount namespace (and network namespace unless the pod
// uses the host network); containers and exec sessions enter its namespaces through its pid.
type sandbox struct {
	cmd  *exec.Cmd
	pid  int
	done chan struct{}
}

func (s *sandbox) netnsPath() string { return fmt.Sprintf("/proc/%d/ns/net", s.pid) }

func (s *sandbox) kill() {
	killGroup(s.pid, syscall.SIGKILL)
	<-s.done
}

// podHostname is what the pod's processes see as hostname: the node's for host-network pods, else the pod's name.
func podHostname(pod *corev1.Pod) string {
	if pod.Spec.HostNetwork {
		return pod.Spec.NodeName
	}
	return pod.Name
}

// startSandbox starts the pod's sandbox process; with podIP it also gets an eth0 on --pod-bridge.
func startSandbox(cfg config, pod *corev1.Pod, podDir, podIP string) (*sandbox, error) {
	if err := os.MkdirAll(podDir, 0o755); err != nil {
		return nil, err
	}
	ms, err := podMounts(pod, cfg.root, podDir)
	if err != nil {
		return nil, err
	}
	if err := prepareMountSources(ms); err != nil {
		return nil, err
	}
	argv := sandboxArgv(cfg.netns, pod.Spec.HostNetwork, sandboxScript(ms, !pod.Spec.HostNetwork, podHostname(pod)))
	logPath := filepath.Join(podDir, "sandbox.log")
	errLog, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer errLog.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=" + podPath("")}
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = pw, errLog
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil, err
	}
	pw.Close()
	s := &sandbox{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	ready := make(chan error, 1)
	go func() { ready <- waitReady(pr) }()
	select {
	case err = <-ready:
	case <-time.After(15 * time.Second):
		err = fmt.Errorf("not ready after 15s")
	}
	if err != nil {
		s.kill()
		msg, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("%w: %s", err, strings.TrimSpace(string(msg)))
	}
	if podIP != "" && !pod.Spec.HostNetwork {
		if err := attachPodNetwork(cfg.podBridge, s.pid, net.ParseIP(podIP)); err != nil {
			s.kill()
			return nil, fmt.Errorf("pod network: %w", err)
		}
	}
	return s, nil
}
