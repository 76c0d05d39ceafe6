#!/usr/bin/env bash
# Builds the large real inputs of `npm run bench` (and of the e2e 100k-goroutine test) once, into
# $ETCD_PROFILER_CACHE/bench/ (default ~/.cache/etcd-profiler/bench/); files already there are kept. Prints the
# paths. `make-inputs.sh goroutines` makes only the goroutine dumps (seconds), `bigheap` only the heap profile.
#   bigheap.pb.gz               heap profile, MemProfileRate=1 while type-checking net/http and go/types (~200k samples)
#   goroutines-100k.debug2.txt  goroutine dump, debug=2, 100000 parked goroutines (+ main)
#   goroutines-100k.debug1.txt  the same goroutines, debug=1
set -euo pipefail
export GOTOOLCHAIN=local

what=${1:-all}
case $what in all | bigheap | goroutines) ;; *) echo "usage: $0 [all|bigheap|goroutines]" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
cache=${ETCD_PROFILER_CACHE:-$HOME/.cache/etcd-profiler}
dir=$cache/bench
mkdir -p "$dir/bin"

build() { # build NAME: the generator in ./NAME, paths trimmed so outputs do not depend on the checkout
  (cd "$here/$1" && go build -trimpath -o "$dir/bin/$1" .)
}

if [[ $what != goroutines && ! -s $dir/bigheap.pb.gz ]]; then
  build bigheap
  echo "bench inputs: type-checking net/http and go/types with MemProfileRate=1 (a few minutes)..." >&2
  # -trimpath drops the GOROOT baked into the binary; go/build needs it to find the sources.
  GOROOT=$(go env GOROOT) "$dir/bin/bigheap" "$dir/bigheap.pb.gz.tmp" >&2
  mv "$dir/bigheap.pb.gz.tmp" "$dir/bigheap.pb.gz"
fi

if [[ $what != bigheap ]] && [[ ! -s $dir/goroutines-100k.debug2.txt || ! -s $dir/goroutines-100k.debug1.txt ]]; then
  build goroutines
  echo "bench inputs: parking 100000 goroutines..." >&2
  "$dir/bin/goroutines" "$dir/goroutines-100k.debug2.txt.tmp" "$dir/goroutines-100k.debug1.txt.tmp" 100000 >&2
  mv "$dir/goroutines-100k.debug2.txt.tmp" "$dir/goroutines-100k.debug2.txt"
  mv "$dir/goroutines-100k.debug1.txt.tmp" "$dir/goroutines-100k.debug1.txt"
fi

[[ $what != goroutines ]] && echo "$dir/bigheap.pb.gz"
if [[ $what != bigheap ]]; then
  echo "$dir/goroutines-100k.debug2.txt"
  echo "$dir/goroutines-100k.debug1.txt"
fi
