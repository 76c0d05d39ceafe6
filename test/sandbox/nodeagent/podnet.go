package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

// Pods without hostNetwork get a network namespace of their own. With --pod-bridge and --pod-cidr they also get
// an address on the sandbox bridge (a veth whose host end joins the bridge), so status.podIP is real and reachable
// from the host and the nodes; without them they have loopback only.

type ipPool struct {
	mu   sync.Mutex
	free []net.IP
	used map[string]bool
}

func newIPPool(cidr string, exclude ...string) (*ipPool, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return nil, err
	}
	if n.IP.To4() == nil {
		return nil, fmt.Errorf("--pod-cidr %s: IPv4 only", cidr)
	}
	ones, bits := n.Mask.Size()
	if bits-ones > 12 {
		return nil, fmt.Errorf("--pod-cidr %s: too large", cidr)
	}
	skip := map[string]bool{}
	for _, e := range exclude {
		skip[e] = true
	}
	p := &ipPool{used: map[string]bool{}}
	base := binary.BigEndian.Uint32(n.IP.To4())
	for i := uint32(0); i < 1<<(bits-ones); i++ {
		ip := make(net.IP, 4)
		binary.BigEndian.PutUint32(ip, base+i)
		if ip[3] == 0 || ip[3] == 255 || skip[ip.String()] {
			continue
		}
		p.free = append(p.free, ip)
	}
	return p, nil
}

// allocate hands out the lowest free address.
func (p *ipPool) allocate() (net.IP, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ip := range p.free {
		if !p.used[ip.String()] {
			p.used[ip.String()] = true
			return ip, nil
		}
	}
	return nil, fmt.Errorf("no free pod IP")
}

func (p *ipPool) release(ip string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.used, ip)
}

type bridgeAddr struct {
	name   string
	gw     net.IP
	prefix int
}

func lookupBridge(name string) (bridgeAddr, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return bridgeAddr{}, err
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return bridgeAddr{}, err
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			ones, _ := ipn.Mask.Size()
			return bridgeAddr{name: name, gw: ipn.IP.To4(), prefix: ones}, nil
		}
	}
	return bridgeAddr{}, fmt.Errorf("bridge %s has no IPv4 address", name)
}

// hostVethName is the bridge-side interface of a pod (at most 15 characters, unique per pod IP).
func hostVethName(bridge string, ip net.IP) string {
	suffix := "p" + strconv.Itoa(int(ip.To4()[2])) + "x" + strconv.Itoa(int(ip.To4()[3]))
	if len(bridge)+len(suffix) > 15 {
		bridge = bridge[:15-len(suffix)]
	}
	return bridge + suffix
}

// podMAC derives the pod's MAC from its IP (as OVN-Kubernetes does: 0a:58 + the IPv4 bytes), so a reused IP
// keeps its MAC and neighbours' ARP entries stay right.
func podMAC(ip net.IP) string {
	v4 := ip.To4()
	return fmt.Sprintf("0a:58:%02x:%02x:%02x:%02x", v4[0], v4[1], v4[2], v4[3])
}

// podNetCommands are the ip commands that give the sandbox (pid) an eth0 on the bridge with ip.
func podNetCommands(b bridgeAddr, pid int, ip net.IP) [][]string {
	host := hostVethName(b.name, ip)
	in := []string{"nsenter", "-t", strconv.Itoa(pid), "-n"}
	return [][]string{
		{"ip", "link", "add", host, "type", "veth", "peer", "name", "eth0", "address", podMAC(ip), "netns", strconv.Itoa(pid)},
		{"ip", "link", "set", host, "master", b.name, "up"},
		append(append([]string{}, in...), "ip", "addr", "add", fmt.Sprintf("%s/%d", ip, b.prefix), "dev", "eth0"),
		append(append([]string{}, in...), "ip", "link", "set", "eth0", "up"),
		append(append([]string{}, in...), "ip", "route", "add", "default", "via", b.gw.String()),
	}
}

func attachPodNetwork(bridge string, pid int, ip net.IP) error {
	b, err := lookupBridge(bridge)
	if err != nil {
		return err
	}
	// A veth left by a sandbox that died with a crashed agent would block the name.
	_ = exec.Command("ip", "link", "del", hostVethName(bridge, ip)).Run()
	for _, argv := range podNetCommands(b, pid, ip) {
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}
