package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
)

// Etcd is the API server's store: one etcd on 127.0.0.1, plain http. The zero value plus Path and
// DataDir works: ports come from Ports.
type Etcd struct {
	Path    string // etcd binary
	DataDir string
	Ports   *PortAllocator
	Out     io.Writer
	// Configure overrides single flags of the defaults.
	Configure Args

	URL  string // client URL, set by Start
	proc *Process
}

func (e *Etcd) defaultArgs(clientPort, peerPort int) Args {
	client := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	return Args{
		"name":                        {"store"},
		"data-dir":                    {e.DataDir},
		"listen-client-urls":          {client},
		"advertise-client-urls":       {client},
		"listen-peer-urls":            {peer},
		"initial-advertise-peer-urls": {peer},
		"initial-cluster":             {"store=" + peer},
		"unsafe-no-fsync":             {"true"}, // a throwaway store; fsync only slows the sandbox down
		"log-level":                   {"warn"},
	}
}

// Start runs etcd and waits for /health.
func (e *Etcd) Start(ctx context.Context) error {
	if e.DataDir == "" {
		return fmt.Errorf("etcd: DataDir is required")
	}
	clientPort, err := e.Ports.Suggest("127.0.0.1")
	if err != nil {
		return err
	}
	peerPort, err := e.Ports.Suggest("127.0.0.1")
	if err != nil {
		return err
	}
	e.URL = "http://127.0.0.1:" + strconv.Itoa(clientPort)
	e.proc = &Process{
		Name:   "etcd (store)",
		Path:   e.Path,
		Args:   e.defaultArgs(clientPort, peerPort).Merge(e.Configure).AsStrings(),
		Health: HTTPHealth(nil, e.URL+"/health", nil),
	}
	return e.proc.Start(ctx, e.Out)
}

// Stop stops etcd.
func (e *Etcd) Stop() error {
	if e.proc == nil {
		return nil
	}
	return e.proc.Stop()
}

// Process is the underlying process (nil before Start).
func (e *Etcd) Process() *Process { return e.proc }
