package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	logOut = io.Discard
	os.Exit(m.Run())
}

// parkedInDump counts goroutines in a debug=2 dump whose stack has parkedOnRequest, by state.
// (Under go test, package main's functions are named after the module path, not "main.".)
func parkedInDump(t *testing.T) map[string]int {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		t.Fatal(err)
	}
	header := regexp.MustCompile(`^goroutine \d+ \[([^,\]]+)`)
	counts := map[string]int{}
	for _, g := range strings.Split(buf.String(), "\n\n") {
		m := header.FindStringSubmatch(g)
		if m != nil && strings.Contains(g, ".parkedOnRequest(") {
			counts[m[1]]++
		}
	}
	return counts
}

func request(t *testing.T, method, url string, wantCode int) parkedStatus {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantCode {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, wantCode, body)
	}
	var st parkedStatus
	if wantCode == http.StatusOK {
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, body)
		}
	}
	return st
}

func TestParkEveryStateThenRelease(t *testing.T) {
	sleepSlice = 20 * time.Millisecond
	srv := httptest.NewServer(newMux(newParker()))
	defer srv.Close()

	want := map[string]int{}
	total := 0
	for i, state := range []string{"chan", "send", "select", "mutex", "cond", "sleep", "io", "wg"} {
		n := 10 + i
		st := request(t, "POST", srv.URL+"/park?n="+itoa(n)+"&state="+state, http.StatusOK)
		total += n
		if st.Parked != total || st.States[state] != n {
			t.Fatalf("after parking %d in %s: %+v", n, state, st)
		}
		want[parkStates[state]] = n
	}
	// "sleep" goroutines wake every sleepSlice; let them be found asleep.
	var got map[string]int
	for range 50 {
		got = parkedInDump(t)
		if equalCounts(got, want) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !equalCounts(got, want) {
		t.Fatalf("dump has %v, want %v", got, want)
	}
	if st := request(t, "GET", srv.URL+"/parked", http.StatusOK); st.Parked != total {
		t.Fatalf("GET /parked: %+v, want %d", st, total)
	}

	if st := request(t, "POST", srv.URL+"/release", http.StatusOK); st.Parked != 0 {
		t.Fatalf("after release: %+v", st)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(parkedInDump(t)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := parkedInDump(t); len(left) > 0 {
		t.Fatalf("still parked after release: %v", left)
	}
}

func TestParkDefaultsToOneInChanReceive(t *testing.T) {
	srv := httptest.NewServer(newMux(newParker()))
	defer srv.Close()
	defer request(t, "POST", srv.URL+"/release", http.StatusOK)
	st := request(t, "POST", srv.URL+"/park", http.StatusOK)
	if st.Parked != 1 || st.States["chan"] != 1 {
		t.Fatalf("POST /park: %+v", st)
	}
	if got := parkedInDump(t); got["chan receive"] != 1 {
		t.Fatalf("dump has %v", got)
	}
}

func TestParkRejectsBadRequests(t *testing.T) {
	srv := httptest.NewServer(newMux(newParker()))
	defer srv.Close()
	for _, q := range []string{"n=0", "n=-3", "n=abc", "n=100001", "state=spin"} {
		request(t, "POST", srv.URL+"/park?"+q, http.StatusBadRequest)
	}
	request(t, "GET", srv.URL+"/park", http.StatusMethodNotAllowed)
	if st := request(t, "GET", srv.URL+"/parked", http.StatusOK); st.Parked != 0 {
		t.Fatalf("bad requests parked goroutines: %+v", st)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
