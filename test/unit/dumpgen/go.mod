module etcd-profiler/dumpgen

go 1.24
