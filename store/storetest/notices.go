package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"baton/store"
)

func nextID(t *testing.T, s store.Store) int64 {
	t.Helper()
	id, err := s.NextNoticeID(ctx(t))
	noErr(t, "NextNoticeID", err)
	return id
}

// notice makes a notice with a reserved id.
func notice(t *testing.T, s store.Store, actor string, public bool) store.Notice {
	t.Helper()
	id := nextID(t, s)
	return store.Notice{
		ID:        id,
		Actor:     actor,
		Kind:      "release",
		Public:    public,
		Document:  []byte(fmt.Sprintf(`{"id":"https://baton.example/%s/notices/%d","content":"5.6.2 \u2014 naïve","proof":{"proofValue":"z3x\u0000"}}`, actor, id)),
		Published: when.Add(time.Duration(id) * time.Minute),
	}
}

func activityFor(n store.Notice) store.Activity {
	return store.Activity{
		ID:     fmt.Sprintf("https://baton.example/%s/notices/%d/activity", n.Actor, n.ID),
		Signer: n.Actor,
		Body:   append([]byte(`{"type":"Create","object":`), append(n.Document, '}')...),
	}
}

// publish publishes n at its actor's revision as read just before, and checks that the revision
// counted it.
func publish(t *testing.T, s store.Store, n store.Notice, want int) {
	t.Helper()
	revision := wantRevision(t, s, n.Actor, -1)
	queued, err := s.PublishNotice(ctx(t), n, activityFor(n), revision)
	noErr(t, fmt.Sprintf("PublishNotice(%d)", n.ID), err)
	wantInt(t, fmt.Sprintf("PublishNotice(%d) queued", n.ID), queued, want)
	wantRevision(t, s, n.Actor, revision+1)
}

// wantRevision reads an actor's revision and, unless want is negative, checks it.
func wantRevision(t *testing.T, s store.Store, actor string, want int64) int64 {
	t.Helper()
	got, err := s.Revision(ctx(t), actor)
	noErr(t, fmt.Sprintf("Revision(%q)", actor), err)
	if want >= 0 && got != want {
		t.Fatalf("Revision(%q) = %d, want %d", actor, got, want)
	}
	return got
}

