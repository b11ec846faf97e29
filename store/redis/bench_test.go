package redis

// BenchmarkNewFollow measures AddFollower with 0, 10,000 and 100,000 followers already there: it
// should not grow with the list. BenchmarkPublishFanOut measures PublishNotice to 1,000, 10,000 and
// 1,000,000 distinct delivery inboxes, then claims (100 at a time, as a worker) until the fan-out job
// is all queued; it reports the cost per inbox, the publish and the expansion's times, and the longest
// single command or script Redis ran meanwhile (from SLOWLOG, set to log every command): Redis serves
// no one else while a script runs. Each benchmark starts a redis-server of its own, with the
// append-only file fsynced once a second (appendfsync everysec, the production recommendation), not the
// tests' server, which keeps nothing on disk. The existing followers are added through AddFollower, 16
// calls at once; they run only with -bench. BENCHMARKS.md at the repository root has the commands and
// the results.

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"baton/internal/redistest"
	"baton/store"
)

// benchStore is a store on a redis-server of the benchmark's own (appendfsync everysec), with the
// project "xz" and followers followers on distinctInboxes hosts with a shared inbox each.
func benchStore(b *testing.B, followers int, distinctInboxes int) *Store {
	srv, err := redistest.StartWith(redistest.EverySec...)
	srv = redistest.Require(b, srv, err)
	b.Cleanup(srv.Stop)
	s := openTest(b, srv.URL(0), true)
	ctx := b.Context()
	if err := s.CreateActor(ctx, store.Actor{Name: "xz", Kind: store.KindProject, Created: time.Now()}); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < followers; i = int(next.Add(1) - 1) {
				if err := s.AddFollower(ctx, benchFollower(i, distinctInboxes)); err != nil {
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
	return s
}

// benchFollower is the i-th follower, on one of hosts instances with a shared inbox.
func benchFollower(i, hosts int) store.Follower {
	host := "https://host" + strconv.Itoa(i%hosts) + ".example"
	actor := host + "/users/f" + strconv.Itoa(i)
	return store.Follower{Local: "xz", Actor: actor, Inbox: actor + "/inbox", SharedInbox: host + "/inbox",
		FollowID: host + "/follows/" + strconv.Itoa(i), Created: time.Now()}
}

func BenchmarkNewFollow(b *testing.B) {
	for _, existing := range []int{0, 10_000, 100_000} {
		b.Run(fmt.Sprintf("followers=%d", existing), func(b *testing.B) {
			s := benchStore(b, existing, 500)
			i := existing
			for b.Loop() {
				if err := s.AddFollower(b.Context(), benchFollower(i, 500)); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if n, err := s.CountFollowers(b.Context(), "xz"); err != nil || n != i {
				b.Fatalf("%d followers (%v), want %d", n, err, i)
			}
		})
	}
}

func BenchmarkPublishFanOut(b *testing.B) {
	for _, inboxes := range []int{1_000, 10_000, 1_000_000} {
		b.Run(fmt.Sprintf("inboxes=%d", inboxes), func(b *testing.B) {
			s := benchStore(b, inboxes, inboxes)
			ctx := b.Context()
			slowlogAll(b, s)
			a := store.Activity{ID: "https://baton.example/xz/notices/1/activity", Signer: "xz", Body: make([]byte, 2000)}
			var publishing, expanding time.Duration
			for b.Loop() {
				id, err := s.NextNoticeID(ctx)
				if err != nil {
					b.Fatal(err)
				}
				n := store.Notice{ID: id, Actor: "xz", Public: true, Document: make([]byte, 2000), Published: time.Now()}
				start := time.Now()
				if queued, err := s.PublishNotice(ctx, n, a, store.AnyRevision); err != nil || queued != inboxes {
					b.Fatalf("PublishNotice = %d, %v; want %d", queued, err, inboxes)
				}
				publishing += time.Since(start)
				start = time.Now()
				claimUntilQueued(b, s)
				expanding += time.Since(start)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*inboxes), "ns/inbox")
			b.ReportMetric(publishing.Seconds()*1000/float64(b.N), "publish-ms")
			b.ReportMetric(expanding.Seconds()*1000/float64(b.N), "expand-ms")
			b.ReportMetric(float64(longestCommand(b, s).Microseconds())/1000, "max-command-ms")
			reportStatus(b, s, a.ID, b.N*inboxes)
		})
	}
}

// reportStatus reads the DeliveryStatus of activity id, queued to want inboxes, and reports how long
// it took and the longest script it ran.
func reportStatus(b *testing.B, s *Store, id string, want int) {
	slowlogAll(b, s)
	start := time.Now()
	st, err := s.DeliveryStatus(b.Context(), id)
	took := time.Since(start)
	if err != nil || len(st) != 1 || st[0].Queued != want {
		b.Fatalf("DeliveryStatus = %+v, %v; want %d queued", st, err, want)
	}
	all, err := s.c.SlowLogGet(b.Context(), -1).Result()
	if err != nil {
		b.Fatal(err)
	}
	var longest time.Duration
	for _, e := range all {
		if len(e.Args) > 0 && e.Args[0] == "evalsha" {
			longest = max(longest, e.Duration)
		}
	}
	b.ReportMetric(took.Seconds()*1000, "status-ms")
	b.ReportMetric(float64(longest.Microseconds())/1000, "status-max-script-ms")
}

// BenchmarkReplaceUpdate measures EnqueueFollowersReplacing where the profile Update it replaces waits
// untried for 10,000 or 1,000,000 distinct inboxes, all queued (its fan-out job expanded): the time
// until the call returns (returned-ms), until the replaced deliveries are all taken off (ns/op), and the
// longest single command or script Redis ran meanwhile.
func BenchmarkReplaceUpdate(b *testing.B) {
	for _, inboxes := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("inboxes=%d", inboxes), func(b *testing.B) {
			s := benchStore(b, inboxes, inboxes)
			ctx := b.Context()
			const updates = "https://baton.example/users/xz#updates/"
			due := time.Now().Add(time.Hour)
			made := 0
			replace := func() {
				made++
				a := store.Activity{ID: fmt.Sprintf("%s%d", updates, made), Signer: "xz", Body: make([]byte, 2000)}
				if queued, err := s.EnqueueFollowersReplacing(ctx, "xz", a, due, time.Now(), updates); err != nil || queued != inboxes {
					b.Fatalf("EnqueueFollowersReplacing = %d, %v; want %d", queued, err, inboxes)
				}
			}
			replace()
			var longest, returned time.Duration
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				claimUntilQueued(b, s) // the Update waiting is all queued, due in an hour
				slowlogAll(b, s)
				b.StartTimer()
				start := time.Now()
				replace()
				returned += time.Since(start)
				s.background.Wait() // the replaced Update's deliveries taken off, in steps, beyond purgeWaited
				b.StopTimer()
				longest = max(longest, longestCommand(b, s))
				b.StartTimer()
			}
			b.StopTimer()
			if n, err := s.QueueDepth(ctx); err != nil || n != inboxes {
				b.Fatalf("QueueDepth = %d, %v; want %d: the newest Update's alone", n, err, inboxes)
			}
			b.ReportMetric(float64(longest.Microseconds())/1000, "max-command-ms")
			b.ReportMetric(returned.Seconds()*1000/float64(b.N), "returned-ms")
		})
	}
}

