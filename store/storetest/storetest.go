// Package storetest is the conformance suite every store backend must pass.
//
// The suite holds a backend to the contract written in the doc comments of package store, and to a few
// things that contract implies:
//
//   - Times round-trip exactly (time.Equal), to the nanosecond.
//   - Queue times are compared with a margin of one millisecond where a boundary is checked from below
//     (not due 1ms before, due at), so a backend must resolve queue times to the millisecond at least.
//   - Enqueue has no time argument: a delivery it queues is due from the moment it is queued, so the
//     suite claims at times taken after Enqueue returned.
//   - Followers and notices belong to a local actor, so the suite always creates that actor first.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"baton/store"
)

// Run runs every conformance test against stores made by open; open must return a new, empty store
// each call (and register its cleanup with t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Settings", func(t *testing.T) { testSettings(t, open) })
	t.Run("Actors", func(t *testing.T) { testActors(t, open) })
	t.Run("Keys", func(t *testing.T) { testKeys(t, open) })
	t.Run("Roles", func(t *testing.T) { testRoles(t, open) })
	t.Run("Followers", func(t *testing.T) { testFollowers(t, open) })
	t.Run("Notices", func(t *testing.T) { testNotices(t, open) })
	t.Run("Revisions", func(t *testing.T) { testRevisions(t, open) })
	t.Run("Genesis", func(t *testing.T) { testGenesis(t, open) })
	t.Run("Queue", func(t *testing.T) { testQueue(t, open) })
	t.Run("DeliveryStatus", func(t *testing.T) { testDeliveryStatus(t, open) })
	t.Run("LargeFanOut", func(t *testing.T) { testLargeFanOut(t, open) })
	t.Run("Remote", func(t *testing.T) { testRemote(t, open) })
	t.Run("InitActorKey", func(t *testing.T) { testInitActorKey(t, open) })
	t.Run("Watches", func(t *testing.T) { testWatches(t, open) })
	t.Run("Mirror", func(t *testing.T) { testMirror(t, open) })
	t.Run("Rejections", func(t *testing.T) { testRejections(t, open) })
	t.Run("Cases", func(t *testing.T) { testCases(t, open) })
	t.Run("Offers", func(t *testing.T) { testOffers(t, open) })
}

// when is a fixed instant with a nanosecond part and a zone other than UTC, so a backend that drops
// either is caught.
var when = time.Date(2024, time.March, 29, 16, 20, 5, 123456789, time.FixedZone("CET", 3600))

// seed returns 32 distinct bytes starting at b, zeros and high bytes included.
func seed(b byte) []byte {
	s := make([]byte, 32)
	for i := range s {
		s[i] = b + byte(i*8)
	}
	return s
}

func testActor(name string) store.Actor {
	return store.Actor{
		Name:        name,
		Kind:        "project",
		DisplayName: "Project " + name + " ✓",
		Summary:     "Notices from " + name + ".\nSecond line, with \"quotes\".",
		Homepage:    "https://" + name + ".example/",
		Repository:  "https://git.example/" + name + ".git",
		RSAKeyPEM:   "-----BEGIN PRIVATE KEY-----\nMIIE" + name + "\n-----END PRIVATE KEY-----\n",
		Ed25519Seed: seed(byte(len(name))),
		Created:     when,
	}
}

