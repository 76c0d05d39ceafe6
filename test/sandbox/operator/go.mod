module etcd-profiler/sandbox/operator

go 1.24
