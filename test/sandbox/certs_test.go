package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"sort"
	"testing"
)

func parseCert(t *testing.T, pemBytes []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEtcdCertsAsOpenShiftLaysThemOut(t *testing.T) {
	nodes := []Node{{"master-0", "10.89.3.10"}, {"master-1", "10.89.3.11"}}
	certs, err := NewEtcdCerts(nodes)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(certs.CA.Cert)

	var names []string
	for k := range certs.AllCerts() {
		names = append(names, k)
	}
	sort.Strings(names)
	want := []string{"etcd-peer-master-0.crt", "etcd-peer-master-0.key", "etcd-peer-master-1.crt", "etcd-peer-master-1.key",
		"etcd-serving-master-0.crt", "etcd-serving-master-0.key", "etcd-serving-master-1.crt", "etcd-serving-master-1.key"}
	if len(names) != len(want) {
		t.Fatalf("etcd-all-certs keys = %v", names)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("etcd-all-certs keys = %v, want %v", names, want)
		}
	}

	serving := parseCert(t, certs.Serving["master-1"].CertPEM)
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := serving.Verify(x509.VerifyOptions{Roots: roots, DNSName: "master-1", KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Fatalf("serving cert of master-1 for usage %v: %v", usage, err)
		}
	}
	for _, host := range []string{"10.89.3.11", "127.0.0.1", "::1", "localhost"} {
		if err := serving.VerifyHostname(host); err != nil {
			t.Errorf("serving cert of master-1: %v", err)
		}
	}
	// a node's cert must not be valid for another node: that is how a test tells the members apart
	if err := serving.VerifyHostname("master-0"); err == nil {
		t.Error("serving cert of master-1 is valid for master-0")
	}
	if err := serving.VerifyHostname("10.89.3.10"); err == nil {
		t.Error("serving cert of master-1 is valid for master-0's IP")
	}
	if _, err := tls.X509KeyPair(certs.Serving["master-1"].CertPEM, certs.Serving["master-1"].KeyPEM); err != nil {
		t.Fatalf("serving pair does not match: %v", err)
	}

	client := parseCert(t, certs.Client.CertPEM)
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("etcd-client is usable as a server cert")
	}
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("etcd-client as client: %v", err)
	}

	other, err := NewCA("etcd-signer")
	if err != nil {
		t.Fatal(err)
	}
	otherRoots := x509.NewCertPool()
	otherRoots.AddCert(other.Cert)
	if _, err := serving.Verify(x509.VerifyOptions{Roots: otherRoots}); err == nil {
		t.Error("serving cert verifies against an unrelated CA")
	}
}
