package outbox_test

// Benchmarks of the fan-out: one notice, published through a real Outbox over a real store (SQLite, or
// Redis: the first level of every benchmark's name, store=sqlite or store=redis; see
// backend_bench_test.go), to thousands of followers whose inboxes are cheap test servers on loopback.
// They run only with -bench; every heavy step (followers, servers, keys, redis-server) is set up inside
// the Benchmark functions. BENCHMARKS.md at the repository root has the commands and the results.
//
// What they report besides ns/op (one op is one notice fanned out to every follower):
//   - deliveries/s: deliveries completed (answered 202 and removed from the queue) per second;
//   - ceiling/s: RSA-2048 HTTP signatures per second this machine makes with httpsign on GOMAXPROCS
//     goroutines, measured in the same benchmark just before and just after the fan-out (the mean of
//     the two; each delivery needs one signature, so this bounds it);
//   - ratio: deliveries/s ÷ ceiling/s;
//   - ceiling-drift: how far apart the two ceiling measurements were, relative to their mean: the
//     machine's own speed changing during the run (large on shared virtual machines), which the ratio
//     cannot be more precise than;
//   - claims/delivery: store.Queue.Claim calls (each one write transaction or script) per delivery;
//   - conns/delivery: TCP connections the test inboxes accepted per delivery;
//   - cpu-µs/delivery: CPU time of the whole process (outbox, SQLite and the test inboxes, which live in
//     the same process) per delivery, plus on Redis the CPU time of redis-server (INFO cpu: every
//     thread of it); extra-cpu-µs/delivery the same minus one signature's CPU (sig-cpu-µs, the
//     process's CPU time per signature in the two ceiling measurements);
//   - redis-cpu-µs/delivery and redis-cpu-share: redis-server's part of that CPU time (Redis only), and
//     redis-script-µs/delivery, the part of it spent running the store's scripts (INFO commandstats);
//   - cpus-busy: that CPU time per second of the run: how many of the machine's CPUs the fan-out kept
//     busy;
//   - other-cpus: CPUs' worth of time the rest of the machine took from the first ceiling measurement
//     to the last (other processes, and time the hypervisor stole; from /proc/stat): near 0 when the
//     machine was the benchmark's alone, which every figure above assumes.

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/federation"
	"baton/internal/loadtest"
	"baton/notice"
	"baton/outbox"
	"baton/store"
)

// benchHosts is how many remote servers the followers are spread over: one test server (so one
// host:port, the key of the breakers and of the client's connection pool) each.
const benchHosts = 500

// benchFollowers is the follower count of BenchmarkFanOut.
const benchFollowers = 10_000

// memoryFollowers are the follower counts BenchmarkFanOutMemory compares. Adding a follower to SQLite
// is one durable transaction (about 0.19 ms here), so 1,000,000 take about three minutes to set up (on
// Redis, with 16 calls at once, well under one); run `-args -baton.memory-followers=100000,1000000` for
// the full-size comparison.
var memoryFollowers = flag.String("baton.memory-followers", "20000,200000",
	"comma-separated follower counts for BenchmarkFanOutMemory")

// memoryHosts is how many hosts BenchmarkFanOutMemory spreads its followers over: few, so that the
// connections kept open to them (up to 16 idle ones per host, on both ends, since the test inboxes live
// in this process) weigh next to nothing and what is measured is what the follower list costs.
const memoryHosts = 10

// memoryDeliveries is how many deliveries BenchmarkFanOutMemory waits for after publishing: the same
// number at every size, so that what grows with the follower list shows, and nothing else.
const memoryDeliveries = 20_000

// redisQuery is added to the Redis URL of BenchmarkFanOutMemory: go-redis's options, e.g. a longer
// read_timeout than the store's 30 s for a fan-out to several million inboxes (see BENCHMARKS.md).
var redisQuery = flag.String("baton.redis-query", "",
	"query added to the Redis URL in BenchmarkFanOutMemory, e.g. read_timeout=1m")

