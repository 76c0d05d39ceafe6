package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Network is one sandbox instance's bridge and its node network namespaces:
// bridge epsbx<N> with 10.89.<N>.1/24, netns epsbx<N>-master-<i> with 10.89.<N>.1<i> on eth0 (a veth whose
// host end is on the bridge) and lo up. Built with iproute2 (`ip`), so it needs root.
type Network struct {
	ID    int
	Nodes int
}

// Bridge is the bridge's name.
func (n Network) Bridge() string { return fmt.Sprintf("epsbx%d", n.ID) }

// Netns is the name of node i's network namespace (a file under /run/netns).
func (n Network) Netns(i int) string { return fmt.Sprintf("epsbx%d-master-%d", n.ID, i) }

// NetnsPath is the path of node i's network namespace.
func (n Network) NetnsPath(i int) string { return "/run/netns/" + n.Netns(i) }

// GatewayIP is the bridge's address, the host's side of the node network.
func (n Network) GatewayIP() string { return fmt.Sprintf("10.89.%d.1", n.ID) }

// NodeIP is node i's address.
func (n Network) NodeIP(i int) string { return fmt.Sprintf("10.89.%d.%d", n.ID, 10+i) }

// PodCIDR is the /28 node i's agent gives its pods that are not hostNetwork (each gets an eth0 on the bridge):
// 10.89.<N>.128/28 for master-0, .144/28 for master-1, ...
func (n Network) PodCIDR(i int) string { return fmt.Sprintf("10.89.%d.%d/28", n.ID, 128+16*i) }

func (n Network) hostVeth(i int) string { return fmt.Sprintf("epsbx%dv%d", n.ID, i) }

// Exists reports whether this instance's bridge is present.
func (n Network) Exists() bool {
	return exec.Command("ip", "link", "show", "dev", n.Bridge()).Run() == nil
}

// Create sets up the bridge and the namespaces; on error it removes what it made.
func (n Network) Create() (retErr error) {
	defer func() {
		if retErr != nil {
			_ = n.Delete()
		}
	}()
	br, cidr := n.Bridge(), "/24"
	steps := [][]string{
		{"link", "add", br, "type", "bridge"},
		{"addr", "add", n.GatewayIP() + cidr, "dev", br},
		{"link", "set", br, "up"},
	}
	for i := 0; i < n.Nodes; i++ {
		ns, hv := n.Netns(i), n.hostVeth(i)
		steps = append(steps,
			[]string{"netns", "add", ns},
			[]string{"-n", ns, "link", "set", "lo", "up"},
			[]string{"link", "add", hv, "type", "veth", "peer", "name", "eth0", "netns", ns},
			[]string{"link", "set", hv, "master", br},
			[]string{"link", "set", hv, "up"},
			[]string{"-n", ns, "addr", "add", n.NodeIP(i) + cidr, "dev", "eth0"},
			[]string{"-n", ns, "link", "set", "eth0", "up"},
			[]string{"-n", ns, "route", "add", "default", "via", n.GatewayIP()},
		)
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes the namespaces and the bridge. Missing pieces are not an error; processes still inside a
// namespace keep it alive until they exit, so stop them first.
func (n Network) Delete() error {
	var errs []string
	for i := 0; i < n.Nodes; i++ {
		if _, err := os.Stat(n.NetnsPath(i)); err == nil {
			if err := ip("netns", "del", n.Netns(i)); err != nil {
				errs = append(errs, err.Error())
			}
		}
		if exec.Command("ip", "link", "show", "dev", n.hostVeth(i)).Run() == nil {
			_ = ip("link", "del", n.hostVeth(i))
		}
	}
	if n.Exists() {
		if err := ip("link", "del", n.Bridge()); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("network %s: %s", n.Bridge(), strings.Join(errs, "; "))
	}
	return nil
}

// NetnsPids lists the processes in node i's network namespace.
func (n Network) NetnsPids(i int) []int {
	out, err := exec.Command("ip", "netns", "pids", n.Netns(i)).Output()
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

func ip(args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.Command("ip", args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
