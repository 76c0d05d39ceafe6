package main

import (
	"os"
	"testing"
)

// TestLogDump logs the dump with t.Log, so `go test -v` prints it the way test output holds one.
func TestLogDump(t *testing.T) {
	out := os.Getenv("DUMP_OUT")
	if out == "" {
		t.Skip("DUMP_OUT not set")
	}
	Start()
	dump := Dump()
	write(out, dump)
	t.Log(dump)
}
