module example.com/srcprog

go 1.24

require (
	github.com/cespare/xxhash/v2 v2.3.0
	github.com/klauspost/compress v1.18.0
	golang.org/x/text v0.21.0
)
