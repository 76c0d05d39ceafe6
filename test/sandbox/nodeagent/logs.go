package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// Container logs are stored like the CRI's: one line per record, "<RFC3339Nano> <stream> <F|P> <content>",
// P marking a record that continues in the next one (a line longer than the buffer, or output without its newline).

const maxLogRecord = 16 * 1024

type logWriter struct {
	mu  sync.Mutex
	f   *os.File
	now func() time.Time
}

func openLogWriter(path string) (*logWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &logWriter{f: f, now: time.Now}, nil
}

func (w *logWriter) record(stream string, content []byte, partial bool) {
	tag := "F"
	if partial {
		tag = "P"
	}
	var b bytes.Buffer
	b.WriteString(w.now().UTC().Format(time.RFC3339Nano))
	b.WriteByte(' ')
	b.WriteString(stream)
	b.WriteByte(' ')
	b.WriteString(tag)
	b.WriteByte(' ')
	b.Write(content)
	b.WriteByte('\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.f.Write(b.Bytes())
}

// copyLines turns a process's output into log records until EOF.
func (w *logWriter) copyLines(r io.Reader, stream string) {
	br := bufio.NewReaderSize(r, maxLogRecord)
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			w.record(stream, line[:len(line)-1], false)
		case errors.Is(err, bufio.ErrBufferFull):
			w.record(stream, line, true)
		default:
			if len(line) > 0 {
				w.record(stream, line, true)
			}
			return
		}
	}
}

func (w *logWriter) Close() error { return w.f.Close() }

type logRecord struct {
	ts      time.Time
	stream  string
	partial bool
	content []byte
}

func parseLogRecord(line []byte) (logRecord, bool) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	parts := bytes.SplitN(line, []byte(" "), 4)
	if len(parts) < 3 {
		return logRecord{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(parts[0]))
	if err != nil {
		return logRecord{}, false
	}
	r := logRecord{ts: ts, stream: string(parts[1]), partial: string(parts[2]) == "P"}
	if len(parts) == 4 {
		r.content = parts[3]
	}
	return r, true
}

// logOptions are the containerLogs query parameters the kubelet honours (v1.PodLogOptions).
type logOptions struct {
	follow     bool
	previous   bool
	timestamps bool
	tailLines  int64 // -1: all
	limitBytes int64 // 0: no limit
	since      time.Time
	stream     string // "", "Stdout" or "Stderr"
}

func parseLogQuery(q url.Values, now time.Time) (logOptions, error) {
	o := logOptions{tailLines: -1}
	var err error
	boolean := func(name string) bool {
		if err != nil || q.Get(name) == "" {
			return false
		}
		var v bool
		v, err = strconv.ParseBool(q.Get(name))
		return v
	}
	number := func(name string) int64 {
		if err != nil || q.Get(name) == "" {
			return 0
		}
		var v int64
		v, err = strconv.ParseInt(q.Get(name), 10, 64)
		if err == nil && v < 0 {
			err = fmt.Errorf("%s must not be negative", name)
		}
		return v
	}
	o.follow = boolean("follow")
	o.previous = boolean("previous")
	o.timestamps = boolean("timestamps")
	tail := q.Get("tailLines")
	if tail == "" {
		tail = q.Get("tail")
	}
	if tail != "" && tail != "all" {
		q.Set("tailLines", tail)
		o.tailLines = number("tailLines")
	}
	o.limitBytes = number("limitBytes")
	if s := number("sinceSeconds"); s > 0 {
		o.since = now.Add(-time.Duration(s) * time.Second)
	}
	if t := q.Get("sinceTime"); t != "" && err == nil {
		o.since, err = time.Parse(time.RFC3339, t)
	}
	switch s := q.Get("stream"); s {
	case "", "All":
	case "Stdout", "Stderr":
		o.stream = s
	default:
		err = fmt.Errorf("invalid stream %q", s)
	}
	if err != nil {
		return o, fmt.Errorf("invalid log query: %w", err)
	}
	return o, nil
}

// logOutput writes records as the client sees them, applying the filters and the byte limit.
type logOutput struct {
	w       io.Writer
	opts    logOptions
	written int64
	atStart bool // at the start of an output line (timestamps go there)
}

var errLimitReached = errors.New("limitBytes reached")

func (o *logOutput) accept(r logRecord) bool {
	if !o.opts.since.IsZero() && r.ts.Before(o.opts.since) {
		return false
	}
	switch o.opts.stream {
	case "Stdout":
		return r.stream == "stdout"
	case "Stderr":
		return r.stream == "stderr"
	}
	return true
}

func (o *logOutput) write(r logRecord) error {
	var b bytes.Buffer
	if o.opts.timestamps && o.atStart {
		b.WriteString(r.ts.UTC().Format(time.RFC3339Nano))
		b.WriteByte(' ')
	}
	b.Write(r.content)
	if !r.partial {
		b.WriteByte('\n')
	}
	o.atStart = !r.partial
	out := b.Bytes()
	if o.opts.limitBytes > 0 {
		left := o.opts.limitBytes - o.written
		if int64(len(out)) > left {
			out = out[:left]
		}
	}
	n, err := o.w.Write(out)
	o.written += int64(n)
	if err != nil {
		return err
	}
	if o.opts.limitBytes > 0 && o.written >= o.opts.limitBytes {
		return errLimitReached
	}
	return nil
}

// tailStart returns the records of the last n output lines among recs (a line may span partial records).
func tailStart(recs []logRecord, n int64) []logRecord {
	if n < 0 {
		return recs
	}
	if n == 0 {
		return nil
	}
	lines := int64(0)
	for i := len(recs) - 1; i >= 0; i-- {
		if i == 0 || !recs[i-1].partial { // recs[i] begins a line
			lines++
			if lines == n {
				return recs[i:]
			}
		}
	}
	return recs
}

// streamLogs writes the log file at path to w. With follow it keeps reading what is appended until done is
// closed (the container instance exited) and everything is read, or ctx ends.
func streamLogs(ctx context.Context, w io.Writer, flush func(), path string, opts logOptions, done <-chan struct{}) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	out := &logOutput{w: w, opts: opts, atStart: true}
	br := bufio.NewReaderSize(f, 64*1024)

	var recs []logRecord
	var pending []byte
	readAvailable := func(emit func(logRecord) error) error {
		for {
			chunk, err := br.ReadBytes('\n')
			pending = append(pending, chunk...)
			if err == io.EOF {
				return nil // a record without its newline yet stays pending
			}
			if err != nil {
				return err
			}
			rec, ok := parseLogRecord(pending)
			pending = nil
			if ok && out.accept(rec) {
				if err := emit(rec); err != nil {
					return err
				}
			}
		}
	}
	if err := readAvailable(func(r logRecord) error { recs = append(recs, r); return nil }); err != nil {
		return err
	}
	for _, r := range tailStart(recs, opts.tailLines) {
		if err := out.write(r); err != nil {
			return ignoreLimit(err)
		}
	}
	flush()
	if !opts.follow {
		return nil
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		finished := false
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			finished = true
		case <-tick.C:
		}
		if err := readAvailable(out.write); err != nil {
			return ignoreLimit(err)
		}
		flush()
		if finished {
			return nil
		}
	}
}

func ignoreLimit(err error) error {
	if errors.Is(err, errLimitReached) {
		return nil
	}
	return err
}