// BenchmarkFanOut fans one notice out to 10,000 followers: on 500 hosts with a shared inbox each (500
// deliveries), or with personal inboxes only (10,000 deliveries, 20 per host); on SQLite or on Redis;
// delivered by one Outbox, or by two Outboxes (two replicas) on the same SQLite file or Redis database;
// with 16 or 64 workers each.
func BenchmarkFanOut(b *testing.B) {
	for _, backend := range backends {
		b.Run("store="+backend, func(b *testing.B) {
			for _, topo := range []struct {
				name   string
				shared bool
			}{{"shared-500-hosts", true}, {"personal-10000", false}} {
				b.Run(topo.name, func(b *testing.B) {
					for _, replicas := range []int{1, 2} {
						for _, workers := range []int{16, 64} {
							b.Run(fmt.Sprintf("replicas=%d/workers=%d", replicas, workers), func(b *testing.B) {
								benchFanOut(b, backend, topo.shared, replicas, workers)
							})
						}
					}
				})
			}
		})
	}
}

func benchFanOut(b *testing.B, backendName string, shared bool, replicas, workers int) {
	be := newBackend(b, backendName, "")
	st := be.open(b)
	sinks := newSinks(b, benchHosts)
	addFollowers(b, st, benchFollowers, sinks.hosts, shared, be.addConcurrency)
	perNotice := benchFollowers
	if shared {
		perNotice = benchHosts
	}

	// Replica 0 publishes; every replica delivers, from its own store handle (its own connections to the
	// same file or Redis database) and with its own client, as separate processes would.
	outboxes := make([]*outbox.Outbox, replicas)
	claims := make([]*claimCounter, replicas)
	for i := range outboxes {
		s := st
		if i > 0 {
			s = be.open(b)
		}
		claims[i] = &claimCounter{Store: s}
		outboxes[i] = newOutbox(claims[i], workers, "replica-"+strconv.Itoa(i))
		runOutbox(b, outboxes[i])
	}

	ctx := context.Background()
	start := time.Now()
	machine0, machineOK := loadtest.MachineCPU()
	own0, _ := loadtest.ProcessCPU(0)
	ownServer0 := be.serverCPU(b)
	before, sigBefore := signingCeiling(b)
	notices := 0
	cpu0, cpuOK := loadtest.ProcessCPU(0)
	server0 := be.serverCPU(b)
	scripts0 := be.serverScriptTime(b)
	for b.Loop() {
		notices++
		sinks.expect(int64(notices * perNotice))
		pub, err := outboxes[0].PublishNotice(ctx, benchNotice(notices))
		if err != nil {
			b.Fatal(err)
		}
		if pub.Queued != perNotice {
			b.Fatalf("queued %d deliveries, want %d", pub.Queued, perNotice)
		}
		// A replica polls the queue every second; nudge the others too, so the benchmark measures
		// delivery rather than that poll.
		for _, ob := range outboxes[1:] {
			ob.Nudge()
		}
		sinks.wait(b, st, 3*time.Minute)
	}
	elapsed := b.Elapsed()
	cpu1, _ := loadtest.ProcessCPU(0)
	server1 := be.serverCPU(b)
	scripts1 := be.serverScriptTime(b)
	be.logCommandStats(b)
	after, sigAfter := signingCeiling(b)
	ceiling := (before + after) / 2
	machine1, _ := loadtest.MachineCPU()
	own1, _ := loadtest.ProcessCPU(0)
	ownServer1 := be.serverCPU(b)

	delivered := notices * perNotice
	sinks.checkExactlyOnce(b, notices, perNotice)
	rate := float64(delivered) / elapsed.Seconds()
	b.ReportMetric(rate, "deliveries/s")
	b.ReportMetric(ceiling, "ceiling/s")
	b.ReportMetric(rate/ceiling, "ratio")
	b.ReportMetric(math.Abs(after-before)/ceiling, "ceiling-drift")
	var calls int64
	for _, c := range claims {
		calls += c.calls.Load()
	}
	b.ReportMetric(float64(calls)/float64(delivered), "claims/delivery")
	b.ReportMetric(float64(sinks.conns.Load())/float64(delivered), "conns/delivery")
	if cpuOK {
		cpu := cpu1 - cpu0 + server1 - server0
		perDelivery := float64(cpu) / float64(time.Microsecond) / float64(delivered)
		signature := float64(sigBefore+sigAfter) / 2 / float64(time.Microsecond)
		b.ReportMetric(perDelivery, "cpu-µs/delivery")
		b.ReportMetric(signature, "sig-cpu-µs")
		b.ReportMetric(perDelivery-signature, "extra-cpu-µs/delivery")
		b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cpus-busy")
		if be.redis != nil {
			b.ReportMetric(float64(server1-server0)/float64(time.Microsecond)/float64(delivered), "redis-cpu-µs/delivery")
			b.ReportMetric(float64(server1-server0)/float64(cpu), "redis-cpu-share")
			b.ReportMetric(float64(scripts1-scripts0)/float64(time.Microsecond)/float64(delivered), "redis-script-µs/delivery")
		}
	}
	if machineOK && cpuOK {
		other := machine1 - machine0 - (own1 - own0) - (ownServer1 - ownServer0)
		b.ReportMetric(max(0, other.Seconds()/time.Since(start).Seconds()), "other-cpus")
	}
	if replicas > 1 {
		b.ReportMetric(sinks.share("replica-1"), "replica-1-share")
	}
}

