module etcd-profiler/bench/gen/goroutines

go 1.24
