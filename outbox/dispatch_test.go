package outbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/store"
)

// gatedInboxes are receiving servers that hold every request until the gate opens, counting the
// requests that arrived.
type gatedInboxes struct {
	gate    chan struct{}
	arrived atomic.Int64
	once    sync.Once
}

func newGatedInboxes(t *testing.T, f *fixture, n int) *gatedInboxes {
	g := &gatedInboxes{gate: make(chan struct{})}
	for i := range n {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			g.arrived.Add(1)
			<-g.gate
			w.WriteHeader(http.StatusAccepted)
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(g.open) // before srv.Close, which waits for the requests it holds
		f.follow(t, fmt.Sprintf("reader%d", i), &inbox{Server: srv})
	}
	return g
}

func (g *gatedInboxes) open() { g.once.Do(func() { close(g.gate) }) }

// releases is a store that counts the deliveries given back to the queue.
type releases struct {
	store.Store
	n atomic.Int64
}

func (r *releases) Release(ctx context.Context, ids ...int64) error {
	r.n.Add(int64(len(ids)))
	return r.Store.Release(ctx, ids...)
}

// A stopping outbox gives back what it claimed ahead and did not begin: a restart delivers it at once
// rather than after the lease.
func TestStoppingGivesBackWhatWasClaimedAhead(t *testing.T) {
	f := newFixture(t)
	const followers = 7 // more than the two workers, fewer than what one claim takes (claimAhead each)
	g := newGatedInboxes(t, f, followers)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.outbox.Run(ctx); close(done) }()
	if _, err := f.outbox.PublishNotice(context.Background(), publicCall()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both workers busy", func() bool { return g.arrived.Load() == 2 })
	if ds, err := f.store.Claim(context.Background(), f.clock.Now(), 100, time.Minute); err != nil || len(ds) != 0 {
		t.Fatalf("while the outbox runs, %d deliveries were free to claim (err %v); want all claimed by it", len(ds), err)
	}

	cancel()
	g.open() // the two in flight finish
	<-done
	if got := g.arrived.Load(); got != 2 {
		t.Fatalf("%d deliveries were made after the stop; want only the 2 in flight", got)
	}
	rest, err := f.store.Claim(context.Background(), f.clock.Now(), 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != followers-2 {
		t.Fatalf("after the stop, %d deliveries can be claimed at once; want the %d not begun", len(rest), followers-2)
	}
	for _, d := range rest {
		if d.Attempts != 0 {
			t.Fatalf("a delivery given back counts %d attempts; want none", d.Attempts)
		}
	}
}

// A delivery held while workers are slow is given back before half its lease is gone, and made once.
func TestSlowWorkersGiveBackWhatTheyCannotStartInTime(t *testing.T) {
	f := newFixture(t)
	counted := &releases{Store: f.store}
	f.outbox.store = counted
	const followers = 6
	g := newGatedInboxes(t, f, followers)
	f.run(t)
	pub, err := f.outbox.PublishNotice(context.Background(), publicCall())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both workers busy", func() bool { return g.arrived.Load() == 2 })
	if n := counted.n.Load(); n != 0 {
		t.Fatalf("%d deliveries given back before any lease was half gone", n)
	}
	f.clock.Advance(f.outbox.cfg.Lease/2 + time.Second)
	waitFor(t, "the held deliveries given back", func() bool { return counted.n.Load() == followers-2 })
	g.open()
	waitFor(t, "every delivery made", func() bool { return f.depth(t) == 0 })
	if got := g.arrived.Load(); got != followers {
		t.Fatalf("%d requests for %d followers (notice %d); want each once", got, followers, pub.Notice.ID)
	}
}
