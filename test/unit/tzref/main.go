// Prints, for each Unix time in seconds on stdin (one per line), the time as go tool pprof's Time: line formats
// it: time.Unix(s, 0).Format("2006-01-02 15:04:05 MST") in the local zone that TZ selects.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		s, err := strconv.ParseInt(in.Text(), 10, 64)
		if err != nil {
			panic(err)
		}
		fmt.Fprintln(out, time.Unix(s, 0).Format("2006-01-02 15:04:05 MST"))
	}
}
