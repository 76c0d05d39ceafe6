package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestListenAndDialInAnotherNetns: a socket opened in a namespace stays there, and only a dial from inside it
// reaches it (root only).
func TestListenAndDialInAnotherNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	holder := exec.Command("unshare", "--net", "sh", "-c", "ip link set lo up && echo up && exec sleep 30")
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Process.Kill(); _ = holder.Wait() }()
	ns := fmt.Sprintf("/proc/%d/ns/net", holder.Process.Pid)
	// lo is up once the holder says so (a fixed sleep was too short on a loaded machine)
	up := make([]byte, 3)
	if _, err := io.ReadFull(out, up); err != nil || string(up) != "up\n" {
		t.Fatalf("the namespace holder did not bring lo up: %q %v", up, err)
	}

	ln, err := listenInNetns(ns, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("inside"))
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := dialInNetns(ctx, ns, addr)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, _ := c.Read(buf)
	c.Close()
	if string(buf[:n]) != "inside" {
		t.Fatalf("read %q", buf[:n])
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the listener must not be reachable from the host namespace")
	}
}
