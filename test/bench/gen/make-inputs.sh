#!/usr/bin/env bash
# Builds the large real inputs of `npm run bench` once, into $ETCD_PROFILER_CACHE/bench/ (default
# ~/.cache/etcd-profiler/bench/); files already there are kept. Prints the paths.
#   bigheap.pb.gz               heap profile, MemProfileRate=1 while type-checking net/http and go/types (~200k samples)
#   goroutines-100k.debug2.txt  goroutine dump, debug=2, 100000 parked goroutines (+ main)
#   goroutines-100k.debug1.txt  the same goroutines, debug=1
set -euo pipefail
export GOTOOLCHAIN=local

here=$(cd "$(dirname "$0")" && pwd)
cache=${ETCD_PROFILER_CACHE:-$HOME/.cache/etcd-profiler}
dir=$cache/bench
mkdir -p "$dir/bin"

build() { # build NAME: the generator in ./NAME, paths trimmed so outputs do not depend on the checkout
  (cd "$here/$1" && go build -trimpath -o "$dir/bin/$1" .)
}

if [[ ! -s $dir/bigheap.pb.gz ]]; then
  build bigheap
  echo "bench inputs: type-checking net/http and go/types with MemProfileRate=1 (a few minutes)..." >&2
  # -trimpath drops the GOROOT baked into the binary; go/build needs it to find the sources.
  GOROOT=$(go env GOROOT) "$dir/bin/bigheap" "$dir/bigheap.pb.gz.tmp" >&2
  mv "$dir/bigheap.pb.gz.tmp" "$dir/bigheap.pb.gz"
fi

if [[ ! -s $dir/goroutines-100k.debug2.txt || ! -s $dir/goroutines-100k.debug1.txt ]]; then
  build goroutines
  echo "bench inputs: parking 100000 goroutines..." >&2
  "$dir/bin/goroutines" "$dir/goroutines-100k.debug2.txt.tmp" "$dir/goroutines-100k.debug1.txt.tmp" 100000 >&2
  mv "$dir/goroutines-100k.debug2.txt.tmp" "$dir/goroutines-100k.debug2.txt"
  mv "$dir/goroutines-100k.debug1.txt.tmp" "$dir/goroutines-100k.debug1.txt"
fi

echo "$dir/bigheap.pb.gz"
echo "$dir/goroutines-100k.debug2.txt"
echo "$dir/goroutines-100k.debug1.txt"
