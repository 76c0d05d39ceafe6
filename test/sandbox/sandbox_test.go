package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSandboxStartsAndLeavesNothingBehind starts a whole sandbox in a temporary data dir and stops it:
// afterwards no process it started runs and its network namespaces, bridge, owner file and data are gone.
// It needs root and the built binaries, and takes tens of seconds: SANDBOX_START_TEST=1 turns it on.
func TestSandboxStartsAndLeavesNothingBehind(t *testing.T) {
	if os.Getenv("SANDBOX_START_TEST") != "1" {
		t.Skip("set SANDBOX_START_TEST=1 (as root, binaries built) to start a real sandbox")
	}
	bins := testBinaries(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := checkDataDir(dataDir, t.Logf); err != nil {
		t.Fatal(err)
	}
	id, err := claimInstance(-1, dataDir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	sb := &Sandbox{DataDir: dataDir, ID: id, Bins: bins, Nodes: 3, Log: t.Logf}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := sb.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = sb.Stop(false)
		}
	}()

	var info Info
	b, err := os.ReadFile(filepath.Join(dataDir, "info.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if len(info.Pods) != 4 || len(info.Nodes) != 3 || info.ID != id || !strings.HasPrefix(info.Server, "https://127.0.0.1:") {
		t.Fatalf("info.json: %s", b)
	}
	var roots []int
	for _, p := range []*Process{sb.store.Process(), sb.apiserver.Process()} {
		roots = append(roots, p.Pid())
	}
	for _, a := range sb.agents {
		roots = append(roots, a.Process().Pid())
	}
	started := descendants(roots)
	for _, pid := range roots {
		started[pid] = startTime(pid)
	}
	// 3 agents' pods: per member a pod process and 4 containers, the operator's pod process and container
	if len(started) < 5+3*5+2 {
		t.Fatalf("only %d processes running under the sandbox", len(started))
	}

	stopped = true
	if err := sb.Stop(false); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for pid, start := range started {
		if processAlive(pid) && startTime(pid) == start {
			cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			t.Errorf("process %d still runs after Stop: %s", pid, strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	n := Network{ID: id, Nodes: 3}
	if n.Exists() {
		t.Errorf("bridge %s still exists", n.Bridge())
	}
	for i := 0; i < 3; i++ {
		if _, err := os.Stat(n.NetnsPath(i)); err == nil {
			t.Errorf("netns %s still exists", n.Netns(i))
		}
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("data dir still there: %v", err)
	}
	if _, err := os.Stat(ownerFile(id)); !os.IsNotExist(err) {
		t.Errorf("owner file of instance %d still there", id)
	}
}

func testBinaries(t *testing.T) Binaries {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	versions, err := os.ReadFile("versions.env")
	if err != nil {
		t.Fatal(err)
	}
	v := map[string]string{}
	for _, line := range strings.Split(string(versions), "\n") {
		if k, val, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			v[k] = strings.TrimSpace(val)
		}
	}
	cache := os.Getenv("ETCD_PROFILER_CACHE")
	if cache == "" {
		cache = filepath.Join(os.Getenv("HOME"), ".cache", "etcd-profiler")
	}
	ours := func(name string) string {
		out, err := exec.Command("bash", "build/build-binaries.sh", name).CombinedOutput()
		if err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, out)
		}
		path, err := exec.Command("bash", "build/build-binaries.sh", "path", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(path))
	}
	bins := Binaries{
		Etcd:      filepath.Join(cache, "bin", "etcd-"+v["ETCD_VERSION"]),
		APIServer: filepath.Join(cache, "bin", "kube-apiserver-"+v["KUBERNETES_VERSION"]),
		NodeAgent: ours("nodeagent"),
		Operator:  ours("operator"),
	}
	for _, p := range []string{bins.Etcd, bins.APIServer} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s not built (test/sandbox/build/build-binaries.sh)", p)
		}
	}
	return bins
}
