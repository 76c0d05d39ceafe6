package main

import (
	"reflect"
	"testing"
)

func TestArgsRenderSortedAndRepeated(t *testing.T) {
	a := Args{}.Set("data-dir", "/d").Append("cors", "a", "b").Enable("enable-pprof")
	got := a.AsStrings()
	want := []string{"--cors=a", "--cors=b", "--data-dir=/d", "--enable-pprof=true"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("AsStrings() = %q, want %q", got, want)
	}
}

func TestArgsMergeOverridesWithoutMutating(t *testing.T) {
	defaults := Args{"name": {"default"}, "port": {"1"}}
	merged := defaults.Merge(Args{"port": {"2"}})
	if got := merged.AsStrings(); !reflect.DeepEqual(got, []string{"--name=default", "--port=2"}) {
		t.Fatalf("merged = %q", got)
	}
	if defaults["port"][0] != "1" {
		t.Fatalf("Merge mutated its receiver: %q", defaults["port"])
	}
	merged.Delete("name")
	if got := merged.AsStrings(); !reflect.DeepEqual(got, []string{"--port=2"}) {
		t.Fatalf("after Delete = %q", got)
	}
}
