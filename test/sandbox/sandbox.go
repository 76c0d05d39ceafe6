package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
)

// Binaries are the programs the sandbox runs.
type Binaries struct {
	Etcd      string
	APIServer string
	NodeAgent string
	Operator  string
}

// Sandbox is one running instance: network, control plane, node agents and the pods' API objects.
//
// Layout under DataDir (<repo>/.sandbox):
//
//	kubeconfig, kubeconfig-restricted, info.json   for users and tests (info.json is written last, once ready)
//	orchestrator.pid, processes                      to recognise and clean up a stale instance
//	logs/<component>.log                              output of every process started here
//	run/store, run/pki, run/bin, run/nodes/<node>/ (node "host filesystem"), run/agents/<node>/ (pod state, logs)
type Sandbox struct {
	DataDir   string
	ID        int
	Bins      Binaries
	Nodes     int
	Log       func(format string, args ...any)
	ReadyFile string // an extra copy of info.json, if set
	Timeouts  struct{ Pods time.Duration }

	net        Network
	ports      PortAllocator
	tokens     Tokens
	caPEM      []byte
	store      *Etcd
	apiserver  *APIServer
	agents     []*NodeAgent
	cluster    *Cluster
	logFiles   []*os.File
	startedNet bool
}

// Info is info.json: what tests need to reach the sandbox.
type Info struct {
	Server               string   `json:"server"`
	CAFile               string   `json:"caFile"`
	AdminToken           string   `json:"adminToken"`
	RestrictedToken      string   `json:"restrictedToken"`
	ID                   int      `json:"id"`
	Nodes                []Node   `json:"nodes"`
	Pods                 []PodRef `json:"pods"`
	Pid                  int      `json:"pid"`
	Kubeconfig           string   `json:"kubeconfig"`
	RestrictedKubeconfig string   `json:"restrictedKubeconfig"`
	DataDir              string   `json:"dataDir"`
	LogDir               string   `json:"logDir"`
	KubernetesVersion    string   `json:"kubernetesVersion"`
	EtcdVersion          string   `json:"etcdVersion"`
}

func (s *Sandbox) path(parts ...string) string {
	return filepath.Join(append([]string{s.DataDir}, parts...)...)
}