// mustCreateActors creates a plain local actor for each name.
func mustCreateActors(t *testing.T, s store.Store, names ...string) {
	t.Helper()
	for _, name := range names {
		if err := s.CreateActor(t.Context(), testActor(name)); err != nil {
			t.Fatalf("CreateActor(%q): %v", name, err)
		}
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantInt(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %d, want %d", what, got, want)
	}
}

func wantDepth(t *testing.T, s store.Store, want int) {
	t.Helper()
	n, err := s.QueueDepth(ctx(t))
	noErr(t, "QueueDepth", err)
	wantInt(t, "QueueDepth", n, want)
}

func sameActor(a, b store.Actor) bool {
	return a.Name == b.Name && a.Kind == b.Kind && a.DisplayName == b.DisplayName && a.Summary == b.Summary &&
		a.Homepage == b.Homepage && a.Repository == b.Repository && a.RSAKeyPEM == b.RSAKeyPEM &&
		bytes.Equal(a.Ed25519Seed, b.Ed25519Seed) && a.Created.Equal(b.Created) && sameTime(a.RecordSince, b.RecordSince) &&
		slices.Equal(a.SigningKeys, b.SigningKeys)
}

func sameFollower(a, b store.Follower) bool {
	return a.Local == b.Local && a.Actor == b.Actor && a.Inbox == b.Inbox && a.SharedInbox == b.SharedInbox &&
		a.FollowID == b.FollowID && a.Created.Equal(b.Created)
}

func sameNotice(a, b store.Notice) bool {
	return a.ID == b.ID && a.Actor == b.Actor && a.Kind == b.Kind && a.Public == b.Public &&
		bytes.Equal(a.Document, b.Document) && a.Published.Equal(b.Published)
}

func sameActivity(a, b store.Activity) bool {
	return a.ID == b.ID && a.Signer == b.Signer && bytes.Equal(a.Body, b.Body)
}

func wantActor(t *testing.T, got, want store.Actor) {
	t.Helper()
	if !sameActor(got, want) {
		t.Fatalf("actor\n got %+v\nwant %+v", got, want)
	}
}

func wantFollower(t *testing.T, got, want store.Follower) {
	t.Helper()
	if !sameFollower(got, want) {
		t.Fatalf("follower\n got %+v\nwant %+v", got, want)
	}
}

func wantNotice(t *testing.T, got, want store.Notice) {
	t.Helper()
	if !sameNotice(got, want) {
		t.Fatalf("notice\n got %+v (document %q)\nwant %+v (document %q)", got, got.Document, want, want.Document)
	}
}

// wantFollowers checks a list of followers against want, in order.
func wantFollowers(t *testing.T, what string, got, want []store.Follower) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d followers %v, want %d %v", what, len(got), followerActors(got), len(want), followerActors(want))
	}
	for i := range want {
		if !sameFollower(got[i], want[i]) {
			t.Fatalf("%s: follower %d\n got %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

func followerActors(fs []store.Follower) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Actor
	}
	return out
}

// wantNotices checks a list of notices against want, in order.
func wantNotices(t *testing.T, what string, got, want []store.Notice) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d notices %v, want %d %v", what, len(got), noticeIDs(got), len(want), noticeIDs(want))
	}
	for i := range want {
		if !sameNotice(got[i], want[i]) {
			t.Fatalf("%s: notice %d\n got %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

func noticeIDs(ns []store.Notice) []int64 {
	out := make([]int64, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

func deliveryIDs(ds []store.Delivery) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func deliveryInboxes(ds []store.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Inbox
	}
	return out
}

func sortedInboxes(ds []store.Delivery) []string {
	out := deliveryInboxes(ds)
	sort.Strings(out)
	return out
}

func wantStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

func wantIDs(t *testing.T, what string, got, want []int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// claim claims and fails the test on error.
func claim(t *testing.T, s store.Store, now time.Time, limit int, lease time.Duration) []store.Delivery {
	t.Helper()
	ds, err := s.Claim(ctx(t), now, limit, lease)
	noErr(t, fmt.Sprintf("Claim(now, %d, %v)", limit, lease), err)
	if len(ds) > limit {
		t.Fatalf("Claim(limit %d) returned %d deliveries", limit, len(ds))
	}
	return ds
}

// wantNoClaim checks that nothing can be claimed at now.
func wantNoClaim(t *testing.T, s store.Store, what string, now time.Time) {
	t.Helper()
	ds, err := s.Claim(ctx(t), now, 100, time.Minute)
	noErr(t, "Claim", err)
	if len(ds) != 0 {
		t.Fatalf("%s: claimed %d deliveries %v (inboxes %q), want none", what, len(ds), deliveryIDs(ds), deliveryInboxes(ds))
	}
}
