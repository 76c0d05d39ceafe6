package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeLog makes a log file with the writer the agent uses, with a clock that advances one second per record.
func writeLog(t *testing.T, outputs ...[2]string) (string, time.Time) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "0.log")
	w, err := openLogWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	n := 0
	w.now = func() time.Time { n++; return base.Add(time.Duration(n) * time.Second) }
	for _, o := range outputs {
		w.copyLines(strings.NewReader(o[1]), o[0])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path, base
}

func readAll(t *testing.T, path string, opts logOptions) string {
	t.Helper()
	var b bytes.Buffer
	closed := make(chan struct{})
	close(closed)
	if err := streamLogs(context.Background(), &b, func() {}, path, opts, closed); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestLogRoundTripKeepsLinesAndUnterminatedTail(t *testing.T) {
	path, _ := writeLog(t, [2]string{"stdout", "one\ntwo\nno newline"}, [2]string{"stderr", "err line\n"})
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), "2026-11-26T10:00:03Z stdout P no newline\n") {
		t.Fatalf("unterminated output must be a partial record:\n%s", raw)
	}
	got := readAll(t, path, logOptions{tailLines: -1})
	if want := "one\ntwo\nno newlineerr line\n"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestLongLineSplitsIntoPartialRecordsAndJoinsBack(t *testing.T) {
	long := strings.Repeat("x", maxLogRecord*2+10)
	path, _ := writeLog(t, [2]string{"stdout", long + "\nshort\n"})
	raw, _ := os.ReadFile(path)
	if c := strings.Count(string(raw), " stdout P "); c != 2 {
		t.Fatalf("want 2 partial records, got %d", c)
	}
	if got := readAll(t, path, logOptions{tailLines: -1}); got != long+"\nshort\n" {
		t.Fatalf("long line not rebuilt: len %d", len(got))
	}
	if got := readAll(t, path, logOptions{tailLines: 2}); got != long+"\nshort\n" {
		t.Fatalf("tail 2 must count the long line once: len %d", len(got))
	}
	if got := readAll(t, path, logOptions{tailLines: 1}); got != "short\n" {
		t.Fatalf("tail 1: %q", got)
	}
}

func TestTailTimestampsSinceLimitAndStream(t *testing.T) {
	path, base := writeLog(t, [2]string{"stdout", "a\nb\nc\n"}, [2]string{"stderr", "d\n"})
	if got := readAll(t, path, logOptions{tailLines: 2}); got != "c\nd\n" {
		t.Fatalf("tail: %q", got)
	}
	if got := readAll(t, path, logOptions{tailLines: 0}); got != "" {
		t.Fatalf("tail 0: %q", got)
	}
	if got := readAll(t, path, logOptions{tailLines: 1, timestamps: true}); got != "2026-11-26T10:00:04Z d\n" {
		t.Fatalf("timestamps: %q", got)
	}
	if got := readAll(t, path, logOptions{tailLines: -1, since: base.Add(3 * time.Second)}); got != "c\nd\n" {
		t.Fatalf("since: %q", got)
	}
	if got := readAll(t, path, logOptions{tailLines: -1, limitBytes: 3}); got != "a\nb" {
		t.Fatalf("limitBytes: %q", got)
	}
	if got := readAll(t, path, logOptions{tailLines: -1, stream: "Stderr"}); got != "d\n" {
		t.Fatalf("stream: %q", got)
	}
}

func TestParseLogQuery(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	q := url.Values{"follow": {"true"}, "tailLines": {"10"}, "limitBytes": {"500"}, "timestamps": {"true"},
		"previous": {"false"}, "sinceSeconds": {"60"}}
	o, err := parseLogQuery(q, now)
	if err != nil {
		t.Fatal(err)
	}
	if !o.follow || o.previous || !o.timestamps || o.tailLines != 10 || o.limitBytes != 500 || !o.since.Equal(now.Add(-time.Minute)) {
		t.Fatalf("parsed %+v", o)
	}
	if o, _ := parseLogQuery(url.Values{}, now); o.tailLines != -1 || o.follow || !o.since.IsZero() {
		t.Fatalf("defaults %+v", o)
	}
	if o, _ := parseLogQuery(url.Values{"tail": {"all"}}, now); o.tailLines != -1 {
		t.Fatalf("tail=all %+v", o)
	}
	if o, _ := parseLogQuery(url.Values{"tail": {"3"}}, now); o.tailLines != 3 {
		t.Fatalf("tail=3 %+v", o)
	}
	if o, _ := parseLogQuery(url.Values{"sinceTime": {"2026-11-26T11:00:00Z"}}, now); !o.since.Equal(now.Add(-time.Hour)) {
		t.Fatalf("sinceTime %+v", o)
	}
	for _, bad := range []url.Values{{"tailLines": {"-1"}}, {"follow": {"maybe"}}, {"limitBytes": {"x"}}, {"stream": {"Both"}}} {
		if _, err := parseLogQuery(bad, now); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

func TestFollowStreamsAppendedLinesUntilDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	w, err := openLogWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.copyLines(strings.NewReader("before\n"), "stdout")
	done := make(chan struct{})
	pr, pw, _ := os.Pipe()
	result := make(chan error, 1)
	go func() {
		result <- streamLogs(context.Background(), pw, func() {}, path, logOptions{follow: true, tailLines: -1}, done)
		pw.Close()
	}()
	buf := make([]byte, 64)
	n, _ := pr.Read(buf)
	if string(buf[:n]) != "before\n" {
		t.Fatalf("first read %q", buf[:n])
	}
	w.copyLines(strings.NewReader("after\n"), "stdout")
	n, _ = pr.Read(buf)
	if string(buf[:n]) != "after\n" {
		t.Fatalf("followed read %q", buf[:n])
	}
	w.copyLines(strings.NewReader("last\n"), "stderr")
	close(done)
	select {
	case err := <-result:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("follow did not end after done")
	}
	rest := new(bytes.Buffer)
	_, _ = rest.ReadFrom(pr)
	if rest.String() != "last\n" {
		t.Fatalf("output written before done must still be sent: %q", rest.String())
	}
}