// Start brings everything up in order; if a step fails, what was started is stopped again.
func (s *Sandbox) Start(ctx context.Context) (retErr error) {
	defer func() {
		if retErr != nil {
			s.Log("start failed: %v", retErr)
			s.Log("logs: %s", s.path("logs"))
			if err := s.Stop(true); err != nil {
				s.Log("cleanup after failed start: %v", err)
			}
		}
	}()
	s.net = Network{ID: s.ID, Nodes: s.Nodes}
	s.ports.Dir = filepath.Join(os.TempDir(), "etcd-profiler-ports")
	for _, d := range []string{"logs", "run/store", "run/pki", "run/bin"} {
		if err := os.MkdirAll(s.path(d), 0o755); err != nil {
			return err
		}
	}

	s.Log("network: bridge %s %s/24, node namespaces %s..%d", s.net.Bridge(), s.net.GatewayIP(), s.net.Netns(0), s.Nodes-1)
	s.startedNet = true
	if err := s.net.Create(); err != nil {
		return err
	}
	var nodes []Node
	for i := 0; i < s.Nodes; i++ {
		nodes = append(nodes, Node{Name: fmt.Sprintf("master-%d", i), IP: s.net.NodeIP(i)})
	}

	s.Log("certificates")
	pki, err := s.writePKI(nodes)
	if err != nil {
		return err
	}
	etcdCerts, err := NewEtcdCerts(nodes)
	if err != nil {
		return err
	}

	s.store = &Etcd{Path: s.Bins.Etcd, DataDir: s.path("run/store"), Ports: &s.ports, Out: s.logFile("etcd-store")}
	s.Log("etcd (store)")
	if err := s.store.Start(ctx); err != nil {
		return err
	}
	s.recordProcess(s.store.Process(), s.Bins.Etcd)

	s.apiserver = &APIServer{Path: s.Bins.APIServer, EtcdURL: s.store.URL, PKI: pki, CAPEM: s.caPEM,
		Token: s.tokens.Admin, Ports: &s.ports, Out: s.logFile("kube-apiserver")}
	s.Log("kube-apiserver (waiting for /readyz and the default namespace)")
	if err := s.apiserver.Start(ctx); err != nil {
		return err
	}
	s.recordProcess(s.apiserver.Process(), s.Bins.APIServer)

	kubeconfig := s.path("kubeconfig")
	if err := WriteKubeconfig(kubeconfig, "sandbox", s.apiserver.URL, s.caPEM, s.tokens.Admin); err != nil {
		return err
	}
	if err := WriteKubeconfig(s.path("kubeconfig-restricted"), "sandbox-restricted", s.apiserver.URL, s.caPEM, s.tokens.Restricted); err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(RESTConfig(s.apiserver.URL, s.caPEM, s.tokens.Admin))
	if err != nil {
		return err
	}
	s.cluster = &Cluster{Client: client, Nodes: nodes, EtcdCerts: etcdCerts, OperatorPod: NewOperatorPodName()}
	s.Log("API objects: namespaces, service accounts, RBAC, secrets, configmaps")
	if err := s.cluster.CreateObjects(ctx); err != nil {
		return err
	}

	if err := s.prepareNodes(nodes, etcdCerts); err != nil {
		return err
	}
	for i, n := range nodes {
		a := &NodeAgent{Path: s.Bins.NodeAgent, Node: n.Name, NodeIP: n.IP, Netns: s.net.NetnsPath(i),
			Kubeconfig: kubeconfig, Root: s.path("run/nodes", n.Name), StateDir: s.path("run/agents", n.Name),
			BinDir: s.path("run/bin"), TLSCert: s.path("run/pki", "kubelet-"+n.Name+".crt"),
			TLSKey: s.path("run/pki", "kubelet-"+n.Name+".key"), CAPEM: s.caPEM, Out: s.logFile("nodeagent-" + n.Name),
			Configure: Args{"pod-bridge": {s.net.Bridge()}, "pod-cidr": {s.net.PodCIDR(i)}}}
		s.Log("node agent %s (%s)", n.Name, n.IP)
		s.agents = append(s.agents, a)
		if err := a.Start(ctx); err != nil {
			return err
		}
		s.recordProcess(a.Process(), s.Bins.NodeAgent)
	}

	s.Log("pods: %d etcd members in %s, the operator in %s", len(nodes), EtcdNamespace, OperatorNamespace)
	if err := s.cluster.CreatePods(ctx); err != nil {
		return err
	}
	if err := s.cluster.WaitPodsReady(ctx, orDefault(s.Timeouts.Pods, 120*time.Second), func(m string) { s.Log("%s", m) }); err != nil {
		return err
	}
	return s.writeInfo()
}

// writePKI makes the sandbox CA, the API server's serving cert, its kubelet client cert, the agents'
// serving certs, the service-account key and the token file.
func (s *Sandbox) writePKI(nodes []Node) (APIServerPKI, error) {
	dir := s.path("run/pki")
	ca, err := NewCA("sandbox-ca")
	if err != nil {
		return APIServerPKI{}, err
	}
	s.caPEM = ca.CertPEM
	pki := APIServerPKI{CAFile: filepath.Join(dir, "ca.crt"), TokenAuthFile: filepath.Join(dir, "tokens.csv"),
		ServiceAccountKey: filepath.Join(dir, "sa.key"), ServiceAccountPubKey: filepath.Join(dir, "sa.pub")}
	if err := writeFile(pki.CAFile, ca.CertPEM, 0o644); err != nil {
		return pki, err
	}
	serving, err := ca.Issue(CertRequest{CommonName: "kube-apiserver", DNSNames: []string{"localhost", "kubernetes", "kubernetes.default"},
		IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true})
	if err != nil {
		return pki, err
	}
	if pki.ServingCert, pki.ServingKey, err = serving.Write(dir, "apiserver"); err != nil {
		return pki, err
	}
	kubeletClient, err := ca.Issue(CertRequest{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}, Client: true})
	if err != nil {
		return pki, err
	}
	if pki.KubeletClientCert, pki.KubeletClientKey, err = kubeletClient.Write(dir, "apiserver-kubelet-client"); err != nil {
		return pki, err
	}
	for _, n := range nodes {
		kp, err := ca.Issue(CertRequest{CommonName: "system:node:" + n.Name, Organization: []string{"system:nodes"},
			DNSNames: []string{n.Name}, IPs: []net.IP{net.ParseIP(n.IP)}, Server: true})
		if err != nil {
			return pki, err
		}
		if _, _, err := kp.Write(dir, "kubelet-"+n.Name); err != nil {
			return pki, err
		}
	}
	saKey, saPub, err := NewServiceAccountKey()
	if err != nil {
		return pki, err
	}
	if err := writeFile(pki.ServiceAccountKey, saKey, 0o600); err != nil {
		return pki, err
	}
	if err := writeFile(pki.ServiceAccountPubKey, saPub, 0o644); err != nil {
		return pki, err
	}
	s.tokens = NewTokens()
	return pki, writeFile(pki.TokenAuthFile, []byte(s.tokens.TokenFile()), 0o600)
}