// BenchmarkFanOutFailedBacklog is the shared-inbox fan-out of BenchmarkFanOut (16 workers) on a queue
// that also holds deliveries given up earlier (to dead servers): the store keeps those, for operators,
// and the fan-out should not slow down because of them.
func BenchmarkFanOutFailedBacklog(b *testing.B) {
	for _, backend := range backends {
		b.Run("store="+backend, func(b *testing.B) {
			for _, failed := range []int{0, 2_000, 20_000} {
				b.Run(fmt.Sprintf("failed=%d", failed), func(b *testing.B) {
					be := newBackend(b, backend, "")
					st := be.open(b)
					addFailedDeliveries(b, st, failed)
					sinks := newSinks(b, benchHosts)
					addFollowers(b, st, benchFollowers, sinks.hosts, true, be.addConcurrency)
					ob := newOutbox(st, 16, "backlog")
					runOutbox(b, ob)
					ctx := context.Background()
					notices := 0
					for b.Loop() {
						notices++
						sinks.expect(int64(notices * benchHosts))
						if _, err := ob.PublishNotice(ctx, benchNotice(notices)); err != nil {
							b.Fatal(err)
						}
						sinks.wait(b, st, 3*time.Minute)
					}
					b.ReportMetric(float64(notices*benchHosts)/b.Elapsed().Seconds(), "deliveries/s")
				})
			}
		})
	}
}

// addFailedDeliveries leaves n deliveries given up in the store, as a server that has been delivering
// for a while has: queued to inboxes on a dead host, claimed, and failed.
func addFailedDeliveries(b *testing.B, st store.Store, n int) {
	b.Helper()
	if n == 0 {
		return
	}
	ctx := context.Background()
	inboxes := make([]string, n)
	for i := range inboxes {
		inboxes[i] = "https://gone.example/users/u" + strconv.Itoa(i) + "/inbox"
	}
	if err := st.Enqueue(ctx, store.Activity{ID: "https://notices.example.org/old", Signer: "xz", Body: []byte(`{}`)}, inboxes); err != nil {
		b.Fatal(err)
	}
	for failed := 0; failed < n; {
		batch, err := st.Claim(ctx, time.Now(), 1000, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range batch {
			if err := st.Fail(ctx, d.ID, "connection refused"); err != nil {
				b.Fatal(err)
			}
		}
		failed += len(batch)
	}
}

// BenchmarkFanOutMemory publishes one notice to many followers (personal inboxes on 10 hosts, so one
// delivery each, the worst case) and delivers the first 20,000 of them, sampling the Go heap and the process's
// resident memory all along. Followers are streamed inside the database (SQLite's INSERT … SELECT, or
// the Redis store's Lua script), so the peaks should not grow with the follower list. On Redis, where
// the queue lives, it also reports Redis's own memory (INFO memory): before publishing, its peak, and
// at the end (used_memory, and the resident set).
func BenchmarkFanOutMemory(b *testing.B) {
	for _, backend := range backends {
		b.Run("store="+backend, func(b *testing.B) {
			for _, field := range strings.Split(*memoryFollowers, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(field))
				if err != nil || n <= 0 {
					b.Fatalf("-baton.memory-followers: %q is not a follower count", field)
				}
				b.Run(fmt.Sprintf("followers=%d", n), func(b *testing.B) { benchFanOutMemory(b, backend, n) })
			}
		})
	}
}

