package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"baton/store"
)

func inboxes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("https://host%03d.example/inbox", i)
	}
	return out
}

func activity(name string) store.Activity {
	return store.Activity{
		ID:     "https://baton.example/activities/" + name,
		Signer: "xz",
		Body:   []byte(`{"type":"Announce","id":"` + name + `","bytes":"` + "\x00\x01\xff" + `"}`),
	}
}

func enqueue(t *testing.T, s store.Store, a store.Activity, to ...string) {
	t.Helper()
	noErr(t, "Enqueue", s.Enqueue(ctx(t), a, to))
}

// claimAll claims everything due at now with a lease, and checks how many there were.
func claimAll(t *testing.T, s store.Store, now time.Time, lease time.Duration, want int) []store.Delivery {
	t.Helper()
	ds := claim(t, s, now, 1000, lease)
	if len(ds) != want {
		t.Fatalf("claimed %d deliveries (inboxes %q), want %d", len(ds), deliveryInboxes(ds), want)
	}
	return ds
}

func testQueue(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("EnqueueAndDepth", func(t *testing.T) {
		s := open(t)
		wantDepth(t, s, 0)
		wantNoClaim(t, s, "empty queue", time.Now())
		enqueue(t, s, activity("a"), inboxes(3)...)
		wantDepth(t, s, 3)
		enqueue(t, s, activity("b"), inboxes(7)[3:]...)
		wantDepth(t, s, 7)
		enqueue(t, s, activity("nowhere")) // to no inbox: nothing queued, no error
		wantDepth(t, s, 7)
		// Claiming leases; it does not take anything off the queue.
		claimAll(t, s, time.Now(), time.Minute, 7)
		wantDepth(t, s, 7)
	})

	t.Run("EnqueueFollowers", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz", "zlib")
		for _, f := range []store.Follower{
			{Local: "xz", Actor: "https://a.example/users/1", Inbox: "https://a.example/users/1/inbox", SharedInbox: "https://a.example/inbox"},
			{Local: "xz", Actor: "https://a.example/users/2", Inbox: "https://a.example/users/2/inbox", SharedInbox: "https://a.example/inbox"},
			{Local: "xz", Actor: "https://b.example/users/3", Inbox: "https://b.example/users/3/inbox"},
			{Local: "zlib", Actor: "https://c.example/users/4", Inbox: "https://c.example/users/4/inbox"},
		} {
			noErr(t, "AddFollower", s.AddFollower(ctx(t), f))
		}
		n, err := s.EnqueueFollowers(ctx(t), "xz", activity("update"))
		noErr(t, "EnqueueFollowers", err)
		wantInt(t, "deliveries queued for xz's followers", n, 2)
		ds := claimAll(t, s, time.Now(), time.Minute, 2)
		wantStrings(t, "inboxes", sortedInboxes(ds), []string{"https://a.example/inbox", "https://b.example/users/3/inbox"})
		if !sameActivity(ds[0].Activity, activity("update")) {
			t.Fatalf("the queued activity changed: %+v", ds[0].Activity)
		}
		n, err = s.EnqueueFollowers(ctx(t), "nobody-follows", activity("lonely"))
		noErr(t, "EnqueueFollowers without followers", err)
		wantInt(t, "deliveries queued without followers", n, 0)
	})

	t.Run("EnqueueFollowersReplacing", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz")
		for _, f := range []store.Follower{
			{Local: "xz", Actor: "https://a.example/users/1", Inbox: "https://a.example/users/1/inbox", SharedInbox: "https://a.example/inbox"},
			{Local: "xz", Actor: "https://a.example/users/2", Inbox: "https://a.example/users/2/inbox", SharedInbox: "https://a.example/inbox"},
			{Local: "xz", Actor: "https://b.example/users/3", Inbox: "https://b.example/users/3/inbox"},
		} {
			noErr(t, "AddFollower", s.AddFollower(ctx(t), f))
		}
		const updates = "https://baton.example/users/xz#updates/"
		update := func(n int) store.Activity {
			return store.Activity{ID: fmt.Sprintf("%s%d", updates, n), Signer: "xz", Body: fmt.Appendf(nil, `{"type":"Update","n":%d}`, n)}
		}
		replace := func(a store.Activity, due, now time.Time) {
			t.Helper()
			n, err := s.EnqueueFollowersReplacing(ctx(t), "xz", a, due, now, updates)
			noErr(t, "EnqueueFollowersReplacing", err)
			wantInt(t, "deliveries queued", n, 2)
		}
		t0 := time.Now().Truncate(time.Second)
		enqueue(t, s, store.Activity{ID: "https://baton.example/users/xzz#updates/1", Signer: "xzz", Body: []byte(`{}`)}, "https://c.example/inbox")
		replace(update(1), t0.Add(time.Minute), t0)
		// A notice published after the Update is delivered before it: the Update waits for its time.
		_, err := s.EnqueueFollowers(ctx(t), "xz", activity("notice"))
		noErr(t, "EnqueueFollowers", err)
		ds := claimAll(t, s, t0, time.Minute, 3)
		for _, d := range ds {
			if d.Activity.ID == update(1).ID {
				t.Fatalf("an Update due in a minute was claimed at once")
			}
		}
		noErr(t, "Complete", s.Complete(ctx(t), ds[0].ID, ds[1].ID, ds[2].ID))

		// A second change within the minute replaces the Update waiting, and keeps its time.
		replace(update(2), t0.Add(90*time.Second), t0.Add(30*time.Second))
		wantDepth(t, s, 2)
		wantNoClaim(t, s, "before the first Update's time", t0.Add(59*time.Second))
		ds = claimAll(t, s, t0.Add(time.Minute), time.Minute, 2)
		wantStrings(t, "inboxes", sortedInboxes(ds), []string{"https://a.example/inbox", "https://b.example/users/3/inbox"})
		for _, d := range ds {
			if !sameActivity(d.Activity, update(2)) {
				t.Fatalf("claimed %s, want the newer Update", d.Activity.ID)
			}
		}
		noErr(t, "Complete", s.Complete(ctx(t), ds[0].ID, ds[1].ID))

		// What was tried, or is leased, stays: only what waits untried is replaced.
		t1 := t0.Add(2 * time.Minute)
		replace(update(3), t1, t1)
		ds = claimAll(t, s, t1, 10*time.Minute, 2)
		noErr(t, "Retry", s.Retry(ctx(t), ds[0].ID, t1.Add(time.Minute), "503"))
		replace(update(4), t1.Add(2*time.Minute), t1.Add(time.Second))
		wantDepth(t, s, 4)
		ds = claimAll(t, s, t1.Add(5*time.Minute), time.Minute, 3) // the retry, and update 4; one of update 3 is still leased
		got := map[string]int{}
		for _, d := range ds {
			got[d.Activity.ID]++
		}
		if got[update(3).ID] != 1 || got[update(4).ID] != 2 {
			t.Fatalf("claimed %v, want one delivery of update 3 and two of update 4", got)
		}
	})

	t.Run("ClaimReturnsDeliveriesIntact", func(t *testing.T) {
		s := open(t)
		before := time.Now()
		a := activity("intact")
		instance := store.Activity{ID: "https://baton.example/actor#update", Signer: "", Body: []byte(`{"type":"Update"}`)}
		enqueue(t, s, a, "https://one.example/inbox", "https://two.example/inbox")
		enqueue(t, s, instance, "https://three.example/inbox")
		after := time.Now()
		ds := claimAll(t, s, after, time.Minute, 3)
		ids := map[int64]bool{}
		for _, d := range ds {
			ids[d.ID] = true
			want := a
			if d.Inbox == "https://three.example/inbox" {
				want = instance
			}
			if !sameActivity(d.Activity, want) {
				t.Fatalf("delivery to %s carries\n %+v (body %q)\nwant %+v (body %q)", d.Inbox, d.Activity, d.Activity.Body, want, want.Body)
			}
			wantInt(t, "Attempts", d.Attempts, 0)
			if d.Created.Before(before.Add(-time.Second)) || d.Created.After(after.Add(time.Second)) {
				t.Fatalf("Created = %v, want between %v and %v", d.Created, before, after)
			}
		}
		wantInt(t, "distinct delivery ids", len(ids), 3)
		wantStrings(t, "inboxes", sortedInboxes(ds), []string{"https://one.example/inbox", "https://three.example/inbox", "https://two.example/inbox"})
	})

	t.Run("ClaimRespectsLimit", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, activity("a"), inboxes(5)...)
		now := time.Now()
		seen := map[int64]bool{}
		for _, tc := range []struct{ limit, want int }{{2, 2}, {1, 1}, {10, 2}, {10, 0}} {
			ds := claim(t, s, now, tc.limit, time.Hour)
			wantInt(t, fmt.Sprintf("Claim(limit %d)", tc.limit), len(ds), tc.want)
			for _, d := range ds {
				if seen[d.ID] {
					t.Fatalf("delivery %d claimed twice within its lease", d.ID)
				}
				seen[d.ID] = true
			}
		}
		wantInt(t, "claimed in all", len(seen), 5)
	})

	t.Run("Lease", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, activity("a"), inboxes(3)...)
		t0 := time.Now()
		const lease = 10 * time.Minute
		first := claimAll(t, s, t0, lease, 3)
		wantNoClaim(t, s, "a second claim at the same time", t0)
		wantNoClaim(t, s, "half way through the lease", t0.Add(lease/2))
		wantNoClaim(t, s, "just before the lease runs out", t0.Add(lease-time.Millisecond))
		wantDepth(t, s, 3)
		// The worker died: after its lease another one takes them again, whole.
		t1 := t0.Add(lease + time.Millisecond)
		again := claimAll(t, s, t1, lease, 3)
		wantIDs(t, "reclaimed ids", sortIDs(deliveryIDs(again)), sortIDs(deliveryIDs(first)))
		for _, d := range again {
			if !sameActivity(d.Activity, activity("a")) {
				t.Fatalf("reclaimed delivery carries %+v", d.Activity)
			}
		}
		// And that claim holds its own lease from its own now.
		wantNoClaim(t, s, "during the second lease", t1.Add(lease-time.Millisecond))
		claimAll(t, s, t1.Add(lease+time.Millisecond), lease, 3)
	})

	t.Run("LatestActivityID", func(t *testing.T) {
		s := open(t)
		const updates = "https://baton.example/users/xz#updates/"
		latest := func(prefix, want string) {
			t.Helper()
			got, err := s.LatestActivityID(ctx(t), prefix)
			noErr(t, "LatestActivityID", err)
			wantStrings(t, "latest of "+prefix, []string{got}, []string{want})
		}
		latest(updates, "")
		for _, id := range []string{"1733000000000000002", "1733000000000000010", "1733000000000000001"} {
			enqueue(t, s, store.Activity{ID: updates + id, Signer: "xz", Body: []byte(`{}`)}, "https://a.example/inbox", "https://b.example/inbox")
		}
		enqueue(t, s, store.Activity{ID: updates[:len(updates)-1] + "z", Signer: "xz", Body: []byte(`{}`)}, "https://a.example/inbox")
		enqueue(t, s, store.Activity{ID: "https://baton.example/users/xzz#updates/1733000000000000099", Signer: "xzz", Body: []byte(`{}`)}, "https://a.example/inbox")
		latest(updates, updates+"1733000000000000010")
		// Still known once every delivery of it was completed.
		for _, d := range claimAll(t, s, time.Now(), time.Minute, 8) {
			if d.Activity.ID == updates+"1733000000000000010" {
				noErr(t, "Complete", s.Complete(ctx(t), d.ID))
			}
		}
		latest(updates, updates+"1733000000000000010")
		latest("https://other.example/", "")
	})

	t.Run("Release", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, activity("a"), inboxes(3)...)
		t0 := time.Now()
		ds := claimAll(t, s, t0, time.Hour, 3)
		wantDepth(t, s, 3)
		// Two released are due again at once, untried; the third stays leased.
		noErr(t, "Release", s.Release(ctx(t), ds[0].ID, ds[1].ID, ds[1].ID, ds[2].ID+1_000_000))
		noErr(t, "Release of none", s.Release(ctx(t)))
		again := claimAll(t, s, t0, time.Hour, 2)
		wantIDs(t, "released ids", sortIDs(deliveryIDs(again)), sortIDs([]int64{ds[0].ID, ds[1].ID}))
		for _, d := range again {
			wantInt(t, "Attempts after Release", d.Attempts, 0)
			if !sameActivity(d.Activity, activity("a")) {
				t.Fatalf("released delivery carries %+v", d.Activity)
			}
		}
		// Released in due order: one queued later comes after them.
		noErr(t, "Release", s.Release(ctx(t), again[0].ID, again[1].ID))
		enqueue(t, s, activity("b"), "https://later.example/inbox")
		order := claim(t, s, t0.Add(time.Minute), 1000, time.Hour)
		if len(order) != 3 || order[2].Inbox != "https://later.example/inbox" {
			t.Fatalf("after Release, claimed %q; want the two released before https://later.example/inbox", deliveryInboxes(order))
		}
		// A delivery given up or completed is not brought back by Release.
		noErr(t, "Fail", s.Fail(ctx(t), order[0].ID, "410 Gone"))
		noErr(t, "Complete", s.Complete(ctx(t), order[1].ID))
		noErr(t, "Release", s.Release(ctx(t), order[0].ID, order[1].ID))
		wantNoClaim(t, s, "after releasing a failed and a completed delivery", t0.Add(2*time.Minute))
		wantDepth(t, s, 2)
	})

	t.Run("Complete", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, activity("a"), inboxes(3)...)
		t0 := time.Now()
		ds := claimAll(t, s, t0, time.Minute, 3)
		noErr(t, "Complete", s.Complete(ctx(t), ds[0].ID))
		wantDepth(t, s, 2)
		noErr(t, "Complete again", s.Complete(ctx(t), ds[0].ID))
		noErr(t, "Complete of an unknown id", s.Complete(ctx(t), ds[2].ID+1_000_000))
		wantDepth(t, s, 2)
		// The others are still there, with their activity, once their lease ran out.
		rest := claimAll(t, s, t0.Add(time.Hour), time.Minute, 2)
		wantIDs(t, "left after Complete", sortIDs(deliveryIDs(rest)), sortIDs([]int64{ds[1].ID, ds[2].ID}))
		for _, d := range rest {
			if !sameActivity(d.Activity, activity("a")) {
				t.Fatalf("delivery left after a sibling's Complete carries %+v", d.Activity)
			}
		}
		// Several at once, one of them twice, with one of another activity that stays.
		enqueue(t, s, activity("b"), inboxes(2)...)
		others := claimAll(t, s, t0.Add(time.Hour+time.Second), time.Minute, 2)
		noErr(t, "Complete of several", s.Complete(ctx(t), rest[0].ID, others[0].ID, rest[1].ID, rest[0].ID))
		noErr(t, "Complete of none", s.Complete(ctx(t)))
		wantDepth(t, s, 1)
		last := claimAll(t, s, t0.Add(3*time.Hour), time.Minute, 1)
		if last[0].ID != others[1].ID || !sameActivity(last[0].Activity, activity("b")) {
			t.Fatalf("left after completing several: %+v, want delivery %d of activity b", last[0], others[1].ID)
		}
		noErr(t, "Complete", s.Complete(ctx(t), last[0].ID))
		wantDepth(t, s, 0)
		wantNoClaim(t, s, "after completing all", t0.Add(24*time.Hour))
	})

	t.Run("Retry", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, activity("a"), "https://down.example/inbox")
		enqueue(t, s, activity("b"), "https://up.example/inbox")
		t0 := time.Now()
		ds := claimAll(t, s, t0, time.Hour, 2)
		var d store.Delivery
		for _, c := range ds {
			if c.Inbox == "https://down.example/inbox" {
				d = c
			}
		}
		next := t0.Add(5 * time.Minute)
		noErr(t, "Retry", s.Retry(ctx(t), d.ID, next, "503 Service Unavailable"))
		wantDepth(t, s, 2)
		wantNoClaim(t, s, "right after Retry", t0)
		wantNoClaim(t, s, "just before next", next.Add(-time.Millisecond))
		// Retry released the lease: due at next, although the claim's lease runs an hour.
		got := claimAll(t, s, next, time.Hour, 1)[0]
		wantInt(t, "ID", int(got.ID), int(d.ID))
		wantInt(t, "Attempts after one Retry", got.Attempts, 1)
		if got.Inbox != d.Inbox || !sameActivity(got.Activity, d.Activity) || !got.Created.Equal(d.Created) {
			t.Fatalf("retried delivery\n got %+v\nwant %+v", got, d)
		}
		// Again, and this time it is due at once.
		noErr(t, "Retry", s.Retry(ctx(t), d.ID, next, "timeout"))
		got = claimAll(t, s, next, time.Hour, 1)[0]
		wantInt(t, "Attempts after two Retries", got.Attempts, 2)
		noErr(t, "Complete", s.Complete(ctx(t), d.ID))
		wantDepth(t, s, 1)
	})

	t.Run("Fail", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, activity("a"), "https://gone.example/inbox", "https://fine.example/inbox")
		t0 := time.Now()
		ds := claimAll(t, s, t0, time.Minute, 2)
		var failed, other store.Delivery
		for _, d := range ds {
			if d.Inbox == "https://gone.example/inbox" {
				failed = d
			} else {
				other = d
			}
		}
		noErr(t, "Fail", s.Fail(ctx(t), failed.ID, "410 Gone"))
		wantDepth(t, s, 1)
		got := claimAll(t, s, t0.Add(time.Hour), time.Minute, 1)
		wantInt(t, "delivery left", int(got[0].ID), int(other.ID))
		noErr(t, "Complete", s.Complete(ctx(t), other.ID))
		wantDepth(t, s, 0)
		wantNoClaim(t, s, "a failed delivery, much later", t0.Add(365*24*time.Hour))
		// Failing it again changes nothing.
		noErr(t, "Fail again", s.Fail(ctx(t), failed.ID, "410 Gone"))
		wantDepth(t, s, 0)
	})

	t.Run("DueOrder", func(t *testing.T) {
		s := open(t)
		// Fresh deliveries come out in the order they were queued.
		for _, name := range []string{"a", "b", "c", "d"} {
			enqueue(t, s, activity(name), "https://"+name+".example/inbox")
		}
		t0 := time.Now()
		first := claim(t, s, t0, 1, time.Minute)
		wantStrings(t, "first claimed", deliveryInboxes(first), []string{"https://a.example/inbox"})
		rest := claim(t, s, t0, 10, time.Minute)
		wantStrings(t, "claimed next", deliveryInboxes(rest), []string{"https://b.example/inbox", "https://c.example/inbox", "https://d.example/inbox"})

		// Retried ones come out in the order they are due, not the order they were queued or retried.
		byInbox := map[string]int64{}
		for _, d := range append(first, rest...) {
			byInbox[d.Inbox] = d.ID
		}
		for _, r := range []struct {
			name string
			in   time.Duration
		}{{"a", 4 * time.Minute}, {"b", 2 * time.Minute}, {"c", 3 * time.Minute}, {"d", time.Minute}} {
			noErr(t, "Retry", s.Retry(ctx(t), byInbox["https://"+r.name+".example/inbox"], t0.Add(r.in), "later"))
		}
		wantStrings(t, "due at +2m30s", deliveryInboxes(claim(t, s, t0.Add(150*time.Second), 10, time.Hour)),
			[]string{"https://d.example/inbox", "https://b.example/inbox"})
		wantStrings(t, "due later, one at a time", deliveryInboxes(claim(t, s, t0.Add(time.Hour), 1, time.Hour)),
			[]string{"https://c.example/inbox"})
		wantStrings(t, "the last", deliveryInboxes(claim(t, s, t0.Add(time.Hour), 10, time.Hour)),
			[]string{"https://a.example/inbox"})
	})

	t.Run("ConcurrentClaims", func(t *testing.T) {
		s := open(t)
		const total, workers = 200, 4
		all := inboxes(total)
		for i := 0; i < total; i += 50 {
			enqueue(t, s, activity(fmt.Sprint(i)), all[i:i+50]...)
		}
		wantDepth(t, s, total)
		now := time.Now()
		claimed := make([][]store.Delivery, workers)
		var start, wg sync.WaitGroup
		start.Add(1)
		for w := range workers {
			wg.Go(func() {
				start.Wait()
				for range total {
					ds, err := s.Claim(ctx(t), now, 3, time.Hour)
					if err != nil {
						t.Errorf("worker %d: Claim: %v", w, err)
						return
					}
					if len(ds) == 0 {
						return
					}
					claimed[w] = append(claimed[w], ds...)
				}
				t.Errorf("worker %d never ran out of deliveries", w)
			})
		}
		start.Done()
		wg.Wait()
		byID := map[int64]int{}
		inboxSeen := map[string]int{}
		for w := range workers {
			for _, d := range claimed[w] {
				byID[d.ID]++
				inboxSeen[d.Inbox]++
			}
		}
		for id, n := range byID {
			if n != 1 {
				t.Errorf("delivery %d claimed %d times", id, n)
			}
		}
		wantInt(t, "distinct deliveries claimed", len(byID), total)
		for _, inbox := range all {
			if inboxSeen[inbox] != 1 {
				t.Errorf("inbox %s claimed %d times", inbox, inboxSeen[inbox])
			}
		}
		wantDepth(t, s, total)
		wantNoClaim(t, s, "after every delivery was claimed", now)
	})
}

func sortIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
