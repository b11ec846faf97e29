package storetest

import (
	"fmt"
	"testing"
	"time"

	"baton/store"
)

// rejection is a refused version of one of an upstream's notices: n names the notice, v its version.
func rejection(u store.Upstream, n int, v string, at time.Time) store.RejectedNotice {
	return store.RejectedNotice{
		Upstream: u.Actor,
		ID:       fmt.Sprintf("%s/notices/%d", u.Actor, n),
		Digest:   fmt.Sprintf("%064s", v),
		Reason:   fmt.Sprintf("the statement's proofs: proof[0] by %q: signature does not verify\n(notice %d, version %s ✗)", u.Actor+"#k:1%", n, v),
		At:       at,
	}
}

func sameRejected(a, b store.RejectedNotice) bool {
	return a.Upstream == b.Upstream && a.ID == b.ID && a.Digest == b.Digest && a.Reason == b.Reason &&
		a.Basis == b.Basis && sameTime(a.At, b.At)
}

func wantRejected(t *testing.T, s store.Store, want store.RejectedNotice) {
	t.Helper()
	got, err := s.RejectedNotice(ctx(t), want.Upstream, want.ID, want.Digest)
	noErr(t, "RejectedNotice", err)
	if !sameRejected(got, want) {
		t.Fatalf("RejectedNotice\n got %+v\nwant %+v", got, want)
	}
}

func wantNotRejected(t *testing.T, s store.Store, r store.RejectedNotice) {
	t.Helper()
	_, err := s.RejectedNotice(ctx(t), r.Upstream, r.ID, r.Digest)
	wantErr(t, fmt.Sprintf("RejectedNotice(%s, version %s)", r.ID, r.Digest), err, store.ErrNotFound)
}

func wantRejectedList(t *testing.T, s store.Store, upstream string, want ...store.RejectedNotice) {
	t.Helper()
	got, err := s.RejectedNotices(ctx(t), upstream)
	noErr(t, "RejectedNotices", err)
	if len(got) != len(want) {
		t.Fatalf("RejectedNotices(%s): %d records %+v, want %d %+v", upstream, len(got), got, len(want), want)
	}
	for i := range want {
		if !sameRejected(got[i], want[i]) {
			t.Fatalf("RejectedNotices(%s), record %d\n got %+v\nwant %+v", upstream, i, got[i], want[i])
		}
	}
}

func mustReject(t *testing.T, s store.Store, keep int, rs ...store.RejectedNotice) {
	t.Helper()
	for _, r := range rs {
		noErr(t, "RejectNotice", s.RejectNotice(ctx(t), r, keep))
	}
}

func testRejections(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Versions", func(t *testing.T) {
		s := open(t)
		xz, zlib := testUpstream("xz"), testUpstream("zlib")
		mustPutUpstreams(t, s, xz, zlib)
		first := rejection(xz, 1, "a", when)
		wantNotRejected(t, s, first)
		wantRejectedList(t, s, xz.Actor)

		// A refusal by the policy names what it was judged against; another version of the notice, and
		// the same version at another upstream, are records of their own.
		policy := rejection(xz, 1, "b", when.Add(time.Second))
		policy.Reason, policy.Basis = "not a maintainer", "policy:3f2a"
		elsewhere := first
		elsewhere.Upstream = zlib.Actor
		mustReject(t, s, 0, first, policy, elsewhere)
		wantRejected(t, s, first)
		wantRejected(t, s, policy)
		wantRejected(t, s, elsewhere)
		wantNotRejected(t, s, rejection(xz, 2, "a", when))
		wantRejectedList(t, s, xz.Actor, first, policy)
		wantRejectedList(t, s, zlib.Actor, elsewhere)

		// Judged again: the record is replaced, and is now the most recent.
		again := first
		again.Reason, again.Basis, again.At = "the notice carries 2 proofs", "policy:77", when.Add(time.Hour)
		mustReject(t, s, 0, again)
		wantRejected(t, s, again)
		wantRejectedList(t, s, xz.Actor, policy, again)
	})
	t.Run("Keep", func(t *testing.T) {
		s := open(t)
		xz, zlib := testUpstream("xz"), testUpstream("zlib")
		mustPutUpstreams(t, s, xz, zlib)
		other := rejection(zlib, 1, "a", when)
		mustReject(t, s, 2, other)
		var rs []store.RejectedNotice
		for i := range 4 {
			rs = append(rs, rejection(xz, i+1, "a", when.Add(time.Duration(i)*time.Minute)))
		}
		mustReject(t, s, 3, rs...)
		wantRejectedList(t, s, xz.Actor, rs[1:]...)
		wantNotRejected(t, s, rs[0])
		// Recording the oldest kept again makes it the most recent: the next one goes instead.
		mustReject(t, s, 3, rs[1])
		wantRejectedList(t, s, xz.Actor, rs[2], rs[3], rs[1])
		mustReject(t, s, 2, rs[0])
		wantRejectedList(t, s, xz.Actor, rs[1], rs[0])
		wantNotRejected(t, s, rs[2])
		wantRejectedList(t, s, zlib.Actor, other) // another upstream's records do not count
		// No bound.
		mustReject(t, s, 0, rs[2], rs[3])
		wantRejectedList(t, s, xz.Actor, rs[1], rs[0], rs[2], rs[3])
	})
	t.Run("Forget", func(t *testing.T) {
		s := open(t)
		xz, zlib := testUpstream("xz"), testUpstream("zlib")
		mustPutUpstreams(t, s, xz, zlib)
		a, b, other := rejection(xz, 1, "a", when), rejection(xz, 2, "a", when), rejection(zlib, 1, "a", when)
		mustReject(t, s, 0, a, b, other)
		n, err := s.ForgetRejected(ctx(t), xz.Actor)
		noErr(t, "ForgetRejected", err)
		wantInt(t, "ForgetRejected", n, 2)
		wantNotRejected(t, s, a)
		wantNotRejected(t, s, b)
		wantRejectedList(t, s, xz.Actor)
		wantRejected(t, s, other)
		n, err = s.ForgetRejected(ctx(t), xz.Actor)
		noErr(t, "ForgetRejected again", err)
		wantInt(t, "ForgetRejected again", n, 0)
		// Recorded anew after being forgotten.
		mustReject(t, s, 0, b)
		wantRejectedList(t, s, xz.Actor, b)
	})
}
