package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// klog's text header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
// klog prints the process id as "threadid", so a containerised operator shows 1.

var (
	logMu  sync.Mutex
	logOut io.Writer = os.Stderr
	logPid           = os.Getpid()
)

func infof(format string, args ...any)  { logAt('I', 2, format, args...) }
func warnf(format string, args ...any)  { logAt('W', 2, format, args...) }
func errorf(format string, args ...any) { logAt('E', 2, format, args...) }

func logAt(severity byte, depth int, format string, args ...any) {
	now := time.Now()
	_, file, line, ok := runtime.Caller(depth)
	if !ok {
		file, line = "???", 1
	}
	_, month, day := now.Date()
	msg := fmt.Sprintf(format, args...)
	logMu.Lock()
	defer logMu.Unlock()
	fmt.Fprintf(logOut, "%c%02d%02d %02d:%02d:%02d.%06d %7d %s:%d] %s\n",
		severity, int(month), day, now.Hour(), now.Minute(), now.Second(), now.Nanosecond()/1000,
		logPid, filepath.Base(file), line, msg)
}
