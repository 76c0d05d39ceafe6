package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	utilexec "k8s.io/utils/exec"
)

func TestExitErrorCarriesTheRealCode(t *testing.T) {
	run := func(script string) error {
		c := exec.Command("sh", "-c", script)
		return exitError(c, []string{"sh", "-c", script}, c.Run())
	}
	if err := run("exit 0"); err != nil {
		t.Fatalf("exit 0: %v", err)
	}
	var ce utilexec.CodeExitError
	if err := run("exit 3"); !errors.As(err, &ce) || ce.ExitStatus() != 3 || !ce.Exited() {
		t.Fatalf("exit 3: %#v", err)
	}
	if err := run("kill -9 $$"); !errors.As(err, &ce) || ce.ExitStatus() != 137 {
		t.Fatalf("killed: %#v", err)
	}
	c := exec.Command("/nonexistent/binary")
	if err := exitError(c, nil, c.Run()); err == nil || errors.As(err, &ce) {
		t.Fatalf("a start failure is not an exit code: %#v", err)
	}
}

func TestOpenPTY(t *testing.T) {
	master, slave, err := openPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	c := exec.Command("sh", "-c", "tty; stty size")
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	_ = c.Wait()
	buf := make([]byte, 256)
	n, _ := master.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "/dev/pts/") {
		t.Fatalf("tty output %q", buf[:n])
	}
}