// prepareNodes makes each node's root with the member's certificate files and data dir, and the bin dir
// that pod processes find their commands in.
func (s *Sandbox) prepareNodes(nodes []Node, certs *EtcdCerts) error {
	for _, n := range nodes {
		root := s.path("run/nodes", n.Name)
		if err := certs.WriteToNodeRoot(root); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(root, "var/lib/etcd"), 0o700); err != nil {
			return err
		}
		if err := os.MkdirAll(s.path("run/agents", n.Name), 0o755); err != nil {
			return err
		}
	}
	for name, target := range map[string]string{"etcd": s.Bins.Etcd, OperatorCommand: s.Bins.Operator} {
		link := s.path("run/bin", name)
		_ = os.Remove(link)
		if err := os.Symlink(target, link); err != nil {
			return err
		}
	}
	return nil
}

// Info describes the running sandbox.
func (s *Sandbox) Info() Info {
	return Info{
		Server: s.apiserver.URL, CAFile: s.path("run/pki/ca.crt"), AdminToken: s.tokens.Admin, RestrictedToken: s.tokens.Restricted,
		ID: s.ID, Nodes: s.cluster.Nodes, Pods: s.cluster.Pods(), Pid: os.Getpid(),
		Kubeconfig: s.path("kubeconfig"), RestrictedKubeconfig: s.path("kubeconfig-restricted"),
		DataDir: s.DataDir, LogDir: s.path("logs"),
		KubernetesVersion: versionFromBinary(s.Bins.APIServer, "kube-apiserver-"), EtcdVersion: versionFromBinary(s.Bins.Etcd, "etcd-"),
	}
}

func versionFromBinary(path, prefix string) string {
	return strings.TrimPrefix(filepath.Base(path), prefix)
}

// writeInfo writes info.json (and ReadyFile) atomically; its presence means "ready".
func (s *Sandbox) writeInfo() error {
	b, err := json.MarshalIndent(s.Info(), "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	for _, p := range []string{s.path("info.json"), s.ReadyFile} {
		if p == "" {
			continue
		}
		tmp := p + ".tmp"
		if err := writeFile(tmp, b, 0o600); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
	}
	return nil
}

// Watch returns a channel that receives the name of the first component that exits on its own.
func (s *Sandbox) Watch() <-chan string {
	ch := make(chan string, 1)
	procs := map[string]*Process{"etcd (store)": s.store.Process(), "kube-apiserver": s.apiserver.Process()}
	for _, a := range s.agents {
		procs["node agent "+a.Node] = a.Process()
	}
	for name, p := range procs {
		go func() {
			<-p.Exited()
			select {
			case ch <- fmt.Sprintf("%s exited: %v", name, p.ExitErr()):
			default:
			}
		}()
	}
	return ch
}

