package main

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	corev1 "k8s.io/api/core/v1"
)

// mount is one bind mount of the pod sandbox: a host directory or file onto a path of the pod's mount namespace.
type mount struct {
	src, dst string
	readOnly bool
	file     bool
}

// podMounts resolves the volume mounts of every container of the pod. All containers share one mount namespace
// (the sandbox's), so the union of their mounts is made there. hostPath sources resolve under the node root;
// emptyDir volumes live in the pod's state directory.
func podMounts(pod *corev1.Pod, nodeRoot, podDir string) ([]mount, error) {
	sources := map[string]string{}
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.HostPath != nil:
			sources[v.Name] = filepath.Join(nodeRoot, path.Clean("/"+v.HostPath.Path))
		case v.EmptyDir != nil:
			sources[v.Name] = filepath.Join(podDir, "volumes", v.Name)
		}
	}
	seen := map[string]bool{}
	var out []mount
	all := append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range all {
		for _, vm := range c.VolumeMounts {
			src, ok := sources[vm.Name]
			if !ok {
				continue // volume kinds the sandbox does not materialize (configMap, secret, projected, ...)
			}
			if vm.SubPath != "" {
				src = filepath.Join(src, path.Clean("/"+vm.SubPath))
			}
			dst := path.Clean("/" + vm.MountPath)
			if seen[dst] {
				continue
			}
			seen[dst] = true
			out = append(out, mount{src: src, dst: dst, readOnly: vm.ReadOnly})
		}
	}
	// Parents before children, so a mount inside another mount lands on top of it.
	sort.SliceStable(out, func(i, j int) bool { return strings.Count(out[i].dst, "/") < strings.Count(out[j].dst, "/") })
	return out, nil
}

// prepareMountSources creates missing host directories (as DirectoryOrCreate) and tells file sources apart.
func prepareMountSources(ms []mount) error {
	for i := range ms {
		st, err := os.Stat(ms[i].src)
		switch {
		case err == nil:
			ms[i].file = !st.IsDir()
		case os.IsNotExist(err):
			if err := os.MkdirAll(ms[i].src, 0o755); err != nil {
				return err
			}
		default:
			return err
		}
	}
	return nil
}

func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

const sandboxReady = "sandbox-ready"

// sandboxScript is what the sandbox process runs inside its fresh mount (and maybe network) namespace: bring up
// loopback, bind the volumes, report ready on stdout, then hold the namespaces open like a pause container.
func sandboxScript(ms []mount, ownNetns bool, hostname string) string {
	var b strings.Builder
	b.WriteString("set -e\n")
	fmt.Fprintf(&b, "echo %s > /proc/sys/kernel/hostname\n", shQuote(hostname))
	if ownNetns {
		b.WriteString("ip link set lo up\n")
	}
	for _, m := range ms {
		src, dst := shQuote(m.src), shQuote(m.dst)
		if m.file {
			fmt.Fprintf(&b, "mkdir -p %s\n[ -e %s ] || : > %s\n", shQuote(path.Dir(m.dst)), dst, dst)
		} else {
			fmt.Fprintf(&b, "mkdir -p %s\n", dst)
		}
		fmt.Fprintf(&b, "mount --bind %s %s\n", src, dst)
		if m.readOnly {
			fmt.Fprintf(&b, "mount -o remount,bind,ro %s\n", dst)
		}
	}
	b.WriteString("echo " + sandboxReady + "\n")
	b.WriteString("exec sleep infinity\n")
	return b.String()
}

// sandboxArgv: host-network pods enter the node's netns; other pods get a netns of their own. Each pod has its own
// mount and UTS (hostname) namespaces.
func sandboxArgv(nodeNetns string, hostNetwork bool, script string) []string {
	var argv []string
	if hostNetwork {
		if nodeNetns != "" {
			argv = append(argv, "nsenter", "--net="+nodeNetns)
		}
		argv = append(argv, "unshare", "--mount", "--uts", "--propagation", "private")
	} else {
		argv = append(argv, "unshare", "--net", "--mount", "--uts", "--propagation", "private")
	}
	return append(argv, "sh", "-c", script)
}

// inPodArgv runs cmd in the mount, network and UTS namespaces of the sandbox process, with workingDir (default /)
// taken inside the pod's mount namespace.
func inPodArgv(sandboxPid int, workingDir string, cmd []string) []string {
	if workingDir == "" {
		workingDir = "/"
	}
	argv := []string{"nsenter", "-t", strconv.Itoa(sandboxPid), "-m", "-n", "-u", "--wdns=" + workingDir, "--"}
	return append(argv, cmd...)
}

// podPath is the PATH pod processes see: the sandbox bin dir first, then the agent's own PATH.
func podPath(binDir string) string {
	p := os.Getenv("PATH")
	if p == "" {
		p = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	if binDir != "" {
		p = binDir + ":" + p
	}
	return p
}

func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup signals the process group led by pid (pod processes are started with Setpgid).
func killGroup(pid int, sig syscall.Signal) {
	if pid > 0 {
		_ = syscall.Kill(-pid, sig)
	}
}

// waitReady reads the sandbox's stdout until its ready line.
func waitReady(r *os.File) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if sc.Text() == sandboxReady {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return fmt.Errorf("sandbox exited before it was ready")
}
