package storetest

import (
	"fmt"
	"testing"
	"time"

	"baton/store"
)

// follower makes a follow of local by the remote actor n at one instance, with a shared inbox when
// shared is set.
func follower(local string, n int, shared bool) store.Follower {
	f := store.Follower{
		Local:    local,
		Actor:    fmt.Sprintf("https://social%d.example/users/u%d", n, n),
		Inbox:    fmt.Sprintf("https://social%d.example/users/u%d/inbox", n, n),
		FollowID: fmt.Sprintf("https://social%d.example/follows/%s-%d", n, local, n),
		Created:  when.Add(time.Duration(n) * time.Second),
	}
	if shared {
		f.SharedInbox = fmt.Sprintf("https://social%d.example/inbox", n)
	}
	return f
}

func mustAddFollowers(t *testing.T, s store.Store, fs ...store.Follower) {
	t.Helper()
	for _, f := range fs {
		if err := s.AddFollower(ctx(t), f); err != nil {
			t.Fatalf("AddFollower(%s -> %s): %v", f.Actor, f.Local, err)
		}
	}
}

func wantFollowerCount(t *testing.T, s store.Store, local string, want int) {
	t.Helper()
	n, err := s.CountFollowers(ctx(t), local)
	noErr(t, "CountFollowers("+local+")", err)
	wantInt(t, "CountFollowers("+local+")", n, want)
}

// allFollowers pages through every follower of local, limit at a time, and returns them with the size
// of each page.
func allFollowers(t *testing.T, s store.Store, local string, limit int) ([]store.Follower, []int) {
	t.Helper()
	var out []store.Follower
	var sizes []int
	var cursor int64
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatalf("ListFollowers(%q) never ran out: cursor stuck at %d", local, cursor)
		}
		fs, next, err := s.ListFollowers(ctx(t), local, cursor, limit)
		noErr(t, "ListFollowers", err)
		if len(fs) > limit {
			t.Fatalf("ListFollowers(limit %d) returned %d", limit, len(fs))
		}
		if len(fs) == 0 {
			return out, sizes
		}
		out = append(out, fs...)
		sizes = append(sizes, len(fs))
		cursor = next
	}
}

