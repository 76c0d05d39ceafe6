package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Instances are numbered 0..9 so that several clones on one machine each get their own bridge and
// subnet. An instance is claimed by an owner file /run/etcd-profiler-sandbox/<N> holding the
// orchestrator's pid and data dir; an owner whose pid is gone left a stale instance behind.
const (
	instanceDir  = "/run/etcd-profiler-sandbox"
	maxInstances = 10
)

func ownerFile(id int) string { return filepath.Join(instanceDir, strconv.Itoa(id)) }

// claimInstance claims id (or, if id < 0, the first free or stale one), cleaning a stale instance first.
func claimInstance(id int, dataDir string, log func(string, ...any)) (int, error) {
	if err := os.MkdirAll(instanceDir, 0o755); err != nil {
		return 0, err
	}
	ids := []int{id}
	if id < 0 {
		ids = nil
		for i := 0; i < maxInstances; i++ {
			ids = append(ids, i)
		}
	}
	for _, n := range ids {
		pid, owner, err := readOwner(n)
		if err == nil && processAlive(pid) && pid != os.Getpid() {
			if id >= 0 {
				return 0, fmt.Errorf("sandbox instance %d is in use by pid %d (%s)", n, pid, owner)
			}
			continue
		}
		network := Network{ID: n, Nodes: 3}
		if err != nil && network.Exists() && id < 0 {
			continue // a bridge of that name that no sandbox claims: not ours to touch
		}
		if err == nil || network.Exists() {
			log("cleaning stale sandbox instance %d (owner pid %d, %s)", n, pid, owner)
			if owner != "" {
				killRecorded(owner)
			}
			cleanNetnsProcesses(network)
			if err := network.Delete(); err != nil {
				return 0, err
			}
			_ = os.Remove(ownerFile(n))
		}
		f, err := os.OpenFile(ownerFile(n), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			if errors.Is(err, os.ErrExist) && id < 0 {
				continue // another sandbox claimed it just now
			}
			return 0, err
		}
		fmt.Fprintf(f, "%d %s\n", os.Getpid(), dataDir)
		f.Close()
		return n, nil
	}
	return 0, fmt.Errorf("all %d sandbox instances are in use (see %s)", maxInstances, instanceDir)
}

func releaseInstance(id int) {
	if pid, _, err := readOwner(id); err == nil && pid == os.Getpid() {
		_ = os.Remove(ownerFile(id))
	}
}

func readOwner(id int) (pid int, dataDir string, err error) {
	b, err := os.ReadFile(ownerFile(id))
	if err != nil {
		return 0, "", err
	}
	fields := strings.SplitN(strings.TrimSpace(string(b)), " ", 2)
	if pid, err = strconv.Atoi(fields[0]); err != nil {
		return 0, "", err
	}
	if len(fields) == 2 {
		dataDir = fields[1]
	}
	return pid, dataDir, nil
}

// checkDataDir refuses a data dir whose orchestrator is still alive and cleans up after one that died.
func checkDataDir(dataDir string, log func(string, ...any)) error {
	b, err := os.ReadFile(filepath.Join(dataDir, "orchestrator.pid"))
	if err == nil {
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if pid > 0 && pid != os.Getpid() && processAlive(pid) {
			return fmt.Errorf("a sandbox is already running from %s (pid %d); stop it first (kill %d)", dataDir, pid, pid)
		}
		log("cleaning up after a sandbox that did not stop cleanly (pid %d)", pid)
		killRecorded(dataDir)
	}
	if err := os.RemoveAll(dataDir); err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dataDir, "orchestrator.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}

// killRecorded kills the process groups listed in <dataDir>/processes that still run the recorded binary.
func killRecorded(dataDir string) {
	f, err := os.Open(filepath.Join(dataDir, "processes"))
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var pid int
		var binary string
		if _, err := fmt.Sscanf(sc.Text(), "%d %s", &pid, &binary); err != nil {
			continue
		}
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && exe == binary {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
}

// cleanNetnsProcesses kills what still runs inside a stale instance's node namespaces.
func cleanNetnsProcesses(n Network) {
	for i := 0; i < n.Nodes; i++ {
		for _, pid := range n.NetnsPids(i) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
