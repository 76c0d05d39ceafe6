package main

import (
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

func TestKubeconfigsAndTokenFile(t *testing.T) {
	ca, err := NewCA("sandbox-ca")
	if err != nil {
		t.Fatal(err)
	}
	tokens := NewTokens()
	if tokens.Admin == tokens.Restricted || len(tokens.Admin) != 48 {
		t.Fatalf("tokens %+v", tokens)
	}
	want := tokens.Admin + `,sandbox-admin,sandbox-admin,"system:masters,system:authenticated"` + "\n" +
		tokens.Restricted + `,restricted-user,restricted-user,"system:authenticated"` + "\n"
	if got := tokens.TokenFile(); got != want {
		t.Fatalf("token file:\n%s\nwant:\n%s", got, want)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := WriteKubeconfig(path, "sandbox-restricted", "https://127.0.0.1:1234", ca.CertPEM, tokens.Restricted); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	if cfg.CurrentContext != "sandbox-restricted" || ctx.Cluster != "sandbox-restricted" || ctx.AuthInfo != "sandbox-restricted" {
		t.Fatalf("context %q: %+v", cfg.CurrentContext, ctx)
	}
	if cfg.AuthInfos["sandbox-restricted"].Token != tokens.Restricted || string(cfg.Clusters["sandbox-restricted"].CertificateAuthorityData) != string(ca.CertPEM) {
		t.Fatal("token or CA not embedded")
	}
}