func testFollowers(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz")
		tests := []store.Follower{follower("xz", 1, true), follower("xz", 2, false)}
		mustAddFollowers(t, s, tests...)
		for _, want := range tests {
			got, err := s.Follower(ctx(t), want.Local, want.Actor)
			noErr(t, "Follower", err)
			wantFollower(t, got, want)
		}
		if got, want := tests[0].DeliveryInbox(), "https://social1.example/inbox"; got != want {
			t.Fatalf("DeliveryInbox with a shared inbox = %q, want %q", got, want)
		}
		if got, want := tests[1].DeliveryInbox(), "https://social2.example/users/u2/inbox"; got != want {
			t.Fatalf("DeliveryInbox without a shared inbox = %q, want %q", got, want)
		}
		wantFollowerCount(t, s, "xz", 2)
	})

	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz", "curl")
		mustAddFollowers(t, s, follower("xz", 1, false))
		for _, tc := range []struct{ local, actor string }{
			{"xz", follower("xz", 2, false).Actor},   // unknown remote actor
			{"curl", follower("xz", 1, false).Actor}, // follows another local actor
			{"nobody", follower("xz", 1, false).Actor},
		} {
			_, err := s.Follower(ctx(t), tc.local, tc.actor)
			wantErr(t, fmt.Sprintf("Follower(%q, %q)", tc.local, tc.actor), err, store.ErrNotFound)
		}
		wantFollowerCount(t, s, "curl", 0)
		wantFollowerCount(t, s, "nobody", 0)
	})

	t.Run("RefollowReplaces", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz")
		a, b := follower("xz", 1, false), follower("xz", 2, true)
		mustAddFollowers(t, s, a, b)
		again := a
		again.FollowID = "https://social1.example/follows/second-try"
		again.SharedInbox = "https://social1.example/inbox" // the instance grew a shared inbox meanwhile
		again.Created = when.Add(time.Hour)
		mustAddFollowers(t, s, again)

		wantFollowerCount(t, s, "xz", 2)
		got, err := s.Follower(ctx(t), "xz", a.Actor)
		noErr(t, "Follower", err)
		wantFollower(t, got, again)
		// The refollow is the latest follow: it comes after b now, and only once.
		list, _ := allFollowers(t, s, "xz", 10)
		wantFollowers(t, "followers after a refollow", list, []store.Follower{b, again})
	})

	t.Run("Remove", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz", "curl")
		a, b := follower("xz", 1, false), follower("xz", 2, false)
		aOfCurl := follower("curl", 1, false)
		mustAddFollowers(t, s, a, b, aOfCurl)

		tests := []struct {
			local, actor string
			want         bool
			count        int // followers of xz afterwards
		}{
			{"xz", a.Actor, true, 1},
			{"xz", a.Actor, false, 1}, // gone already
			{"xz", "https://nowhere.example/u", false, 1},
			{"nobody", b.Actor, false, 1},
			{"xz", b.Actor, true, 0},
		}
		for i, tc := range tests {
			existed, err := s.RemoveFollower(ctx(t), tc.local, tc.actor)
			noErr(t, "RemoveFollower", err)
			if existed != tc.want {
				t.Fatalf("step %d: RemoveFollower(%q, %q) = %v, want %v", i, tc.local, tc.actor, existed, tc.want)
			}
			wantFollowerCount(t, s, "xz", tc.count)
		}
		_, err := s.Follower(ctx(t), "xz", a.Actor)
		wantErr(t, "Follower after RemoveFollower", err, store.ErrNotFound)
		// The same remote actor's follow of another local actor is untouched.
		got, err := s.Follower(ctx(t), "curl", a.Actor)
		noErr(t, "Follower(curl)", err)
		wantFollower(t, got, aOfCurl)
		wantFollowerCount(t, s, "curl", 1)
		list, _ := allFollowers(t, s, "xz", 10)
		wantFollowers(t, "followers of xz", list, nil)
	})

	t.Run("RemoveActorEverywhere", func(t *testing.T) {
		s := open(t)
		locals := []string{"xz", "curl", "zstd", "bash"}
		mustCreateActors(t, s, locals...)
		for _, local := range locals[:3] {
			mustAddFollowers(t, s, follower(local, 7, true)) // the deleted one follows three of them
		}
		keep := []store.Follower{follower("xz", 8, false), follower("curl", 9, true), follower("bash", 8, false)}
		mustAddFollowers(t, s, keep...)

		gone := follower("", 7, true).Actor
		n, err := s.RemoveActorEverywhere(ctx(t), gone)
		noErr(t, "RemoveActorEverywhere", err)
		wantInt(t, "RemoveActorEverywhere", n, 3)
		for _, local := range locals {
			_, err := s.Follower(ctx(t), local, gone)
			wantErr(t, "Follower("+local+") of the removed actor", err, store.ErrNotFound)
		}
		for _, f := range keep {
			got, err := s.Follower(ctx(t), f.Local, f.Actor)
			noErr(t, "Follower kept", err)
			wantFollower(t, got, f)
		}
		for local, want := range map[string]int{"xz": 1, "curl": 1, "zstd": 0, "bash": 1} {
			wantFollowerCount(t, s, local, want)
		}
		n, err = s.RemoveActorEverywhere(ctx(t), gone)
		noErr(t, "RemoveActorEverywhere again", err)
		wantInt(t, "RemoveActorEverywhere again", n, 0)
	})

	t.Run("AcceptFollow", func(t *testing.T) { testAcceptFollow(t, open) })

	t.Run("PagingInFollowOrder", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz", "curl")
		// Followers of xz arrive in the order 5, 3, 1, 4, 2 (not the order of their ids or times),
		// interleaved with followers of curl.
		var want []store.Follower
		for i, n := range []int{5, 3, 1, 4, 2} {
			f := follower("xz", n, n%2 == 0)
			f.Created = when.Add(-time.Duration(i) * time.Minute)
			mustAddFollowers(t, s, f, follower("curl", 10+n, false))
			want = append(want, f)
		}
		wantFollowerCount(t, s, "xz", 5)
		wantFollowerCount(t, s, "curl", 5)
		wantFollowerCount(t, s, "", 10) // every follow on the instance

		for _, tc := range []struct {
			limit int
			sizes string
		}{{2, "[2 2 1]"}, {1, "[1 1 1 1 1]"}, {5, "[5]"}, {100, "[5]"}} {
			got, sizes := allFollowers(t, s, "xz", tc.limit)
			wantFollowers(t, fmt.Sprintf("pages of %d", tc.limit), got, want)
			if fmt.Sprint(sizes) != tc.sizes {
				t.Fatalf("pages of %d had sizes %v, want %s", tc.limit, sizes, tc.sizes)
			}
		}

		// The cursor of a page leads exactly to the next one.
		first, next, err := s.ListFollowers(ctx(t), "xz", 0, 2)
		noErr(t, "ListFollowers", err)
		wantFollowers(t, "first page", first, want[:2])
		second, next2, err := s.ListFollowers(ctx(t), "xz", next, 2)
		noErr(t, "ListFollowers", err)
		wantFollowers(t, "second page", second, want[2:4])
		// Asking again with the same cursor gives the same page.
		again, _, err := s.ListFollowers(ctx(t), "xz", next, 2)
		noErr(t, "ListFollowers", err)
		wantFollowers(t, "second page again", again, want[2:4])

		// Someone who follows while a client pages shows up at the end, not twice nor never.
		late := follower("xz", 6, false)
		mustAddFollowers(t, s, late)
		// Someone on a page already read unfollows; the pages ahead are unchanged.
		if existed, err := s.RemoveFollower(ctx(t), "xz", want[0].Actor); err != nil || !existed {
			t.Fatalf("RemoveFollower = %v, %v", existed, err)
		}
		var rest []store.Follower
		cursor := next2
		for range 10 {
			fs, c, err := s.ListFollowers(ctx(t), "xz", cursor, 2)
			noErr(t, "ListFollowers", err)
			if len(fs) == 0 {
				break
			}
			rest = append(rest, fs...)
			cursor = c
		}
		wantFollowers(t, "pages after the second", rest, []store.Follower{want[4], late})

		// An empty list.
		fs, _, err := s.ListFollowers(ctx(t), "nobody", 0, 2)
		noErr(t, "ListFollowers(nobody)", err)
		wantFollowers(t, "followers of nobody", fs, nil)
	})
}

