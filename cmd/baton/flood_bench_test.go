package main

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/internal/hostile"
)

// BenchmarkHeldBodyFlood measures what a deployment sees when hostile senders hold inbox bodies open
// one byte short: 600 connections, each announcing a signed 1 MiB Follow (signed by actors on a real
// peer, so every signature check passes and the body must be read), against `baton serve` in its own
// process. It reports the server's peak resident memory (from /proc) and how many were turned away
// with 503 because the bytes of bodies in flight were capped. Run it with
// go test ./cmd/baton -run XXX -bench HeldBodyFlood -benchtime 1x
func BenchmarkHeldBodyFlood(b *testing.B) {
	const senders = 600
	in := startBaton(b)
	in.addProject("xz", "XZ Utils")
	peer := hostile.New(b)
	for range b.N {
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		held := make([]*hostile.Held, senders)
		for i := range senders {
			actor := peer.Actor("flood" + strconv.Itoa(i))
			body := hostile.Padded(actor.Follow(in.base+"/users/xz"), 1<<20)
			held[i] = hostile.Hold(body)
			req := actor.Post(in.base+"/users/xz/inbox", body, hostile.BodyFrom(held[i], int64(len(body))))
			wg.Go(func() {
				resp, err := http.DefaultClient.Do(req)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					statuses[0]++
					return
				}
				resp.Body.Close()
				statuses[resp.StatusCode]++
			})
		}
		peak := 0
		for range 30 { // sample while the bodies are held
			time.Sleep(200 * time.Millisecond)
			peak = max(peak, rssKB(in.cmd.Process.Pid))
		}
		for _, h := range held {
			h.Release()
		}
		wg.Wait()
		b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
		b.ReportMetric(float64(statuses[http.StatusServiceUnavailable]), "turned-away-503")
		b.Logf("answers by status: %v; peak resident memory %d MB", statuses, peak/1024)
	}
}

// rssKB reads a process's resident set size from /proc.
func rssKB(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}
