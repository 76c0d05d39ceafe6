package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"time"
)

// NodeAgent is our kubelet stand-in (test/sandbox/nodeagent) for one node. It runs in the host netns and
// listens for the API server on <NodeIP>:10250 inside the node's netns; ready when /healthz answers there.
type NodeAgent struct {
	Path       string
	Node       string // master-<i>
	NodeIP     string
	Netns      string // /run/netns/...
	Kubeconfig string
	Root       string // the node's "host filesystem"
	StateDir   string
	BinDir     string
	TLSCert    string
	TLSKey     string
	CAPEM      []byte // verifies TLSCert in the health check
	Out        io.Writer
	Configure  Args

	proc *Process
}

func (a *NodeAgent) defaultArgs() Args {
	return Args{
		"node":       {a.Node},
		"node-ip":    {a.NodeIP},
		"netns":      {a.Netns},
		"kubeconfig": {a.Kubeconfig},
		"root":       {a.Root},
		"state":      {a.StateDir},
		"bin-dir":    {a.BinDir},
		"tls-cert":   {a.TLSCert},
		"tls-key":    {a.TLSKey},
	}
}

// HealthURL is the agent's health endpoint on the kubelet port.
func (a *NodeAgent) HealthURL() string { return "https://" + a.NodeIP + ":10250/healthz" }

// Start runs the agent and waits for its /healthz.
func (a *NodeAgent) Start(ctx context.Context) error {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(a.CAPEM) {
		return fmt.Errorf("node agent %s: no CA to verify its serving cert", a.Node)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	a.proc = &Process{
		Name:         "node agent " + a.Node,
		Path:         a.Path,
		Args:         a.defaultArgs().Merge(a.Configure).AsStrings(),
		Health:       HTTPHealth(client, a.HealthURL(), nil),
		StartTimeout: 30 * time.Second,
		// the agent stops its pods on SIGTERM; give it time for their grace periods
		StopTimeout: 20 * time.Second,
	}
	return a.proc.Start(ctx, a.Out)
}

// Stop stops the agent (which stops its pods).
func (a *NodeAgent) Stop() error {
	if a.proc == nil {
		return nil
	}
	return a.proc.Stop()
}

// Process is the underlying process (nil before Start).
func (a *NodeAgent) Process() *Process { return a.proc }
