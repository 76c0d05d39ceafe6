module etcd-profiler/bench/gen/bigheap

go 1.24
