package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestShQuoteSurvivesTheShell(t *testing.T) {
	for _, s := range []string{"plain", "it's", `a "b" $HOME $(id) \n`, "", "x'y'z"} {
		out, err := exec.Command("sh", "-c", "printf %s "+shQuote(s)).Output()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != s {
			t.Errorf("quoted %q came back as %q", s, out)
		}
	}
}

func TestSandboxArgv(t *testing.T) {
	got := sandboxArgv("/run/netns/epsbx3-master-1", true, "S")
	want := []string{"nsenter", "--net=/run/netns/epsbx3-master-1", "unshare", "--mount", "--uts", "--propagation", "private", "sh", "-c", "S"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("host network: %q", got)
	}
	got = sandboxArgv("/run/netns/epsbx3-master-1", false, "S")
	if got[0] != "unshare" || got[1] != "--net" {
		t.Fatalf("own netns must not enter the node's: %q", got)
	}
}

func TestInPodArgv(t *testing.T) {
	got := inPodArgv(42, "", []string{"ls", "-l"})
	want := []string{"nsenter", "-t", "42", "-m", "-n", "-u", "--wdns=/", "--", "ls", "-l"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q", got)
	}
	if got := inPodArgv(42, "/var/lib/etcd", []string{"pwd"}); got[6] != "--wdns=/var/lib/etcd" {
		t.Fatalf("%q", got)
	}
}

func TestPodMountsResolveUnderNodeRoot(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		Volumes: []corev1.Volume{
			{Name: "certs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/etc/kubernetes/static-pod-resources/etcd-certs"}}},
			{Name: "data", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/etcd/../etcd"}}},
			{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
		},
		Containers: []corev1.Container{
			{Name: "a", VolumeMounts: []corev1.VolumeMount{
				{Name: "certs", MountPath: "/etc/kubernetes/static-pod-certs/secrets", SubPath: "secrets", ReadOnly: true},
				{Name: "data", MountPath: "/var/lib/etcd"},
				{Name: "cm", MountPath: "/config"},
			}},
			{Name: "b", VolumeMounts: []corev1.VolumeMount{
				{Name: "data", MountPath: "/var/lib/etcd"},
				{Name: "scratch", MountPath: "/tmp/scratch"},
			}},
		},
	}}
	got, err := podMounts(pod, "/nodes/master-0", "/state/pod")
	if err != nil {
		t.Fatal(err)
	}
	want := []mount{
		{src: "/state/pod/volumes/scratch", dst: "/tmp/scratch"},
		{src: "/nodes/master-0/var/lib/etcd", dst: "/var/lib/etcd"},
		{src: "/nodes/master-0/etc/kubernetes/static-pod-resources/etcd-certs/secrets", dst: "/etc/kubernetes/static-pod-certs/secrets", readOnly: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// TestSandboxScriptMountsAndHostname runs the real sandbox script in fresh mount and UTS namespaces (root only).
func TestSandboxScriptMountsAndHostname(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for namespaces and mounts")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("content"), 0o644); err != nil {
		t.Fatal(err)
	}
	fileSrc := filepath.Join(dir, "single")
	_ = os.WriteFile(fileSrc, []byte("one file"), 0o644)
	dst := filepath.Join(dir, "in", "pod", "path")
	ms := []mount{{src: src, dst: dst, readOnly: true}, {src: filepath.Join(dir, "new"), dst: filepath.Join(dir, "emptydst")},
		{src: fileSrc, dst: filepath.Join(dir, "etc", "one")}}
	if err := prepareMountSources(ms); err != nil {
		t.Fatal(err)
	}
	if !ms[2].file || ms[1].file {
		t.Fatalf("file detection: %+v", ms)
	}
	script := strings.Replace(sandboxScript(ms, false, "pod-x"), "exec sleep infinity",
		"cat "+shQuote(filepath.Join(dst, "f"))+" "+shQuote(filepath.Join(dir, "etc", "one"))+"; echo; cat /proc/sys/kernel/hostname; touch "+shQuote(filepath.Join(dst, "g"))+" 2>/dev/null && echo writable || echo read-only", 1)
	argv := sandboxArgv("", true, script)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := sandboxReady + "\ncontentone file\npod-x\nread-only\n"; string(out) != want {
		t.Fatalf("got %q want %q", out, want)
	}
	if _, err := os.Stat(filepath.Join(dst, "f")); !os.IsNotExist(err) {
		t.Fatalf("the bind mount must stay inside the sandbox's mount namespace (stat: %v)", err)
	}
	if h, _ := os.Hostname(); h == "pod-x" {
		t.Fatal("hostname leaked to the host")
	}
}
