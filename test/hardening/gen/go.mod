module etcd-profiler/hardening/gen

go 1.26
