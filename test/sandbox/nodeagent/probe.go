package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probeReadiness sets the container's ready flag for the instance that ends with done: at once when it has no
// readiness probe, else from exec, httpGet or tcpSocket checks run inside the pod's namespaces.
func (cr *containerRunner) probeReadiness(sb *sandbox, env []string, done <-chan struct{}) {
	r := cr.p
	set := func(ready bool) {
		r.mu.Lock()
		changed := cr.ready != ready && cr.done == done
		if cr.done == done {
			cr.ready = ready
		}
		r.mu.Unlock()
		if changed {
			r.changed()
		}
	}
	pr := cr.spec.ReadinessProbe
	if pr == nil {
		set(true)
		return
	}
	period := seconds(pr.PeriodSeconds, 10)
	timeout := seconds(pr.TimeoutSeconds, 1)
	successNeeded, failuresNeeded := max(pr.SuccessThreshold, 1), pr.FailureThreshold
	if failuresNeeded <= 0 {
		failuresNeeded = 3
	}
	wait := seconds(pr.InitialDelaySeconds, 0)
	var successes, failures int32
	for {
		select {
		case <-done:
			return
		case <-r.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = period
		if err := runProbe(r.ctx, &pr.ProbeHandler, &cr.spec, sb, env, timeout); err != nil {
			successes, failures = 0, failures+1
			if failures >= failuresNeeded {
				set(false)
			}
		} else {
			successes, failures = successes+1, 0
			if successes >= successNeeded {
				set(true)
			}
		}
	}
}

func seconds(v, def int32) time.Duration {
	if v <= 0 {
		return time.Duration(def) * time.Second
	}
	return time.Duration(v) * time.Second
}

func resolvePort(p intstr.IntOrString, c *corev1.Container) (int, error) {
	if p.Type == intstr.Int {
		return p.IntValue(), nil
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("no port named %q", p.StrVal)
}

func runProbe(ctx context.Context, h *corev1.ProbeHandler, c *corev1.Container, sb *sandbox, env []string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	netns := sb.netnsPath()
	host := func(h string) string {
		if h == "" {
			return "127.0.0.1"
		}
		return h
	}
	switch {
	case h.Exec != nil:
		argv := inPodArgv(sb.pid, c.WorkingDir, h.Exec.Command)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = env
		cmd.SysProcAttr = procAttr()
		return cmd.Run()
	case h.TCPSocket != nil:
		port, err := resolvePort(h.TCPSocket.Port, c)
		if err != nil {
			return err
		}
		conn, err := dialInNetns(ctx, netns, net.JoinHostPort(host(h.TCPSocket.Host), strconv.Itoa(port)))
		if err != nil {
			return err
		}
		return conn.Close()
	case h.HTTPGet != nil:
		g := h.HTTPGet
		port, err := resolvePort(g.Port, c)
		if err != nil {
			return err
		}
		scheme := "http"
		if g.Scheme == corev1.URISchemeHTTPS {
			scheme = "https"
		}
		client := &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
				return dialInNetns(ctx, netns, addr)
			},
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // as the kubelet's probes
			DisableKeepAlives: true,
		}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
			fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(host(g.Host), strconv.Itoa(port)), g.Path), nil)
		if err != nil {
			return err
		}
		for _, hd := range g.HTTPHeaders {
			req.Header.Add(hd.Name, hd.Value)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return fmt.Errorf("HTTP probe status %d", resp.StatusCode)
		}
		return nil
	}
	return fmt.Errorf("probe without handler")
}
