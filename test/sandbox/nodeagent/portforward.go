package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"

	"k8s.io/apimachinery/pkg/types"
)

// PortForward connects the stream to 127.0.0.1:port inside the pod's network namespace.
func (a *agent) PortForward(ctx context.Context, name string, uid types.UID, port int32, stream io.ReadWriteCloser) error {
	ns, pod := splitPodKey(name)
	r := a.lookup(ns, pod, uid)
	if r == nil {
		return fmt.Errorf("pod %s not found", name)
	}
	netns, ok := r.netnsPath()
	if !ok {
		return fmt.Errorf("pod %s is not running", name)
	}
	conn, err := dialInNetns(ctx, netns, net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))))
	if err != nil {
		return fmt.Errorf("failed to connect to localhost:%d inside namespace of pod %s: %w", port, name, err)
	}
	defer conn.Close()
	go func() {
		_, err := io.Copy(conn, stream)
		if err != nil {
			conn.Close()
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	_, _ = io.Copy(stream, conn) // an error here means the client went away: nothing to report
	return nil
}
