module etcd-profiler/bench/panicparse

go 1.24

require github.com/maruel/panicparse/v2 v2.5.0
