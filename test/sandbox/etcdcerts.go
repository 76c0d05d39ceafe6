package main

import (
	"net"
	"os"
	"path/filepath"
)

// Node is one sandbox node.
type Node struct {
	Name string `json:"name"`
	IP   string `json:"ip"`
}

// EtcdCerts are the etcd members' certificates as OpenShift lays them out: CA "etcd-signer", per node a
// serving cert (server+client usage, SANs node IP, loopback, node name) and a peer cert, and "etcd-client".
type EtcdCerts struct {
	CA      *CA
	Serving map[string]KeyPair // by node name
	Peer    map[string]KeyPair
	Client  KeyPair
}

// Where the certificates live on a node's host filesystem and inside a member pod.
const (
	etcdCertsHostDir = "/etc/kubernetes/static-pod-resources/etcd-certs"
	etcdCertsPodDir  = "/etc/kubernetes/static-pod-certs"
)

// NewEtcdCerts issues everything for nodes.
func NewEtcdCerts(nodes []Node) (*EtcdCerts, error) {
	ca, err := NewCA("etcd-signer")
	if err != nil {
		return nil, err
	}
	c := &EtcdCerts{CA: ca, Serving: map[string]KeyPair{}, Peer: map[string]KeyPair{}}
	for _, n := range nodes {
		req := CertRequest{
			CommonName:   "system:etcd-server:" + n.Name,
			Organization: []string{"system:etcd-servers"},
			DNSNames:     []string{n.Name, "localhost"},
			IPs:          []net.IP{net.ParseIP(n.IP), net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
			Server:       true,
			Client:       true,
		}
		if c.Serving[n.Name], err = ca.Issue(req); err != nil {
			return nil, err
		}
		req.CommonName, req.Organization = "system:etcd-peer:"+n.Name, []string{"system:etcd-peers"}
		if c.Peer[n.Name], err = ca.Issue(req); err != nil {
			return nil, err
		}
	}
	c.Client, err = ca.Issue(CertRequest{CommonName: "etcd-client", Organization: []string{"etcd-client"}, Client: true})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AllCerts is the data of secret etcd-all-certs: etcd-serving-<node>.crt/.key and etcd-peer-<node>.crt/.key.
func (c *EtcdCerts) AllCerts() map[string][]byte {
	data := map[string][]byte{}
	for name, kp := range c.Serving {
		data["etcd-serving-"+name+".crt"], data["etcd-serving-"+name+".key"] = kp.CertPEM, kp.KeyPEM
	}
	for name, kp := range c.Peer {
		data["etcd-peer-"+name+".crt"], data["etcd-peer-"+name+".key"] = kp.CertPEM, kp.KeyPEM
	}
	return data
}

// WriteToNodeRoot lays the files out under a node root where the member's hostPath volume finds them:
// secrets/etcd-all-certs/*, configmaps/etcd-serving-ca/ca-bundle.crt, configmaps/etcd-peer-client-ca/ca-bundle.crt.
func (c *EtcdCerts) WriteToNodeRoot(root string) error {
	base := filepath.Join(root, etcdCertsHostDir)
	for name, data := range c.AllCerts() {
		mode := os.FileMode(0o600)
		if filepath.Ext(name) == ".crt" {
			mode = 0o644
		}
		if err := writeFile(filepath.Join(base, "secrets", "etcd-all-certs", name), data, mode); err != nil {
			return err
		}
	}
	for _, cm := range []string{"etcd-serving-ca", "etcd-peer-client-ca"} {
		if err := writeFile(filepath.Join(base, "configmaps", cm, "ca-bundle.crt"), c.CA.CertPEM, 0o644); err != nil {
			return err
		}
	}
	return nil
}