func benchFanOutMemory(b *testing.B, backendName string, followers int) {
	be := newBackend(b, backendName, *redisQuery)
	st := be.open(b)
	sinks := newSinks(b, memoryHosts)
	addFollowers(b, st, followers, sinks.hosts, false, be.addConcurrency)
	ob := newOutbox(st, 16, "memory")

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseHeap := ms.HeapAlloc
	baseRSS, _ := residentBytes()
	var redisBase uint64
	if be.redis != nil {
		redisBase, _, _ = be.serverMemory(b)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ob.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })

	sampler := startMemorySampler(10 * time.Millisecond)
	var enqueue time.Duration
	want := min(memoryDeliveries, followers)
	notices := 0
	for b.Loop() {
		notices++
		sinks.expect(int64(notices * want))
		start := time.Now()
		pub, err := ob.PublishNotice(ctx, benchNotice(notices))
		if err != nil {
			b.Fatal(err)
		}
		enqueue += time.Since(start)
		if pub.Queued != followers {
			b.Fatalf("queued %d deliveries, want %d", pub.Queued, followers)
		}
		sinks.waitCount(b, 5*time.Minute)
	}
	elapsed := b.Elapsed()
	peakHeap, peakRSS := sampler.stop()

	const mb = 1 << 20
	b.ReportMetric(float64(baseHeap)/mb, "base-heap-MB")
	b.ReportMetric(float64(peakHeap)/mb, "peak-heap-MB")
	if peakRSS > 0 {
		b.ReportMetric(float64(baseRSS)/mb, "base-rss-MB")
		b.ReportMetric(float64(peakRSS)/mb, "peak-rss-MB")
	}
	b.ReportMetric(enqueue.Seconds()/float64(notices), "enqueue-s")
	b.ReportMetric(float64(notices*want)/elapsed.Seconds(), "deliveries/s")
	if be.redis != nil {
		redisEnd, redisPeak, redisRSS := be.serverMemory(b)
		b.ReportMetric(float64(redisBase)/mb, "redis-base-MB")
		b.ReportMetric(float64(redisPeak)/mb, "redis-peak-MB")
		b.ReportMetric(float64(redisEnd)/mb, "redis-end-MB")
		b.ReportMetric(float64(redisRSS)/mb, "redis-rss-MB")
	}
}

var benchURLs = func() federation.URLs {
	u, err := federation.NewURLs("https://notices.example.org")
	if err != nil {
		panic(err)
	}
	return u
}()

// newOutbox makes an Outbox as `baton serve` does, with a real client allowed to reach loopback; name
// goes in its User-Agent, so the test inboxes can tell replicas apart.
func newOutbox(st store.Store, workers int, name string) *outbox.Outbox {
	return outbox.New(outbox.Options{
		Store:  st,
		URLs:   benchURLs,
		Client: federation.NewClient(federation.ClientOptions{AllowPrivate: true, UserAgent: name}),
		Log:    slog.New(slog.DiscardHandler),
		Config: outbox.Config{Workers: workers},
	})
}

// claimCounter counts the store's Claim calls: each is one write transaction, so how many deliveries
// one claim takes matters as much as what a delivery costs.
type claimCounter struct {
	store.Store
	calls atomic.Int64
}

func (c *claimCounter) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Delivery, error) {
	c.calls.Add(1)
	return c.Store.Claim(ctx, now, limit, lease)
}

// runOutbox delivers with ob until the benchmark ends.
func runOutbox(b *testing.B, ob *outbox.Outbox) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ob.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
}

// benchNotice is the i-th notice: an infrastructure change, which leaves the project's status (and so
// its profile) as it was, so publishing it queues exactly one activity per inbox.
func benchNotice(i int) notice.Notice {
	return notice.Notice{Project: "xz", Kind: notice.InfraChange,
		Text: fmt.Sprintf("Notice %d: the security contact is now security@example.org.", i)}
}

