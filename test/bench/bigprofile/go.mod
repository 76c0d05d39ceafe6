module etcd-profiler/bench/bigprofile

go 1.24
