// Command sandbox runs the etcd Profiler sandbox: a real kube-apiserver on a real etcd as local
// processes, three nodes (network namespaces on a bridge, each with our node agent as kubelet), three
// etcd members and an operator stand-in as pods. It stays in the foreground until SIGINT or SIGTERM,
// then stops everything it started and removes its data.
//
// Flags name the binaries (run.sh builds them and passes their cached paths). Environment:
//
//	SANDBOX_ID           instance 0..9 (bridge epsbx<N>, subnet 10.89.<N>.0/24); default: first free one
//	SANDBOX_READY_FILE   also write info.json here once ready (it is always written to <data-dir>/info.json)
//	SANDBOX_POD_TIMEOUT  how long to wait for the pods to be Ready (Go duration, default 120s)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

func main() {
	var bins Binaries
	dataDir := flag.String("data-dir", ".sandbox", "data dir: kubeconfigs, info.json, logs and run data")
	flag.StringVar(&bins.Etcd, "etcd", "", "etcd binary")
	flag.StringVar(&bins.APIServer, "kube-apiserver", "", "kube-apiserver binary")
	flag.StringVar(&bins.NodeAgent, "nodeagent", "", "node agent binary")
	flag.StringVar(&bins.Operator, "operator", "", "operator stand-in binary")
	flag.Parse()

	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[sandbox %5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	if err := run(bins, *dataDir, logf, start); err != nil {
		logf("error: %v", err)
		os.Exit(1)
	}
}

func run(bins Binaries, dataDir string, logf func(string, ...any), start time.Time) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("the sandbox needs root (network namespaces, bridge, mount namespaces)")
	}
	for name, p := range map[string]*string{"etcd": &bins.Etcd, "kube-apiserver": &bins.APIServer, "nodeagent": &bins.NodeAgent, "operator": &bins.Operator} {
		if *p == "" {
			return fmt.Errorf("--%s is required", name)
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("--%s: %w", name, err)
		}
		*p = abs
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	id := -1
	if v := os.Getenv("SANDBOX_ID"); v != "" {
		if id, err = strconv.Atoi(v); err != nil || id < 0 || id >= maxInstances {
			return fmt.Errorf("SANDBOX_ID=%q: want 0..%d", v, maxInstances-1)
		}
	}
	podTimeout := 120 * time.Second
	if v := os.Getenv("SANDBOX_POD_TIMEOUT"); v != "" {
		if podTimeout, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("SANDBOX_POD_TIMEOUT: %w", err)
		}
	}

	// Signals from here on: a Ctrl-C during start-up aborts it and cleans up; a closed terminal (SIGHUP) too.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer cancel()

	if err := checkDataDir(dataDir, logf); err != nil {
		return err
	}
	if id, err = claimInstance(id, dataDir, logf); err != nil {
		_ = os.RemoveAll(dataDir)
		return err
	}
	sb := &Sandbox{DataDir: dataDir, ID: id, Bins: bins, Nodes: 3, Log: logf, ReadyFile: os.Getenv("SANDBOX_READY_FILE")}
	sb.Timeouts.Pods = podTimeout
	logf("instance %d, data in %s", id, dataDir)
	if err := sb.Start(ctx); err != nil {
		return err
	}
	printReady(sb, time.Since(start))

	var failure string
	select {
	case <-ctx.Done():
		logf("stopping (signal)")
	case failure = <-sb.Watch():
		logf("stopping: %s", failure)
	}
	err = sb.Stop(failure != "")
	if failure != "" {
		logf("logs kept in %s", filepath.Join(dataDir, "logs"))
		if err == nil {
			err = fmt.Errorf("%s", failure)
		}
		return err
	}
	if err != nil {
		return err
	}
	logf("stopped, data removed")
	return nil
}

func printReady(sb *Sandbox, took time.Duration) {
	info := sb.Info()
	fmt.Printf(`
sandbox ready in %.1fs: kube-apiserver %s on etcd %s at %s
  nodes: master-0..2 (%s..%s), instance %d; pods: %d (3 etcd members, 1 operator)

  export KUBECONFIG=%s
  kubectl get pods -A -o wide
  kubectl logs -n %s %s
  kubectl exec -n %s etcd-master-0 -c etcd -- ls %s/secrets/etcd-all-certs

  restricted user: KUBECONFIG=%s
  info for tests:  %s
  logs:            %s
Ctrl-C (or SIGTERM to pid %d) stops everything and removes %s.
`, took.Seconds(), info.KubernetesVersion, info.EtcdVersion, info.Server,
		info.Nodes[0].IP, info.Nodes[len(info.Nodes)-1].IP, info.ID, len(info.Pods),
		info.Kubeconfig, OperatorNamespace, sb.cluster.OperatorPod, EtcdNamespace, etcdCertsPodDir,
		info.RestrictedKubeconfig, filepath.Join(info.DataDir, "info.json"), info.LogDir, os.Getpid(), info.DataDir)
}
