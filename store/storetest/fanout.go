package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"baton/store"
)

// A large fan-out: more distinct inboxes than a backend may queue in one step (the Redis store queues
// past 500 from a fan-out job, a batch at a time, as claims come).
const (
	fanOutFollowers = 1250
	fanOutInboxes   = 1100 // followers i and i+1100 share a host's inbox
)

// fanOutFollower is the i-th follower of local in a large fan-out, on host i % fanOutInboxes.
func fanOutFollower(local string, i int) store.Follower {
	host := fmt.Sprintf("https://fan%d.example", i%fanOutInboxes)
	return store.Follower{Local: local, Actor: fmt.Sprintf("%s/users/u%d", host, i), Inbox: fmt.Sprintf("%s/users/u%d/inbox", host, i),
		SharedInbox: host + "/inbox", FollowID: fmt.Sprintf("%s/follows/%d", host, i), Created: when}
}

// fanOutInboxSet is the inboxes a large fan-out delivers to, sorted.
func fanOutInboxSet() []string {
	out := make([]string, fanOutInboxes)
	for i := range out {
		out[i] = fmt.Sprintf("https://fan%d.example/inbox", i)
	}
	slices.Sort(out)
	return out
}

// publishLargeFanOut makes the project xz with fanOutFollowers followers and publishes a notice to
// them, and answers its activity.
func publishLargeFanOut(t *testing.T, s store.Store) store.Activity {
	t.Helper()
	mustCreateActors(t, s, "xz")
	for i := range fanOutFollowers {
		noErr(t, "AddFollower", s.AddFollower(ctx(t), fanOutFollower("xz", i)))
	}
	n := notice(t, s, "xz", true)
	publish(t, s, n, fanOutInboxes)
	return activityFor(n)
}

func testLargeFanOut(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("ExactlyOnceInOrder", func(t *testing.T) {
		s := open(t)
		before := store.Activity{ID: "https://baton.example/before", Signer: "xz", Body: []byte(`{}`)}
		after := store.Activity{ID: "https://baton.example/after", Signer: "xz", Body: []byte(`{}`)}
		mustCreateActors(t, s, "curl")
		enqueue(t, s, before, "https://first.example/inbox")
		a := publishLargeFanOut(t, s)
		// Queued after the notice: a delivery, and a follower the notice does not reach.
		enqueue(t, s, after, "https://last.example/inbox")
		noErr(t, "AddFollower", s.AddFollower(ctx(t), follower("xz", 9, true)))
		wantDepth(t, s, fanOutInboxes+2)
		wantStatus(t, s, a.ID, store.ActivityDeliveries{ActivityID: a.ID, Queued: fanOutInboxes})

		now := time.Now()
		var order, abandoned []string
		var noticeInboxes []string
		for round := 0; ; round++ {
			// Claims as large as the fan-out: a backend that queues it in parts must still hand
			// out nothing queued after it before all of it.
			ds := claim(t, s, now, fanOutInboxes, time.Minute)
			if len(ds) == 0 {
				break
			}
			var done []int64
			for _, d := range ds {
				order = append(order, d.Activity.ID)
				if d.Activity.ID == a.ID {
					noticeInboxes = append(noticeInboxes, d.Inbox)
				}
				if len(abandoned) < 300 { // a worker that stopped: these come back when their lease ends
					abandoned = append(abandoned, d.Inbox)
					continue
				}
				done = append(done, d.ID)
			}
			noErr(t, "Complete", s.Complete(ctx(t), done...))
			st := deliveryStatus(t, s, a.ID)
			if len(st) != 1 || st[0].Total() != fanOutInboxes {
				t.Fatalf("round %d: DeliveryStatus %+v, want %d deliveries in all", round, st, fanOutInboxes)
			}
		}
		if len(order) != fanOutInboxes+2 || order[0] != before.ID || order[len(order)-1] != after.ID {
			t.Fatalf("claimed %d deliveries, first %q, last %q; want %d, the one queued before the notice first and the one after last",
				len(order), order[0], order[len(order)-1], fanOutInboxes+2)
		}
		slices.Sort(noticeInboxes)
		wantStrings(t, "the notice's inboxes claimed", noticeInboxes, fanOutInboxSet())

		// The deliveries of the worker that stopped come back once their leases end, and only they.
		again := claimAll(t, s, now.Add(2*time.Minute), time.Minute, len(abandoned))
		wantStrings(t, "claimed again", sortedInboxes(again), sorted(abandoned))
		noErr(t, "Complete", s.Complete(ctx(t), deliveryIDs(again)...))
		wantDepth(t, s, 0)
		wantStatus(t, s, a.ID, store.ActivityDeliveries{ActivityID: a.ID, Delivered: fanOutInboxes})
	})
	t.Run("Replaced", func(t *testing.T) {
		s := open(t)
		a := publishLargeFanOut(t, s)
		now := time.Now()
		claimed := claim(t, s, now, 10, time.Minute)
		wantInt(t, "claimed", len(claimed), 10)
		// A newer version replaces every delivery not tried of the notice, queued or not yet.
		update := store.Activity{ID: a.ID + "#updates/2", Signer: "xz", Body: []byte(`{"type":"Update"}`)}
		queued, err := s.EnqueueFollowersReplacing(ctx(t), "xz", update, now.Add(time.Hour), now, a.ID)
		noErr(t, "EnqueueFollowersReplacing", err)
		wantInt(t, "queued", queued, fanOutInboxes)
		wantDepth(t, s, fanOutInboxes+10)
		var inboxes []string
		for {
			ds := claim(t, s, now, 1000, time.Minute) // due at once: replacing never delays
			if len(ds) == 0 {
				break
			}
			for _, d := range ds {
				if d.Activity.ID != update.ID {
					t.Fatalf("claimed a delivery of %q, want only the update", d.Activity.ID)
				}
				inboxes = append(inboxes, d.Inbox)
			}
		}
		slices.Sort(inboxes)
		wantStrings(t, "the update's inboxes", inboxes, fanOutInboxSet())
	})
}

// testMoveLargeFanOut moves a store while a large fan-out is under way: every inbox it has not
// delivered to yet is still to deliver to, once, in the store moved into.
func testMoveLargeFanOut(t *testing.T, openFrom, openTo func(t *testing.T) store.Movable) {
	from, to := openFrom(t), openTo(t)
	a := publishLargeFanOut(t, from)
	now := time.Now()
	first := claim(t, from, now, 10, time.Minute)
	noErr(t, "Complete", from.Complete(ctx(t), deliveryIDs(first)...))
	_, err := store.Move(ctx(t), from, to)
	noErr(t, "Move", err)
	wantStatus(t, to, a.ID, store.ActivityDeliveries{ActivityID: a.ID, Queued: fanOutInboxes - 10, Delivered: 10})
	inboxes := deliveryInboxes(first)
	for {
		ds := claim(t, to, now, 1000, time.Minute)
		if len(ds) == 0 {
			break
		}
		inboxes = append(inboxes, deliveryInboxes(ds)...)
	}
	slices.Sort(inboxes)
	wantStrings(t, "inboxes claimed before and after the move", inboxes, fanOutInboxSet())
}

// sorted is a sorted copy of ss.
func sorted(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return out
}