// testAcceptFollow checks that AcceptFollow writes the follower, its Accept and the Follow's id seen,
// all three or none.
func testAcceptFollow(t *testing.T, open func(t *testing.T) store.Store) {
	wantSeen := func(t *testing.T, s store.Store, id string, want bool) {
		t.Helper()
		got, err := s.Seen(ctx(t), id)
		noErr(t, "Seen", err)
		if got != want {
			t.Fatalf("Seen(%q) = %v, want %v", id, got, want)
		}
	}
	accept := func(f store.Follower) store.Activity {
		return store.Activity{ID: "https://baton.example/users/" + f.Local + "#accepts/" + f.FollowID, Signer: f.Local,
			Body: []byte(`{"type":"Accept","object":"` + f.FollowID + `"}`)}
	}
	seenKey := func(f store.Follower) string { return f.Actor + " " + f.FollowID }

	t.Run("WritesAllThree", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz")
		f := follower("xz", 1, true) // the Accept goes to its own inbox all the same
		noErr(t, "AcceptFollow", s.AcceptFollow(ctx(t), f, accept(f), seenKey(f)))

		got, err := s.Follower(ctx(t), "xz", f.Actor)
		noErr(t, "Follower", err)
		wantFollower(t, got, f)
		wantFollowerCount(t, s, "xz", 1)
		wantSeen(t, s, seenKey(f), true)
		wantDepth(t, s, 1)
		ds := claimAll(t, s, time.Now(), time.Minute, 1)
		if ds[0].Inbox != f.Inbox || !sameActivity(ds[0].Activity, accept(f)) {
			t.Fatalf("queued %+v to %s, want %+v to %s", ds[0].Activity, ds[0].Inbox, accept(f), f.Inbox)
		}
		// The id counts as seen at the follow's time, as MarkSeen's would.
		n, err := s.ForgetSeen(ctx(t), f.Created)
		noErr(t, "ForgetSeen before the follow", err)
		wantInt(t, "ids seen before the follow", n, 0)
		n, err = s.ForgetSeen(ctx(t), f.Created.Add(time.Second))
		noErr(t, "ForgetSeen after the follow", err)
		wantInt(t, "ids seen before a second after the follow", n, 1)
	})

	t.Run("RefollowReplaces", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz")
		first, other := follower("xz", 1, false), follower("xz", 2, false)
		again := first
		again.FollowID, again.Created = "https://social1.example/follows/second-try", when.Add(time.Hour)
		for _, f := range []store.Follower{first, other, again} {
			noErr(t, "AcceptFollow", s.AcceptFollow(ctx(t), f, accept(f), seenKey(f)))
		}
		list, _ := allFollowers(t, s, "xz", 10)
		wantFollowers(t, "followers after a refollow", list, []store.Follower{other, again})
		wantSeen(t, s, seenKey(first), true)
		wantSeen(t, s, seenKey(again), true)
		wantDepth(t, s, 3) // each Follow has its Accept
	})

	t.Run("NoSuchLocalStoresNothing", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz")
		f := follower("nobody", 1, false)
		if err := s.AcceptFollow(ctx(t), f, accept(f), seenKey(f)); err == nil {
			t.Fatal("AcceptFollow of an actor that does not exist succeeded")
		}
		_, err := s.Follower(ctx(t), "nobody", f.Actor)
		wantErr(t, "Follower after a failed AcceptFollow", err, store.ErrNotFound)
		wantFollowerCount(t, s, "", 0)
		wantSeen(t, s, seenKey(f), false)
		wantDepth(t, s, 0)
		wantNoClaim(t, s, "after a failed AcceptFollow", time.Now())
	})
}