// sinks are the remote inboxes: one cheap test server per host, answering 202 to every POST and
// counting what arrived, per inbox URL and per sender.
type sinks struct {
	hosts []string // base URLs: http://127.0.0.1:PORT

	total atomic.Int64
	want  atomic.Int64
	done  chan struct{}
	conns atomic.Int64 // connections accepted

	mu     sync.Mutex
	inbox  map[string]int // inbox URL -> deliveries received
	sender map[string]int // User-Agent -> deliveries sent
}

func newSinks(b *testing.B, hosts int) *sinks {
	b.Helper()
	s := &sinks{done: make(chan struct{}, 1), inbox: map[string]int{}, sender: map[string]int{}}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		key := "http://" + r.Host + r.URL.Path
		ua := r.Header.Get("User-Agent")
		s.mu.Lock()
		s.inbox[key]++
		s.sender[ua]++
		s.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		if s.total.Add(1) == s.want.Load() {
			select {
			case s.done <- struct{}{}:
			default:
			}
		}
	})
	for range hosts {
		srv := httptest.NewUnstartedServer(handler)
		srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
			if state == http.StateNew {
				s.conns.Add(1)
			}
		}
		srv.Start()
		b.Cleanup(srv.Close)
		s.hosts = append(s.hosts, srv.URL)
	}
	return s
}

// expect sets the total number of deliveries after which wait returns.
func (s *sinks) expect(n int64) {
	s.want.Store(n)
	if s.total.Load() >= n {
		select {
		case s.done <- struct{}{}:
		default:
		}
	}
}

// waitCount waits until the inboxes received what expect said.
func (s *sinks) waitCount(b *testing.B, timeout time.Duration) {
	b.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for s.total.Load() < s.want.Load() {
		select {
		case <-s.done:
		case <-timer.C:
			b.Fatalf("after %v the inboxes received %d deliveries of %d", timeout, s.total.Load(), s.want.Load())
		}
	}
}

// wait waits until the inboxes received what expect said and the queue is empty: every delivery was
// answered and recorded as completed.
func (s *sinks) wait(b *testing.B, q store.Queue, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	s.waitCount(b, timeout)
	for {
		n, err := q.QueueDepth(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("after %v, %d deliveries are still queued", timeout, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkExactlyOnce checks that every inbox received every notice exactly once.
func (s *sinks) checkExactlyOnce(b *testing.B, notices, inboxes int) {
	b.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.inbox) != inboxes {
		b.Errorf("%d inboxes received deliveries, want %d", len(s.inbox), inboxes)
	}
	for inbox, n := range s.inbox {
		if n != notices {
			b.Errorf("%s received %d deliveries for %d notices", inbox, n, notices)
			return
		}
	}
}

// share is the fraction of the deliveries the sender named made.
func (s *sinks) share(sender string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	for _, n := range s.sender {
		total += n
	}
	if total == 0 {
		return 0
	}
	return float64(s.sender[sender]) / float64(total)
}

// signingCeiling is the number of RSA-2048 signatures per second httpsign makes on this machine, on
// GOMAXPROCS goroutines, measured for 1.5 s, and the process's CPU time per signature meanwhile (0
// without /proc).
func signingCeiling(b *testing.B) (float64, time.Duration) {
	b.Helper()
	perSecond, perSignature, err := loadtest.SigningCeiling(1500 * time.Millisecond)
	if err != nil {
		b.Fatal(err)
	}
	return perSecond, perSignature
}

// residentBytes is the process's resident set size (VmRSS), 0 and false where /proc is missing.
func residentBytes() (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// memorySampler keeps the highest Go heap (HeapAlloc) and resident set seen.
type memorySampler struct {
	stopc chan struct{}
	done  chan struct{}
	heap  uint64
	rss   uint64
}

func startMemorySampler(every time.Duration) *memorySampler {
	m := &memorySampler{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			m.heap = max(m.heap, ms.HeapAlloc)
			if rss, ok := residentBytes(); ok {
				m.rss = max(m.rss, rss)
			}
			select {
			case <-m.stopc:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

func (m *memorySampler) stop() (heap, rss uint64) {
	close(m.stopc)
	<-m.done
	return m.heap, m.rss
}
