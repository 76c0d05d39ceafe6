package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"runtime/pprof"
	"sort"
	"strconv"
	"sync"
	"time"
)

// The workload of an operator: a reconcile loop that renders and compares cluster state
// (garbage, plus a retained cache of recent revisions), status workers contending on one
// lock, an event dispatcher whose producers outpace its consumer, and steady checksumming.

type member struct {
	Name       string            `json:"name"`
	ID         uint64            `json:"id"`
	PeerURLs   []string          `json:"peerURLs"`
	ClientURLs []string          `json:"clientURLs"`
	Revision   int64             `json:"revision"`
	Healthy    bool              `json:"healthy"`
	Labels     map[string]string `json:"labels"`
}

const (
	membersPerReconcile = 48
	cachedRevisions     = 256
)

type reconciler struct {
	mu       sync.Mutex
	revision int64
	cache    map[int64][]byte
	order    []int64
}

func startWorkload(ctx context.Context, interval time.Duration, cpuDuty float64) {
	r := &reconciler{cache: map[int64][]byte{}}
	// Labels as controllers would set them; they show as tags in CPU and goroutine profiles.
	go pprof.Do(ctx, pprof.Labels("controller", "EtcdMembersController"), func(ctx context.Context) {
		r.run(ctx, interval)
	})
	for i := range 4 {
		go pprof.Do(ctx, pprof.Labels("controller", "StatusSyncer", "worker", strconv.Itoa(i)), func(ctx context.Context) {
			r.statusWorker(ctx, i)
		})
	}
	events := make(chan []byte)
	for i := range 3 {
		go produceEvents(ctx, events, i)
	}
	go dispatchEvents(ctx, events)
	go checksumLoop(ctx, cpuDuty)
}

func (r *reconciler) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.reconcile()
		}
	}
}

func (r *reconciler) reconcile() {
	start := time.Now()
	r.mu.Lock()
	r.revision++
	rev := r.revision
	r.mu.Unlock()

	desired := renderMembers(rev)
	encoded, err := json.Marshal(desired)
	if err != nil {
		errorf("encode members: %v", err)
		return
	}
	var observed []member
	if err := json.Unmarshal(encoded, &observed); err != nil {
		errorf("decode members: %v", err)
		return
	}
	sortMembers(observed)
	digest := sha256.Sum256(encoded)
	r.store(rev, encoded)

	r.mu.Lock()
	cached := len(r.cache)
	r.mu.Unlock()
	infof("Reconciled etcd members revision=%d members=%d cachedRevisions=%d digest=%x took=%s",
		rev, len(observed), cached, digest[:6], time.Since(start).Round(time.Microsecond))
}

func renderMembers(rev int64) []member {
	ms := make([]member, membersPerReconcile)
	for i := range ms {
		name := fmt.Sprintf("master-%d-rev%d", i, rev)
		ms[i] = member{
			Name:       name,
			ID:         rand.Uint64(),
			PeerURLs:   []string{fmt.Sprintf("https://10.89.0.%d:2380", 10+i)},
			ClientURLs: []string{fmt.Sprintf("https://10.89.0.%d:2379", 10+i)},
			Revision:   rev,
			Healthy:    rand.IntN(10) > 0,
			Labels:     map[string]string{"node": name, "role": "control-plane"},
		}
	}
	return ms
}

func sortMembers(ms []member) {
	key := func(m member) uint64 {
		h := fnv.New64a()
		h.Write([]byte(m.Name))
		return h.Sum64()
	}
	sort.Slice(ms, func(i, j int) bool { return key(ms[i]) < key(ms[j]) })
}

// store keeps a copy of each revision's rendering, dropping the oldest beyond cachedRevisions.
func (r *reconciler) store(rev int64, encoded []byte) {
	snapshot := append([]byte(nil), encoded...)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache[rev] = snapshot
	r.order = append(r.order, rev)
	for len(r.order) > cachedRevisions {
		delete(r.cache, r.order[0])
		r.order = r.order[1:]
	}
}

// statusWorker recomputes status under the reconciler's lock: four of them contend, half
// digesting the rendering buffer and half summarising the revision cache.
func (r *reconciler) statusWorker(ctx context.Context, id int) {
	buf := make([]byte, 16<<10)
	for ctx.Err() == nil {
		if id%2 == 0 {
			r.digestStatus(buf, id)
		} else {
			r.summariseCache()
		}
		time.Sleep(time.Duration(2+rand.IntN(4)) * time.Millisecond)
	}
}

func (r *reconciler) digestStatus(buf []byte, id int) [32]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range buf {
		buf[i] = byte(int(r.revision) + i + id)
	}
	return sha256.Sum256(buf)
}

func (r *reconciler) summariseCache() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := fnv.New64a()
	for _, snapshot := range r.cache {
		h.Write(snapshot[:min(len(snapshot), 512)])
	}
	return h.Sum64()
}

func produceEvents(ctx context.Context, out chan<- []byte, id int) {
	for seq := 0; ; seq++ {
		ev := fmt.Appendf(nil, `{"producer":%d,"seq":%d}`, id, seq)
		select {
		case <-ctx.Done():
			return
		case out <- ev:
		}
	}
}

// dispatchEvents is slower than its three producers, so they wait to send.
func dispatchEvents(ctx context.Context, in <-chan []byte) {
	var ev struct {
		Producer int `json:"producer"`
		Seq      int `json:"seq"`
	}
	for {
		select {
		case <-ctx.Done():
			return
		case raw := <-in:
			_ = json.Unmarshal(raw, &ev)
			time.Sleep(3 * time.Millisecond)
		}
	}
}

// checksumLoop burns cpuDuty of one CPU hashing a buffer, in 100ms periods.
func checksumLoop(ctx context.Context, cpuDuty float64) {
	const period = 100 * time.Millisecond
	busy := time.Duration(float64(period) * cpuDuty)
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	for ctx.Err() == nil {
		start := time.Now()
		for time.Since(start) < busy {
			sum := sha256.Sum256(buf)
			buf[0] = sum[0]
		}
		time.Sleep(period - time.Since(start))
	}
}
