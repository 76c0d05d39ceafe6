package main

import (
	"context"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestExpandVars(t *testing.T) {
	vars := map[string]string{"A": "1", "NAME": "master-0"}
	for in, want := range map[string]string{
		"--name=$(NAME)":  "--name=master-0",
		"$(A)$(A)":        "11",
		"$$(A)":           "$(A)",
		"$(UNKNOWN) $(A)": "$(UNKNOWN) 1",
		"cost $5 $(A":     "cost $5 $(A",
		"trailing $":      "trailing $",
		"no refs":         "no refs",
	} {
		if got := expandVars(in, vars); got != want {
			t.Errorf("expandVars(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestContainerEnvAndCommand(t *testing.T) {
	client := fake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s"}, Data: map[string][]byte{"k": []byte("secret-v")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c"}, Data: map[string]string{"k": "cm-v"}},
	)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "etcd-master-1", Labels: map[string]string{"app": "etcd"}},
		Spec:       corev1.PodSpec{NodeName: "master-1", HostNetwork: true},
	}
	c := &corev1.Container{
		Name:    "etcd",
		Command: []string{"etcd", "--name=$(NODE)"},
		Args:    []string{"--x=$(S)/$(C)/$(APP)"},
		Env: []corev1.EnvVar{
			{Name: "ETCD_ENABLE_PPROF", Value: "true"},
			{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
			{Name: "IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: "APP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}}},
			{Name: "S", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"}}},
			{Name: "C", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}, Key: "k"}}},
			{Name: "REF", Value: "node=$(NODE)"},
		},
	}
	t.Setenv("PATH", "/usr/bin:/bin")
	env, err := containerEnv(context.Background(), client, pod, c, "10.89.0.11", "10.89.0.11", "/cache/bin")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"HOSTNAME=master-1", "ETCD_ENABLE_PPROF=true", "NODE=master-1", "IP=10.89.0.11", "APP=etcd",
		"S=secret-v", "C=cm-v", "REF=node=master-1", "PATH=/cache/bin:/usr/bin:/bin"}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("env\ngot  %q\nwant %q", env, want)
	}
	argv, err := containerCommand(c, env)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"etcd", "--name=master-1", "--x=secret-v/cm-v/etcd"}; !reflect.DeepEqual(argv, want) {
		t.Fatalf("argv %q", argv)
	}
	if _, err := containerCommand(&corev1.Container{Name: "img"}, env); err == nil {
		t.Fatal("a container without command must be refused (no images in the sandbox)")
	}
	c.Env = append(c.Env, corev1.EnvVar{Name: "MISSING", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Key: "k"}}})
	if _, err := containerEnv(context.Background(), client, pod, c, "", "", ""); err == nil {
		t.Fatal("a missing secret must fail the container start")
	}
}
