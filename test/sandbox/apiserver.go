package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// APIServerPKI is the files the API server is started with.
type APIServerPKI struct {
	CAFile               string // sandbox CA: signs the serving cert, the kubelet client cert and the agents' serving certs
	ServingCert          string
	ServingKey           string
	KubeletClientCert    string
	KubeletClientKey     string
	ServiceAccountKey    string // private: signs service-account tokens
	ServiceAccountPubKey string
	TokenAuthFile        string
}

// APIServer is kube-apiserver on https://127.0.0.1:<free port>, backed by EtcdURL.
type APIServer struct {
	Path      string
	EtcdURL   string
	PKI       APIServerPKI
	CAPEM     []byte // to verify the serving cert in the readiness check
	Token     string // a token of system:masters for the readiness check
	Ports     *PortAllocator
	Out       io.Writer
	Configure Args

	URL  string // https://127.0.0.1:<port>, set by Start
	proc *Process
}

func (s *APIServer) defaultArgs(port int) Args {
	return Args{
		"etcd-servers":                     {s.EtcdURL},
		"bind-address":                     {"127.0.0.1"},
		"advertise-address":                {"127.0.0.1"},
		"secure-port":                      {strconv.Itoa(port)},
		"tls-cert-file":                    {s.PKI.ServingCert},
		"tls-private-key-file":             {s.PKI.ServingKey},
		"client-ca-file":                   {s.PKI.CAFile},
		"token-auth-file":                  {s.PKI.TokenAuthFile},
		"authorization-mode":               {"RBAC"},
		"service-account-issuer":           {"https://kubernetes.default.svc"},
		"service-account-key-file":         {s.PKI.ServiceAccountPubKey},
		"service-account-signing-key-file": {s.PKI.ServiceAccountKey},
		"service-cluster-ip-range":         {"10.96.0.0/24"},
		"allow-privileged":                 {"true"},
		"kubelet-client-certificate":       {s.PKI.KubeletClientCert},
		"kubelet-client-key":               {s.PKI.KubeletClientKey},
		"kubelet-certificate-authority":    {s.PKI.CAFile},
		"kubelet-preferred-address-types":  {"InternalIP"},
		"enable-priority-and-fairness":     {"false"},
		"endpoint-reconciler-type":         {"none"},
		"storage-media-type":               {"application/vnd.kubernetes.protobuf"},
		"v":                                {"1"},
	}
}

// Start runs the API server, waits for /readyz and then for the default namespace.
func (s *APIServer) Start(ctx context.Context) error {
	if s.EtcdURL == "" {
		return fmt.Errorf("kube-apiserver: EtcdURL is required")
	}
	port, err := s.Ports.Suggest("127.0.0.1")
	if err != nil {
		return err
	}
	s.URL = "https://127.0.0.1:" + strconv.Itoa(port)
	client, err := s.client()
	if err != nil {
		return err
	}
	auth := http.Header{"Authorization": {"Bearer " + s.Token}}
	readyz := HTTPHealth(client, s.URL+"/readyz", auth)
	defaultNS := HTTPHealth(client, s.URL+"/api/v1/namespaces/default", auth)
	s.proc = &Process{
		Name: "kube-apiserver",
		Path: s.Path,
		Args: s.defaultArgs(port).Merge(s.Configure).AsStrings(),
		// the default namespace is created by the API server's own bootstrap controller after /readyz
		Health: func(ctx context.Context) error {
			if err := readyz(ctx); err != nil {
				return err
			}
			return defaultNS(ctx)
		},
		StartTimeout: 120 * time.Second,
		PollInterval: 250 * time.Millisecond,
	}
	return s.proc.Start(ctx, s.Out)
}

func (s *APIServer) client() (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CAPEM) {
		return nil, fmt.Errorf("kube-apiserver: no CA certificate to verify it with")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, nil
}

// Stop stops the API server.
func (s *APIServer) Stop() error {
	if s.proc == nil {
		return nil
	}
	return s.proc.Stop()
}

// Process is the underlying process (nil before Start).
func (s *APIServer) Process() *Process { return s.proc }