// claimUntilQueued claims 100 deliveries at a time, as a worker would, until no fan-out job waits:
// each claim first queues the next followers' deliveries of the job.
func claimUntilQueued(b *testing.B, s *Store) {
	ctx := b.Context()
	for {
		if _, err := s.Claim(ctx, time.Now(), 100, time.Hour); err != nil {
			b.Fatal(err)
		}
		waiting, err := s.c.Exists(ctx, s.k.queue("fanouts")).Result()
		if err != nil {
			b.Fatal(err)
		}
		if waiting == 0 {
			return
		}
	}
}

// slowlogAll makes Redis log every command from now on, with how long it ran.
func slowlogAll(b *testing.B, s *Store) {
	ctx := b.Context()
	for _, err := range []error{
		s.c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err(),
		s.c.ConfigSet(ctx, "slowlog-max-len", "1000000").Err(),
		s.c.Do(ctx, "SLOWLOG", "RESET").Err(),
	} {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// longestCommand is the longest run of one command (or script) in Redis's log.
func longestCommand(b *testing.B, s *Store) time.Duration {
	all, err := s.c.SlowLogGet(b.Context(), -1).Result()
	if err != nil {
		b.Fatal(err)
	}
	log := slices.DeleteFunc(all, func(e goredis.SlowLog) bool { // the benchmark's own: SLOWLOG RESET, CONFIG SET
		return len(e.Args) > 0 && (strings.EqualFold(e.Args[0], "slowlog") || strings.EqualFold(e.Args[0], "config"))
	})
	slices.SortFunc(log, func(a, b goredis.SlowLog) int { return cmp.Compare(b.Duration, a.Duration) })
	var scripts []time.Duration // longest first
	for _, e := range log {
		if len(e.Args) > 0 && e.Args[0] == "evalsha" {
			scripts = append(scripts, e.Duration)
		}
	}
	if len(scripts) > 0 {
		b.ReportMetric(float64(scripts[len(scripts)/2].Microseconds())/1000, "median-script-ms")
		b.ReportMetric(float64(scripts[len(scripts)/100].Microseconds())/1000, "p99-script-ms")
	}
	for _, e := range log[:min(5, len(log))] { // with -v, what the longest were
		b.Logf("%v: %.60q", e.Duration, e.Args)
	}
	if len(log) == 0 {
		return 0
	}
	return log[0].Duration
}
