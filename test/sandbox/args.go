package main

import (
	"sort"
	"strings"
)

// Args holds a component's command-line flags as data: flag name (without dashes) to its values.
// Components build their defaults as Args, callers override single flags with Set/Append,
// and the flags are rendered last, in a stable order, by AsStrings.
type Args map[string][]string

// Set replaces all values of a flag.
func (a Args) Set(flag string, values ...string) Args {
	a[flag] = values
	return a
}

// Append adds values to a flag that may be repeated.
func (a Args) Append(flag string, values ...string) Args {
	a[flag] = append(a[flag], values...)
	return a
}

// Enable sets a boolean flag to true.
func (a Args) Enable(flag string) Args { return a.Set(flag, "true") }

// Delete removes a flag so that the binary's own default applies.
func (a Args) Delete(flag string) Args {
	delete(a, flag)
	return a
}

// Merge returns a copy of a with every flag of b replacing a's values.
func (a Args) Merge(b Args) Args {
	out := Args{}
	for k, v := range a {
		out[k] = append([]string(nil), v...)
	}
	for k, v := range b {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// AsStrings renders the flags as `--name=value`, sorted by name; a repeated flag is rendered once per value.
func (a Args) AsStrings() []string {
	names := make([]string, 0, len(a))
	for k := range a {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []string
	for _, k := range names {
		for _, v := range a[k] {
			out = append(out, "--"+strings.TrimLeft(k, "-")+"="+v)
		}
	}
	return out
}
