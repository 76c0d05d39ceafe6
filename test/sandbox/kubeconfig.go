package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Users of the sandbox, authenticated by bearer tokens from the API server's --token-auth-file.
const (
	AdminUser      = "sandbox-admin"   // in system:masters
	RestrictedUser = "restricted-user" // in system:authenticated; RBAC in cluster.go
)

// Tokens are the bearer tokens of the sandbox's users, random per run.
type Tokens struct {
	Admin      string
	Restricted string
}

// NewTokens makes fresh random tokens.
func NewTokens() Tokens {
	return Tokens{Admin: randomHex(24), Restricted: randomHex(24)}
}

// TokenFile renders the API server's --token-auth-file (token,user,uid,"group1,group2").
func (t Tokens) TokenFile() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s,%s,%s,\"system:masters,system:authenticated\"\n", t.Admin, AdminUser, AdminUser)
	fmt.Fprintf(&b, "%s,%s,%s,\"system:authenticated\"\n", t.Restricted, RestrictedUser, RestrictedUser)
	return b.String()
}

// WriteKubeconfig writes a kubeconfig whose cluster, context and user are all named name, with the CA embedded.
func WriteKubeconfig(path, name, server string, caPEM []byte, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: "default"}
	cfg.CurrentContext = name
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

// RESTConfig is a client-go config for server with a bearer token.
func RESTConfig(server string, caPEM []byte, token string) *rest.Config {
	return &rest.Config{
		Host:            server,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM},
		QPS:             50,
		Burst:           100,
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
