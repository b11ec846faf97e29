package redis

// BenchmarkNewFollow measures AddFollower with 0, 10,000 and 100,000 followers already there: it
// should not grow with the list. BenchmarkPublishFanOut measures PublishNotice to 1,000 and 10,000
// distinct delivery inboxes, and reports the cost per inbox that the package comment quotes (Redis
// serves no one else while the script runs). Each benchmark starts a redis-server of its own, with the
// append-only file fsynced once a second (appendfsync everysec, the production recommendation), not the
// tests' server, which keeps nothing on disk. The existing followers are added through AddFollower, 16
// calls at once; they run only with -bench. BENCHMARKS.md at the repository root has the commands and
// the results.

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	for _, inboxes := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("inboxes=%d", inboxes), func(b *testing.B) {
			s := benchStore(b, inboxes, inboxes)
			ctx := b.Context()
			a := store.Activity{ID: "https://baton.example/xz/notices/1/activity", Signer: "xz", Body: make([]byte, 2000)}
			for b.Loop() {
				id, err := s.NextNoticeID(ctx)
				if err != nil {
					b.Fatal(err)
				}
				n := store.Notice{ID: id, Actor: "xz", Public: true, Document: make([]byte, 2000), Published: time.Now()}
				if queued, err := s.PublishNotice(ctx, n, a, store.AnyRevision); err != nil || queued != inboxes {
					b.Fatalf("PublishNotice = %d, %v; want %d", queued, err, inboxes)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*inboxes), "ns/inbox")
		})
	}
}