// Stop stops everything in reverse order, removes the network and, unless keepLogs, the whole data dir
// (with keepLogs only logs/ stays, for a look at what went wrong).
func (s *Sandbox) Stop(keepLogs bool) error {
	var errs []error
	// readers of info.json must not find a dead sandbox's address
	for _, p := range []string{s.path("info.json"), s.ReadyFile} {
		if p != "" {
			_ = os.Remove(p)
		}
	}
	// what the agents run, noted before they go: their pods must not outlive them
	var agentPids []int
	for _, a := range s.agents {
		if p := a.Process(); p != nil {
			agentPids = append(agentPids, p.Pid())
		}
	}
	podProcs := descendants(agentPids)
	for i := len(s.agents) - 1; i >= 0; i-- {
		s.Log("stopping node agent %s", s.agents[i].Node)
		errs = append(errs, s.agents[i].Stop())
	}
	if n := s.sweepLeftovers(podProcs); n > 0 {
		s.Log("stopped %d leftover pod processes", n)
	}
	if s.apiserver != nil {
		s.Log("stopping kube-apiserver")
		errs = append(errs, s.apiserver.Stop())
	}
	if s.store != nil {
		s.Log("stopping etcd (store)")
		errs = append(errs, s.store.Stop())
	}
	if s.startedNet {
		s.Log("removing network %s", s.net.Bridge())
		errs = append(errs, s.net.Delete())
	}
	for _, f := range s.logFiles {
		f.Close()
	}
	if keepLogs {
		// the pods' container logs tell why a pod never got ready; they live in the run dir
		errs = append(errs, copyLogs(s.path("run/agents"), s.path("logs/pods")))
	}
	errs = append(errs, removeData(s.DataDir, keepLogs))
	releaseInstance(s.ID)
	return errors.Join(errs...)
}

// copyLogs copies every *.log file under from to the same relative path under to.
func copyLogs(from, to string) error {
	return filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".log" {
			return nil
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		return writeFile(filepath.Join(to, rel), b, 0o644)
	})
}

// removeData removes the data dir, or all of it but logs/.
func removeData(dir string, keepLogs bool) error {
	if !keepLogs {
		return os.RemoveAll(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var errs []error
	for _, e := range entries {
		if e.Name() != "logs" {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}

// sweepLeftovers stops pod processes the node agents left behind: the agents' descendants noted before
// they were stopped (if still the same processes), anything in a node's network namespace, and anything
// whose PATH starts with our bin dir. Returns how many it found.
func (s *Sandbox) sweepLeftovers(podProcs map[int]string) int {
	pids := map[int]bool{}
	for pid, start := range podProcs {
		if processAlive(pid) && startTime(pid) == start {
			pids[pid] = true
		}
	}
	for i := 0; i < s.Nodes && s.startedNet; i++ {
		for _, pid := range s.net.NetnsPids(i) {
			pids[pid] = true
		}
	}
	marker := []byte("PATH=" + s.path("run/bin"))
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, envFile := range procs {
		b, err := os.ReadFile(envFile)
		if err != nil || !containsEnvPrefix(b, marker) {
			continue
		}
		var pid int
		fmt.Sscanf(envFile, "/proc/%d/environ", &pid)
		pids[pid] = true
	}
	delete(pids, os.Getpid())
	for pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(5 * time.Second)
	for pid := range pids {
		for processAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if processAlive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	return len(pids)
}

func containsEnvPrefix(environ, prefix []byte) bool {
	for _, kv := range strings.Split(string(environ), "\x00") {
		if strings.HasPrefix(kv, string(prefix)) {
			return true
		}
	}
	return false
}

// logFile opens logs/<name>.log for a component's output.
func (s *Sandbox) logFile(name string) io.Writer {
	f, err := os.OpenFile(s.path("logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		s.Log("cannot open log for %s: %v; discarding its output", name, err)
		return io.Discard
	}
	s.logFiles = append(s.logFiles, f)
	return f
}

// recordProcess notes a started process group so that a later run can clean it up if this one dies hard.
func (s *Sandbox) recordProcess(p *Process, binary string) {
	f, err := os.OpenFile(s.path("processes"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%d %s\n", p.Pid(), binary)
}
