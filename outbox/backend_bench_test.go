package outbox_test

// The stores the fan-out benchmarks run on: SQLite in a temporary directory, or Redis, a redis-server
// of its own per sub-benchmark, started by internal/redistest with the append-only file fsynced once a
// second (appendfsync everysec, the configuration the store recommends for production).

import (
	"context"
	"crypto/ed25519"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"baton/federation"
	"baton/internal/redistest"
	"baton/store"
	redisstore "baton/store/redis"
	"baton/store/sqlite"
)

// backends are the values of the store= level of the benchmarks' names.
var backends = []string{"sqlite", "redis"}

// backend is the data of one benchmark: open hands out store handles on it.
type backend struct {
	name string
	// open returns a new handle on the benchmark's data, with its own connections (to SQLite's file or
	// to Redis), as another replica's process would have; closed when the benchmark ends. The project
	// "xz" (no maintainers, so the admin publishes for it) exists.
	open func(b *testing.B) store.Store
	// redis reads Redis's INFO; nil on SQLite.
	redis *goredis.Client
	// addConcurrency is how many AddFollower calls addFollowers makes at once: 1 on SQLite, whose
	// writes take turns anyway; several on Redis, so that the calls overlap on the connections.
	addConcurrency int
}

// newBackend makes an empty store of the kind named. query is added to a Redis URL (go-redis's
// options, such as read_timeout=1m); it is ignored on SQLite.
func newBackend(b *testing.B, name, query string) *backend {
	b.Helper()
	switch name {
	case "sqlite":
		dir := b.TempDir()
		return &backend{name: name, addConcurrency: 1, open: func(b *testing.B) store.Store { return openStore(b, dir) }}
	case "redis":
		srv, err := redistest.StartWith(redistest.EverySec...)
		srv = redistest.Require(b, srv, err)
		b.Cleanup(srv.Stop)
		url := srv.URL(0)
		if query != "" {
			url += "?" + query
		}
		info := goredis.NewClient(&goredis.Options{Addr: srv.Addr, MaxRetries: -1, ReadTimeout: time.Minute})
		b.Cleanup(func() { info.Close() })
		return &backend{name: name, redis: info, addConcurrency: 16, open: func(b *testing.B) store.Store {
			b.Helper()
			st, err := redisstore.Open(context.Background(), url)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			ensureProject(b, st)
			return st
		}}
	}
	b.Fatalf("no backend %q", name)
	return nil
}

// openStore opens the SQLite store in dir, closed when the benchmark ends, with the project "xz".
func openStore(b *testing.B, dir string) *sqlite.Store {
	b.Helper()
	st, err := sqlite.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	ensureProject(b, st)
	return st
}

// ensureProject creates the project "xz", with no maintainers, unless it exists.
func ensureProject(b *testing.B, st store.Store) {
	b.Helper()
	if _, err := st.Actor(context.Background(), "xz"); err == nil {
		return
	}
	_, pemText, err := federation.NewRSAKey()
	if err != nil {
		b.Fatal(err)
	}
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = 1
	err = st.CreateActor(context.Background(), store.Actor{Name: "xz", Kind: store.KindProject, DisplayName: "XZ Utils",
		RSAKeyPEM: pemText, Ed25519Seed: seed, Created: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
}

// addFollowers adds n followers through the store's AddFollower, spread round-robin over hosts, with
// a shared inbox per host when shared is set, and personal inboxes only otherwise; concurrency calls at
// once.
func addFollowers(b *testing.B, st store.Store, n int, hosts []string, shared bool, concurrency int) {
	b.Helper()
	ctx := context.Background()
	created := time.Now()
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range max(1, concurrency) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				host := hosts[i%len(hosts)]
				actor := host + "/users/f" + strconv.Itoa(i)
				f := store.Follower{Local: "xz", Actor: actor, Inbox: actor + "/inbox", FollowID: host + "/follows/" + strconv.Itoa(i), Created: created}
				if shared {
					f.SharedInbox = host + "/inbox"
				}
				if err := st.AddFollower(ctx, f); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	if got, err := st.CountFollowers(ctx, "xz"); err != nil || got != n {
		b.Fatalf("%d followers (%v), want %d", got, err, n)
	}
}

// info reads the fields of one section of Redis's INFO.
func (be *backend) info(b *testing.B, section string) map[string]string {
	b.Helper()
	text, err := be.redis.Info(context.Background(), section).Result()
	if err != nil {
		b.Fatal(err)
	}
	fields := map[string]string{}
	for line := range strings.Lines(text) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			fields[k] = v
		}
	}
	return fields
}

// serverCPU is the CPU time (user and system, every thread) redis-server has used, from INFO cpu;
// 0 on SQLite, which runs in this process.
func (be *backend) serverCPU(b *testing.B) time.Duration {
	b.Helper()
	if be.redis == nil {
		return 0
	}
	f := be.info(b, "cpu")
	var total time.Duration
	for _, k := range []string{"used_cpu_sys", "used_cpu_user"} {
		s, err := strconv.ParseFloat(f[k], 64)
		if err != nil {
			b.Fatalf("INFO cpu: %s = %q", k, f[k])
		}
		total += time.Duration(s * float64(time.Second))
	}
	return total
}

// serverScriptTime is the time Redis spent running scripts (EVAL and EVALSHA, with the commands they
// call), from INFO commandstats; 0 on SQLite. What redis-server's CPU time has beyond it is mostly
// reading requests and writing answers, the append-only file, and its event loop. (The commands a
// script calls are counted in commandstats under their own names too, so summing every entry would
// count them twice.)
func (be *backend) serverScriptTime(b *testing.B) time.Duration {
	b.Helper()
	if be.redis == nil {
		return 0
	}
	stats := be.info(b, "commandstats")
	var total time.Duration
	for _, k := range []string{"cmdstat_evalsha", "cmdstat_eval"} {
		for field := range strings.SplitSeq(stats[k], ",") {
			if usec, ok := strings.CutPrefix(field, "usec="); ok {
				n, err := strconv.ParseInt(usec, 10, 64)
				if err != nil {
					b.Fatalf("INFO commandstats: %s = %q", k, stats[k])
				}
				total += time.Duration(n) * time.Microsecond
			}
		}
	}
	return total
}

// logCommandStats logs Redis's INFO commandstats (with -v): which commands, scripts' included, took
// Redis's time.
func (be *backend) logCommandStats(b *testing.B) {
	b.Helper()
	if be.redis == nil || !testing.Verbose() {
		return
	}
	text, err := be.redis.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	b.Log(text)
}

// serverMemory is Redis's used_memory, used_memory_peak and used_memory_rss (INFO memory), in bytes.
func (be *backend) serverMemory(b *testing.B) (used, peak, rss uint64) {
	b.Helper()
	f := be.info(b, "memory")
	read := func(k string) uint64 {
		n, err := strconv.ParseUint(f[k], 10, 64)
		if err != nil {
			b.Fatalf("INFO memory: %s = %q", k, f[k])
		}
		return n
	}
	return read("used_memory"), read("used_memory_peak"), read("used_memory_rss")
}
