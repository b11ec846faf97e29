package redis

import (
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"baton/internal/redistest"
	"baton/store"
)

// TestFanOutResumesAfterCrash publishes to 2,500 inboxes (a fan-out job of three steps), runs one
// step, changes the followers, kills Redis (append-only file fsynced on every write) and starts it
// again: the job goes on from its cursor, each inbox gets the notice once, a follower who left before
// the job reached them gets nothing, nor one who followed after the notice, and the job leaves nothing
// behind.
func TestFanOutResumesAfterCrash(t *testing.T) {
	srv, err := redistest.Start(true)
	srv = redistest.Require(t, srv, err)
	t.Cleanup(srv.Stop)
	s := openTest(t, srv.URL(0), true)
	ctx := t.Context()
	const followers = 2500
	if err := s.CreateActor(ctx, store.Actor{Name: "xz", Kind: store.KindProject, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range followers {
		f := benchFollower(i, followers)
		if err := s.AddFollower(ctx, f); err != nil {
			t.Fatal(err)
		}
		if i != 2000 {
			want = append(want, f.SharedInbox)
		}
	}
	n := store.Notice{ID: 1, Actor: "xz", Public: true, Document: []byte(`{}`), Published: time.Now()}
	a := store.Activity{ID: "https://baton.example/xz/notices/1/activity", Signer: "xz", Body: []byte(`{}`)}
	if queued, err := s.PublishNotice(ctx, n, a, store.AnyRevision); err != nil || queued != followers {
		t.Fatalf("PublishNotice = %d, %v; want %d", queued, err, followers)
	}
	if more, err := s.run(ctx, expandFanOuts).Int(); err != nil || more != 1 {
		t.Fatalf("expansion step = %d, %v; want 1", more, err)
	}
	if _, err := s.RemoveFollower(ctx, "xz", benchFollower(2000, followers).Actor); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFollower(ctx, benchFollower(followers, followers+1)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, srv.URL(0), false)
	var got []string
	var last int64
	for {
		ds, err := s.Claim(ctx, time.Now(), 300, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			break
		}
		for _, d := range ds {
			if d.ID <= last {
				t.Fatalf("claimed delivery %d after %d: not in the order queued", d.ID, last)
			}
			last = d.ID
			got = append(got, d.Inbox)
		}
		if err := s.Complete(ctx, deliveryIDsOf(ds)...); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("delivered to %d inboxes, want %d (each once, all but the follower who left)", len(got), len(want))
	}
	left, err := s.c.Keys(ctx, s.k.p+"fanout*").Result()
	if err != nil || len(left) != 0 {
		t.Fatalf("keys left by the fan-out: %q (%v)", left, err)
	}
	if n, err := s.c.Exists(ctx, s.k.queue("fanouts"), s.k.activity("1")).Result(); err != nil || n != 0 {
		t.Fatalf("%d of queue:fanouts and the delivered activity left (%v)", n, err)
	}
	if n, err := s.QueueDepth(ctx); err != nil || n != 0 {
		t.Fatalf("QueueDepth = %d, %v; want 0", n, err)
	}
}

func deliveryIDsOf(ds []store.Delivery) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// TestClaimDropsWhatAReplacementLeft replaces a profile Update queued to 600 inboxes without taking its
// deliveries off (as when a crash ends the steps that take them off): claims drop every untried one
// they meet, deliver only the newer Update, each inbox once, and keep the one that was tried.
func TestClaimDropsWhatAReplacementLeft(t *testing.T) {
	const followers = 600
	s := projectWithFollowers(t, followers)
	ctx := t.Context()
	const updates = "https://baton.example/users/xz#updates/"
	now := time.Now()
	old := store.Activity{ID: updates + "1", Signer: "xz", Body: []byte(`{"n":1}`)}
	if _, err := s.EnqueueFollowersReplacing(ctx, "xz", old, now, now, updates); err != nil {
		t.Fatal(err)
	}
	for more := 1; more == 1; {
		var err error
		if more, err = s.run(ctx, expandFanOuts).Int(); err != nil {
			t.Fatal(err)
		}
	}
	tried, err := s.Claim(ctx, now, 1, time.Hour)
	if err != nil || len(tried) != 1 {
		t.Fatalf("Claim = %d, %v; want one", len(tried), err)
	}
	if err := s.Retry(ctx, tried[0].ID, now, "503"); err != nil {
		t.Fatal(err)
	}

	newer := store.Activity{ID: updates + "2", Signer: "xz", Body: []byte(`{"n":2}`)}
	from, to := lexRange(updates)
	args := append([]any{"xz", micros(now), micros(now.Add(time.Minute)), from, to}, activityArgs(newer)...)
	if err := s.run(ctx, enqueueFollowersReplacing, args...).Err(); err != nil { // the script alone: no purge after it
		t.Fatal(err)
	}
	got := map[string]int{}
	for {
		ds, err := s.Claim(ctx, now.Add(time.Minute), 100, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			break
		}
		for _, d := range ds {
			got[d.Activity.ID+" "+d.Inbox]++
		}
	}
	if len(got) != followers+1 || got[old.ID+" "+tried[0].Inbox] != 1 {
		t.Fatalf("claimed %d distinct deliveries, the tried one of the old Update %d times; want the newer Update to each of %d inboxes and the tried one", len(got), got[old.ID+" "+tried[0].Inbox], followers)
	}
	for k, n := range got {
		if n != 1 || (!strings.HasPrefix(k, newer.ID+" ") && k != old.ID+" "+tried[0].Inbox) {
			t.Fatalf("claimed %q %d times", k, n)
		}
	}
}

// TestDeliveryStatusInSteps reads the status of a notice queued to 2,500 inboxes, more than one step
// reads: every delivery counts once, each as it stands.
func TestDeliveryStatusInSteps(t *testing.T) {
	const followers = 2500
	s := projectWithFollowers(t, followers)
	ctx := t.Context()
	n := store.Notice{ID: 1, Actor: "xz", Public: true, Document: []byte(`{}`), Published: time.Now()}
	a := store.Activity{ID: "https://baton.example/xz/notices/1/activity", Signer: "xz", Body: []byte(`{}`)}
	if _, err := s.PublishNotice(ctx, n, a, store.AnyRevision); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Claim(ctx, time.Now(), 30, time.Hour) // the first step of the fan-out queues 500
	if err != nil || len(ds) != 30 {
		t.Fatalf("Claim = %d, %v; want 30", len(ds), err)
	}
	for more := 1; more == 1; { // the rest of the fan-out queued
		if more, err = s.run(ctx, expandFanOuts).Int(); err != nil {
			t.Fatal(err)
		}
	}
	var hosts []store.HostDeliveries
	for i, d := range ds {
		switch i / 10 {
		case 0:
			noErr(t, s.Complete(ctx, d.ID))
		case 1:
			noErr(t, s.Fail(ctx, d.ID, "410 Gone"))
			hosts = append(hosts, store.HostDeliveries{Host: hostOf(t, d.Inbox), Failed: 1, LastError: "410 Gone"})
		default:
			noErr(t, s.Retry(ctx, d.ID, time.Now().Add(time.Hour), "503"))
			hosts = append(hosts, store.HostDeliveries{Host: hostOf(t, d.Inbox), Retrying: 1, LastError: "503"})
		}
	}
	slices.SortFunc(hosts, func(x, y store.HostDeliveries) int { return strings.Compare(x.Host, y.Host) })
	got, err := s.DeliveryStatus(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := store.ActivityDeliveries{ActivityID: a.ID, Queued: followers - 20, Retrying: 10, Failed: 10, Delivered: 10, Hosts: hosts}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("DeliveryStatus\n got %+v\nwant %+v", got, want)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func hostOf(t *testing.T, inbox string) string {
	u, err := url.Parse(inbox)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// projectWithFollowers is a fresh store with the project xz and n followers, each on a host of its own.
func projectWithFollowers(t *testing.T, n int) *Store {
	s := openTest(t, needRedis(t), true)
	if err := s.CreateActor(t.Context(), store.Actor{Name: "xz", Kind: store.KindProject, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := s.AddFollower(t.Context(), benchFollower(i, n)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}
