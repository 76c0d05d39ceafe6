package main

import (
	"net"
	"reflect"
	"testing"
)

func TestIPPoolAllocatesLowestFreeAndSkipsExcluded(t *testing.T) {
	p, err := newIPPool("10.89.3.128/30", "10.89.3.129")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := 0; i < 3; i++ {
		ip, err := p.allocate()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ip.String())
	}
	if want := []string{"10.89.3.128", "10.89.3.130", "10.89.3.131"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	if _, err := p.allocate(); err == nil {
		t.Fatal("pool must run out")
	}
	p.release("10.89.3.130")
	if ip, _ := p.allocate(); ip.String() != "10.89.3.130" {
		t.Fatalf("released address not reused: %v", ip)
	}
	if _, err := newIPPool("10.0.0.0/8"); err == nil {
		t.Fatal("a huge range must be refused")
	}
}

func TestPodNetCommands(t *testing.T) {
	b := bridgeAddr{name: "epsbx3", gw: net.ParseIP("10.89.3.1").To4(), prefix: 24}
	cmds := podNetCommands(b, 77, net.ParseIP("10.89.3.130"))
	want := [][]string{
		{"ip", "link", "add", "epsbx3p3x130", "type", "veth", "peer", "name", "eth0", "address", "0a:58:0a:59:03:82", "netns", "77"},
		{"ip", "link", "set", "epsbx3p3x130", "master", "epsbx3", "up"},
		{"nsenter", "-t", "77", "-n", "ip", "addr", "add", "10.89.3.130/24", "dev", "eth0"},
		{"nsenter", "-t", "77", "-n", "ip", "link", "set", "eth0", "up"},
		{"nsenter", "-t", "77", "-n", "ip", "route", "add", "default", "via", "10.89.3.1"},
	}
	if !reflect.DeepEqual(cmds, want) {
		t.Fatalf("got %q", cmds)
	}
	if n := hostVethName("a-very-long-bridge", net.ParseIP("10.89.255.255")); len(n) > 15 {
		t.Fatalf("%q longer than IFNAMSIZ-1", n)
	}
}
