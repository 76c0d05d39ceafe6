// Command nodeagent is the sandbox's kubelet stand-in: it registers one Node, runs the pods bound to it as local
// processes and serves the kubelet API (exec, attach, portForward, containerLogs) that the API server proxies to.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

type config struct {
	node       string
	nodeIP     string
	netns      string
	kubeconfig string
	root       string
	state      string
	binDir     string
	tlsCert    string
	tlsKey     string
	port       int
	podBridge  string
	podCIDR    string
	clientCA   string
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("nodeagent", flag.ContinueOnError)
	fs.StringVar(&c.node, "node", "", "Node name to register (e.g. master-0)")
	fs.StringVar(&c.nodeIP, "node-ip", "", "InternalIP of the node; the kubelet API listens on it")
	fs.StringVar(&c.netns, "netns", "", "network namespace path of the node (empty: the agent's own)")
	fs.StringVar(&c.kubeconfig, "kubeconfig", "", "kubeconfig with rights on nodes and pods")
	fs.StringVar(&c.root, "root", "", "node root directory: hostPath volumes resolve under it")
	fs.StringVar(&c.state, "state", "", "directory for pod state and container logs")
	fs.StringVar(&c.binDir, "bin-dir", "", "directory prepended to PATH of pod processes")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "kubelet serving certificate (PEM)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "kubelet serving key (PEM)")
	fs.IntVar(&c.port, "port", 10250, "kubelet API port")
	fs.StringVar(&c.clientCA, "client-ca", "", "CA (PEM) that must have signed the client certificate of kubelet API calls other than /healthz; empty: no client authentication")
	fs.StringVar(&c.podBridge, "pod-bridge", "", "bridge (host netns) for the eth0 of pods without hostNetwork; empty: loopback only")
	fs.StringVar(&c.podCIDR, "pod-cidr", "", "addresses for those pods, inside the bridge's subnet and distinct per node (e.g. 10.89.N.128/28)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	missing := []string{}
	for name, v := range map[string]string{"node": c.node, "node-ip": c.nodeIP, "kubeconfig": c.kubeconfig,
		"root": c.root, "state": c.state, "tls-cert": c.tlsCert, "tls-key": c.tlsKey} {
		if v == "" {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("missing flags: %v", missing)
	}
	if (c.podBridge == "") != (c.podCIDR == "") {
		return c, fmt.Errorf("--pod-bridge and --pod-cidr go together")
	}
	if net.ParseIP(c.nodeIP) == nil {
		return c, fmt.Errorf("--node-ip %q is not an IP", c.nodeIP)
	}
	var err error
	for _, p := range []*string{&c.root, &c.state, &c.binDir} {
		if *p != "" {
			if *p, err = filepath.Abs(*p); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log.SetPrefix("nodeagent[" + cfg.node + "] ")
	log.SetFlags(log.LstdFlags | log.Lmicroseconds | log.LUTC)
	if err := run(cfg); err != nil {
		log.Fatal(err)
	}
}

func run(cfg config) error {
	for _, d := range []string{cfg.root, cfg.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	restCfg, err := clientcmd.BuildConfigFromFlags("", cfg.kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	restCfg.UserAgent = "etcd-profiler-nodeagent/" + cfg.node
	restCfg.QPS, restCfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	a := newAgent(cfg, client)
	if cfg.podBridge != "" {
		b, err := lookupBridge(cfg.podBridge)
		if err != nil {
			return fmt.Errorf("--pod-bridge: %w", err)
		}
		if a.podIPs, err = newIPPool(cfg.podCIDR, cfg.nodeIP, b.gw.String()); err != nil {
			return err
		}
	}

	addr := net.JoinHostPort(cfg.nodeIP, strconv.Itoa(cfg.port))
	ln, err := listenInNetns(cfg.netns, addr)
	if err != nil {
		return fmt.Errorf("kubelet listener on %s: %w", addr, err)
	}
	tlsCfg, err := serverTLS(cfg)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: requireClientCert(cfg.clientCA != "", newServer(a)), TLSConfig: tlsCfg, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		if err := srv.ServeTLS(ln, cfg.tlsCert, cfg.tlsKey); err != nil && err != http.ErrServerClosed {
			log.Printf("kubelet server: %v", err)
			stop()
		}
	}()
	log.Printf("kubelet API on https://%s (netns %q)", addr, cfg.netns)

	if err := registerNode(ctx, client, cfg); err != nil {
		return fmt.Errorf("register node: %w", err)
	}
	go heartbeat(ctx, client, cfg)
	go a.watchPods(ctx)

	<-ctx.Done()
	log.Printf("stopping: killing pod processes")
	a.shutdown()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	return nil
}