func testNotices(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("NextNoticeIDIncreases", func(t *testing.T) {
		s := open(t)
		var last int64
		for i := range 20 {
			id := nextID(t, s)
			if id <= 0 {
				t.Fatalf("NextNoticeID = %d, want > 0 (0 means the newest to ListNotices)", id)
			}
			if i > 0 && id <= last {
				t.Fatalf("NextNoticeID = %d after %d, want strictly increasing", id, last)
			}
			last = id
		}
		// Publishing a reserved id does not make it come back.
		mustCreateActors(t, s, "xz")
		n := notice(t, s, "xz", true)
		publish(t, s, n, 0)
		if id := nextID(t, s); id <= n.ID {
			t.Fatalf("NextNoticeID = %d after publishing %d", id, n.ID)
		}
	})

	t.Run("NextNoticeIDConcurrent", func(t *testing.T) {
		s := open(t)
		const workers, each = 8, 25
		ids := make([][]int64, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for range each {
					id, err := s.NextNoticeID(ctx(t))
					if err != nil {
						t.Errorf("NextNoticeID: %v", err)
						return
					}
					if len(ids[w]) > 0 && id <= ids[w][len(ids[w])-1] {
						t.Errorf("NextNoticeID = %d after %d in one goroutine", id, ids[w][len(ids[w])-1])
					}
					ids[w] = append(ids[w], id)
				}
			})
		}
		wg.Wait()
		seen := map[int64]int{}
		for w := range workers {
			for _, id := range ids[w] {
				seen[id]++
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("id %d handed out %d times", id, n)
			}
		}
		wantInt(t, "distinct ids", len(seen), workers*each)
	})

	t.Run("PublishQueuesEachInboxOnce", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz", "curl")
		shared1 := "https://big.example/inbox"
		shared2 := "https://other.example/shared"
		fs := []store.Follower{
			{Actor: "https://big.example/users/a", Inbox: "https://big.example/users/a/inbox", SharedInbox: shared1},
			{Actor: "https://big.example/users/b", Inbox: "https://big.example/users/b/inbox", SharedInbox: shared1},
			{Actor: "https://big.example/users/c", Inbox: "https://big.example/users/c/inbox", SharedInbox: shared1},
			{Actor: "https://other.example/users/d", Inbox: "https://other.example/users/d/inbox", SharedInbox: shared2},
			{Actor: "https://small.example/e", Inbox: "https://small.example/e/inbox"},
			{Actor: "https://tiny.example/f", Inbox: "https://tiny.example/f/inbox"},
			// Its shared inbox is another follower's own inbox: still one delivery there.
			{Actor: "https://small.example/g", Inbox: "https://small.example/g/inbox", SharedInbox: "https://small.example/e/inbox"},
		}
		for i := range fs {
			fs[i].Local = "xz"
			fs[i].FollowID = fs[i].Actor + "#follow"
			fs[i].Created = when
		}
		mustAddFollowers(t, s, fs...)
		// A follower of another local actor gets nothing.
		mustAddFollowers(t, s, store.Follower{Local: "curl", Actor: "https://curl.example/u", Inbox: "https://curl.example/u/inbox",
			FollowID: "https://curl.example/f", Created: when})

		n := notice(t, s, "xz", true)
		a := activityFor(n)
		queued, err := s.PublishNotice(ctx(t), n, a, 0)
		noErr(t, "PublishNotice", err)
		wantInt(t, "queued", queued, 4)
		wantDepth(t, s, 4)

		ds := claim(t, s, time.Now().Add(time.Second), 100, time.Minute)
		wantStrings(t, "inboxes delivered to", sortedInboxes(ds), []string{
			shared1,
			shared2,
			"https://small.example/e/inbox",
			"https://tiny.example/f/inbox",
		})
		for _, d := range ds {
			if !sameActivity(d.Activity, a) {
				t.Fatalf("delivery to %s carries %+v, want %+v", d.Inbox, d.Activity, a)
			}
			wantInt(t, "Attempts", d.Attempts, 0)
		}
		got, err := s.Notice(ctx(t), n.ID)
		noErr(t, "Notice", err)
		wantNotice(t, got, n)
	})

	t.Run("PublishWithoutFollowers", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz", "curl")
		mustAddFollowers(t, s, follower("curl", 1, false))
		n := notice(t, s, "xz", false)
		publish(t, s, n, 0)
		wantDepth(t, s, 0)
		wantNoClaim(t, s, "after publishing to no followers", time.Now().Add(time.Hour))
		got, err := s.Notice(ctx(t), n.ID)
		noErr(t, "Notice", err)
		wantNotice(t, got, n)
	})

	t.Run("NoticeForStewardsGoesToItsInboxesAlone", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz")
		mustAddFollowers(t, s, follower("xz", 1, false), follower("xz", 2, true))
		stewards := []string{"https://b.example/users/s2/inbox", "https://c.example/users/s3/inbox"}
		n := notice(t, s, "xz", false)
		a := activityFor(n)
		a.To = stewards
		queued, err := s.PublishNotice(ctx(t), n, a, 0)
		noErr(t, "PublishNotice", err)
		wantInt(t, "queued", queued, 2)
		ds := claimAll(t, s, time.Now().Add(time.Second), time.Minute, 2)
		wantStrings(t, "inboxes delivered to", sortedInboxes(ds), stewards)
		for _, d := range ds {
			if !sameActivity(d.Activity, a) {
				t.Fatalf("delivery to %s carries %+v, want %+v", d.Inbox, d.Activity, a)
			}
			noErr(t, "Complete", s.Complete(ctx(t), d.ID))
		}

		// Its Update goes to the inboxes it names, never to followers; a public notice's To is not read.
		update := store.Activity{ID: a.ID + "#updates/1", Signer: "xz", Body: []byte(`{"type":"Update"}`), To: stewards[1:]}
		queued, err = s.UpdateNotice(ctx(t), n.ID, n.Document, update, 1)
		noErr(t, "UpdateNotice", err)
		wantInt(t, "queued by the update", queued, 1)
		ds = claimAll(t, s, time.Now().Add(time.Second), time.Minute, 1)
		wantStrings(t, "inboxes the update went to", deliveryInboxes(ds), stewards[1:])
		noErr(t, "Complete", s.Complete(ctx(t), ds[0].ID))
		public := notice(t, s, "xz", true)
		pa := activityFor(public)
		pa.To = stewards
		queued, err = s.PublishNotice(ctx(t), public, pa, 2)
		noErr(t, "PublishNotice of a public notice", err)
		wantInt(t, "queued for followers", queued, 2)
		ds = claimAll(t, s, time.Now().Add(time.Second), time.Minute, 2)
		for _, d := range ds {
			if slices.Contains(stewards, d.Inbox) {
				t.Fatalf("a public notice went to %s, named in its To", d.Inbox)
			}
		}
	})

	t.Run("PublishSameIDTwice", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz")
		mustAddFollowers(t, s, follower("xz", 1, false), follower("xz", 2, true))
		n := notice(t, s, "xz", true)
		publish(t, s, n, 2)
		wantDepth(t, s, 2)

		dup := n
		dup.Document = []byte(`{"other":"document"}`)
		dup.Public = false
		queued, err := s.PublishNotice(ctx(t), dup, store.Activity{ID: "https://baton.example/dup", Signer: "xz", Body: []byte(`{}`)},
			store.AnyRevision)
		wantErr(t, "PublishNotice of a used id", err, store.ErrExists)
		wantInt(t, "queued by the failed PublishNotice", queued, 0)
		wantDepth(t, s, 2)
		wantRevision(t, s, "xz", 1) // a refused notice is no revision
		got, err := s.Notice(ctx(t), n.ID)
		noErr(t, "Notice", err)
		wantNotice(t, got, n)
		c, err := s.CountNotices(ctx(t), "xz", false)
		noErr(t, "CountNotices", err)
		wantInt(t, "CountNotices", c, 1)
		// Only the first activity is queued.
		for _, d := range claim(t, s, time.Now().Add(time.Second), 100, time.Minute) {
			if !sameActivity(d.Activity, activityFor(n)) {
				t.Fatalf("queued %+v, want only the first notice's activity", d.Activity)
			}
		}
	})

	t.Run("RoundTripAndMissing", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz")
		_, err := s.Notice(ctx(t), 1)
		wantErr(t, "Notice of an empty store", err, store.ErrNotFound)
		pub, priv := notice(t, s, "xz", true), notice(t, s, "xz", false)
		priv.Kind = "advisory"
		publish(t, s, pub, 0)
		publish(t, s, priv, 0)
		reserved := nextID(t, s) // reserved, never published
		for _, want := range []store.Notice{pub, priv} {
			got, err := s.Notice(ctx(t), want.ID)
			noErr(t, "Notice", err)
			wantNotice(t, got, want)
		}
		for _, id := range []int64{reserved, reserved + 1000, 0, -1} {
			_, err := s.Notice(ctx(t), id)
			wantErr(t, fmt.Sprintf("Notice(%d)", id), err, store.ErrNotFound)
		}
	})

	t.Run("ListAndCount", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz", "curl", "zstd")
		var xz []store.Notice // oldest first
		var curl []store.Notice
		for i, public := range []bool{true, false, true, true, false} {
			n := notice(t, s, "xz", public)
			publish(t, s, n, 0)
			xz = append(xz, n)
			if i%2 == 0 { // interleave another actor's notices
				c := notice(t, s, "curl", i == 0)
				publish(t, s, c, 0)
				curl = append(curl, c)
			}
		}
		// A reserved id above all, never published, does not show.
		nextID(t, s)
		newest := func(ns ...store.Notice) []store.Notice { return ns }
		x := xz
		tests := []struct {
			name       string
			actor      string
			before     int64
			limit      int
			publicOnly bool
			want       []store.Notice
		}{
			{"all", "xz", 0, 10, false, newest(x[4], x[3], x[2], x[1], x[0])},
			{"first page", "xz", 0, 2, false, newest(x[4], x[3])},
			{"second page", "xz", x[3].ID, 2, false, newest(x[2], x[1])},
			{"last page", "xz", x[1].ID, 2, false, newest(x[0])},
			{"past the end", "xz", x[0].ID, 2, false, nil},
			{"before an id of another actor", "xz", curl[1].ID, 10, false, newest(x[2], x[1], x[0])},
			{"public", "xz", 0, 10, true, newest(x[3], x[2], x[0])},
			{"public first page", "xz", 0, 2, true, newest(x[3], x[2])},
			{"public second page", "xz", x[2].ID, 2, true, newest(x[0])},
			{"public before a private one", "xz", x[4].ID, 1, true, newest(x[3])},
			{"limit 1", "xz", 0, 1, false, newest(x[4])},
			{"other actor", "curl", 0, 10, false, newest(curl[2], curl[1], curl[0])},
			{"other actor public", "curl", 0, 10, true, newest(curl[0])},
			{"no notices", "zstd", 0, 10, false, nil},
			{"unknown actor", "nobody", 0, 10, false, nil},
		}
		for _, tc := range tests {
			got, err := s.ListNotices(ctx(t), tc.actor, tc.before, tc.limit, tc.publicOnly)
			noErr(t, tc.name, err)
			wantNotices(t, tc.name, got, tc.want)
		}

		counts := []struct {
			actor      string
			publicOnly bool
			want       int
		}{
			{"xz", false, 5},
			{"xz", true, 3},
			{"curl", false, 3},
			{"curl", true, 1},
			{"zstd", false, 0},
			{"nobody", true, 0},
			{"", false, 8},
			{"", true, 4},
		}
		for _, tc := range counts {
			got, err := s.CountNotices(ctx(t), tc.actor, tc.publicOnly)
			noErr(t, "CountNotices", err)
			wantInt(t, fmt.Sprintf("CountNotices(%q, publicOnly=%v)", tc.actor, tc.publicOnly), got, tc.want)
		}
	})
}
