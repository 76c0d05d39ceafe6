package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/utils/exec"
)

// splitPodKey undoes the "namespace/name" the server hands to the streaming library as the pod name.
func splitPodKey(key string) (string, string) {
	ns, name, _ := strings.Cut(key, "/")
	return ns, name
}

// execTarget is what an exec or attach session needs of a container: the sandbox to enter and the env.
func (a *agent) execTarget(key string, uid types.UID, container string) (*podRunner, *containerRunner, *sandbox, []string, error) {
	ns, name := splitPodKey(key)
	r := a.lookup(ns, name, uid)
	if r == nil {
		return nil, nil, nil, nil, fmt.Errorf("pod %s not found", key)
	}
	cr := r.container(container)
	if cr == nil {
		return nil, nil, nil, nil, fmt.Errorf("container %q not found in pod %s", container, key)
	}
	r.mu.Lock()
	sb, env, terminating := r.sandbox, cr.env, r.terminating
	r.mu.Unlock()
	if sb == nil || terminating {
		return nil, nil, nil, nil, fmt.Errorf("pod %s is not running", key)
	}
	if env == nil {
		env = []string{"PATH=" + podPath(a.cfg.binDir)}
	}
	return r, cr, sb, env, nil
}

// ExecInContainer runs cmd inside the pod's mount and network namespaces; a non-zero exit becomes a
// CodeExitError so the client sees the real exit code.
func (a *agent) ExecInContainer(ctx context.Context, name string, uid types.UID, container string, cmd []string,
	in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize, _ time.Duration) error {
	if len(cmd) == 0 {
		return errors.New("no command")
	}
	_, cr, sb, env, err := a.execTarget(name, uid, container)
	if err != nil {
		return err
	}
	argv := inPodArgv(sb.pid, cr.spec.WorkingDir, cmd)
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Env = env
	c.Dir = "/"
	c.Cancel = func() error {
		killGroup(c.Process.Pid, syscall.SIGKILL)
		return nil
	}
	c.WaitDelay = 2 * time.Second
	if tty {
		err = runTTY(c, in, out, resize)
	} else {
		c.SysProcAttr = procAttr()
		err = runPiped(c, in, out, errw)
	}
	return exitError(c, cmd, err)
}

func runPiped(c *exec.Cmd, in io.Reader, out, errw io.WriteCloser) error {
	if out != nil {
		c.Stdout = out
	}
	if errw != nil {
		c.Stderr = errw
	}
	var stdinW *os.File
	if in != nil {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		defer r.Close()
		c.Stdin, stdinW = r, w
	}
	if err := c.Start(); err != nil {
		if stdinW != nil {
			stdinW.Close()
		}
		return err
	}
	if stdinW != nil {
		c.Stdin.(*os.File).Close()
		go func() {
			_, _ = io.Copy(stdinW, in)
			stdinW.Close()
		}()
		defer stdinW.Close() // unblocks the copy's writes once the process is gone
	}
	return c.Wait()
}

// runTTY gives the command a pseudo-terminal as its controlling terminal (kubectl exec -it).
func runTTY(c *exec.Cmd, in io.Reader, out io.Writer, resize <-chan remotecommand.TerminalSize) error {
	master, slave, err := openPTY()
	if err != nil {
		return err
	}
	defer master.Close()
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0, Pdeathsig: syscall.SIGKILL}
	hasTerm := false
	for _, kv := range c.Env {
		hasTerm = hasTerm || strings.HasPrefix(kv, "TERM=")
	}
	if !hasTerm {
		c.Env = append(c.Env, "TERM=xterm")
	}
	err = c.Start()
	slave.Close()
	if err != nil {
		return err
	}
	if resize != nil {
		go func() {
			for size := range resize {
				_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: size.Height, Col: size.Width})
			}
		}()
	}
	if in != nil {
		go func() { _, _ = io.Copy(master, in) }()
	}
	copied := make(chan struct{})
	go func() {
		if out != nil {
			_, _ = io.Copy(out, master) // ends with EIO once the terminal's last holder exits
		}
		close(copied)
	}()
	err = c.Wait()
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
	}
	return err
}

func openPTY() (*os.File, *os.File, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlockpt: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("ptsname: %w", err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// exitError maps the finished command to what ServeExec reports: nil, a CodeExitError, or err as is.
func exitError(c *exec.Cmd, cmd []string, err error) error {
	if c.ProcessState == nil {
		return err
	}
	ws, ok := c.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return err
	}
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	if code == 0 {
		return nil
	}
	return utilexec.CodeExitError{Err: fmt.Errorf("error executing command %v, exit code %d", cmd, code), Code: code}
}

// AttachContainer streams the container's output from now on until the instance exits (stdin is not wired:
// the container's stdin is not kept open).
func (a *agent) AttachContainer(ctx context.Context, name string, uid types.UID, container string,
	_ io.Reader, out, errw io.WriteCloser, _ bool, _ <-chan remotecommand.TerminalSize) error {
	r, cr, _, _, err := a.execTarget(name, uid, container)
	if err != nil {
		return err
	}
	r.mu.Lock()
	path, done, running := cr.logPath(cr.restartCount), cr.done, cr.running
	r.mu.Unlock()
	if !running {
		return fmt.Errorf("container %q is not running", container)
	}
	w := io.Writer(out)
	if w == nil {
		w = errw
	}
	if w == nil {
		<-done
		return nil
	}
	return streamLogs(ctx, w, func() {}, path, logOptions{follow: true, tailLines: 0}, done)
}
