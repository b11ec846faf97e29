package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"baton/store"
)

func testRemote(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Seen", func(t *testing.T) {
		s := open(t)
		const id = "https://social.example/activities/1"
		const other = "https://social.example/activities/2"
		wantSeen := func(what, activityID string, want bool) {
			t.Helper()
			got, err := s.Seen(ctx(t), activityID)
			noErr(t, "Seen", err)
			if got != want {
				t.Fatalf("%s: Seen(%q) = %v, want %v", what, activityID, got, want)
			}
		}
		wantSeen("before MarkSeen", id, false)
		noErr(t, "MarkSeen", s.MarkSeen(ctx(t), id, when))
		wantSeen("after MarkSeen", id, true)
		wantSeen("another id", other, false)
		wantSeen("a prefix", id[:len(id)-1], false)
		noErr(t, "MarkSeen twice", s.MarkSeen(ctx(t), id, when.Add(time.Minute)))
		wantSeen("after MarkSeen twice", id, true)
		noErr(t, "MarkSeen of another", s.MarkSeen(ctx(t), other, when))
		wantSeen("the other after its MarkSeen", other, true)

		// The first MarkSeen's time counts: id was seen at `when`, other at `when` too.
		const late = "https://social.example/activities/3"
		noErr(t, "MarkSeen late", s.MarkSeen(ctx(t), late, when.Add(48*time.Hour)))
		n, err := s.ForgetSeen(ctx(t), when.Add(24*time.Hour))
		noErr(t, "ForgetSeen", err)
		if n != 2 {
			t.Fatalf("ForgetSeen forgot %d ids, want 2", n)
		}
		wantSeen("after ForgetSeen", id, false)
		wantSeen("a later id after ForgetSeen", late, true)
	})

	t.Run("UseOnce", func(t *testing.T) { testUseOnce(t, open(t)) })
	t.Run("UseOnceConcurrent", func(t *testing.T) { testUseOnceConcurrent(t, open(t)) })
	t.Run("WritesConcurrent", func(t *testing.T) { testWritesConcurrent(t, open(t)) })

	t.Run("RemoteKey", func(t *testing.T) {
		s := open(t)
		const keyID = "https://social.example/users/alice#main-key"
		_, err := s.RemoteKey(ctx(t), keyID)
		wantErr(t, "RemoteKey of an empty store", err, store.ErrNotFound)

		first := store.RemoteKey{
			KeyID:   keyID,
			Owner:   "https://social.example/users/alice",
			PEM:     "-----BEGIN PUBLIC KEY-----\nMIIBIjAN first\n-----END PUBLIC KEY-----\n",
			Fetched: when,
		}
		bob := store.RemoteKey{
			KeyID:   "https://social.example/users/bob#main-key",
			Owner:   "https://social.example/users/bob",
			PEM:     "-----BEGIN PUBLIC KEY-----\nMIIBIjAN bob\n-----END PUBLIC KEY-----\n",
			Fetched: when.Add(time.Second),
		}
		rotated := store.RemoteKey{
			KeyID:   keyID,
			Owner:   "https://social.example/users/alice2",
			PEM:     "-----BEGIN PUBLIC KEY-----\nMIIBIjAN rotated\n-----END PUBLIC KEY-----\n",
			Fetched: when.Add(36 * time.Hour),
		}
		wantKey := func(what string, want store.RemoteKey) {
			t.Helper()
			got, err := s.RemoteKey(ctx(t), want.KeyID)
			noErr(t, what, err)
			if got.KeyID != want.KeyID || got.Owner != want.Owner || got.PEM != want.PEM || !got.Fetched.Equal(want.Fetched) {
				t.Fatalf("%s: RemoteKey\n got %+v\nwant %+v", what, got, want)
			}
		}
		noErr(t, "PutRemoteKey", s.PutRemoteKey(ctx(t), first))
		noErr(t, "PutRemoteKey(bob)", s.PutRemoteKey(ctx(t), bob))
		wantKey("after Put", first)
		noErr(t, "PutRemoteKey again", s.PutRemoteKey(ctx(t), rotated))
		wantKey("after a second Put", rotated)
		wantKey("another key", bob)
		_, err = s.RemoteKey(ctx(t), "https://social.example/users/carol#main-key")
		wantErr(t, "RemoteKey(unknown)", err, store.ErrNotFound)
	})
}

func useOnce(t *testing.T, s store.Store, id string, now time.Time, want bool) {
	t.Helper()
	first, err := s.UseOnce(ctx(t), id, now)
	noErr(t, "UseOnce", err)
	if first != want {
		t.Fatalf("UseOnce(%q) = %v, want %v", id, first, want)
	}
}

func wantSeen(t *testing.T, s store.Store, id string, want bool) {
	t.Helper()
	seen, err := s.Seen(ctx(t), id)
	noErr(t, "Seen", err)
	if seen != want {
		t.Fatalf("Seen(%q) = %v, want %v", id, seen, want)
	}
}

// testUseOnce checks that UseOnce keeps ids as MarkSeen does: Seen reports them, ForgetSeen forgets
// them by the time of their first use, and a forgotten id is new again.
func testUseOnce(t *testing.T, s store.Store) {
	const query, late, marked = "urn:uuid:query-1", "urn:uuid:query-2", "https://social.example/activities/1"
	useOnce(t, s, query, when, true)
	wantSeen(t, s, query, true)
	useOnce(t, s, query, when, false)
	useOnce(t, s, query, when.Add(72*time.Hour), false) // a later use does not move the first one
	useOnce(t, s, late, when.Add(48*time.Hour), true)
	noErr(t, "MarkSeen", s.MarkSeen(ctx(t), marked, when))
	useOnce(t, s, marked, when.Add(time.Minute), false)

	n, err := s.ForgetSeen(ctx(t), when.Add(24*time.Hour))
	noErr(t, "ForgetSeen", err)
	wantInt(t, "ids forgotten", n, 2)
	wantSeen(t, s, query, false)
	wantSeen(t, s, late, true)
	useOnce(t, s, late, when.Add(49*time.Hour), false)
	useOnce(t, s, query, when.Add(96*time.Hour), true)
}

// testUseOnceConcurrent has callers use the same ids at once: for each id exactly one is first.
func testUseOnceConcurrent(t *testing.T, s store.Store) {
	const callers, ids = 16, 5
	firsts := make([][]bool, callers)
	var done sync.WaitGroup
	for c := range callers {
		firsts[c] = make([]bool, ids)
		done.Go(func() {
			for i := range ids {
				first, err := s.UseOnce(ctx(t), fmt.Sprintf("urn:uuid:shared-%d", i), when)
				if err != nil {
					t.Errorf("UseOnce: %v", err)
				}
				firsts[c][i] = first
			}
		})
	}
	done.Wait()
	for i := range ids {
		n := 0
		for c := range callers {
			if firsts[c][i] {
				n++
			}
		}
		wantInt(t, fmt.Sprintf("callers first to use id %d", i), n, 1)
	}
}

// testWritesConcurrent writes from many callers at once, a third of them refused: each caller gets its
// own answer, and every write answered without an error is there once all have returned.
func testWritesConcurrent(t *testing.T, s store.Store) {
	mustCreateActors(t, s, "taken")
	const callers = 48
	errs := make([]error, callers)
	var done sync.WaitGroup
	for c := range callers {
		done.Go(func() {
			switch c % 3 {
			case 0:
				errs[c] = s.CreateActor(ctx(t), testActor("taken"))
			case 1:
				errs[c] = s.MarkSeen(ctx(t), fmt.Sprintf("https://social.example/activities/%d", c), when)
			case 2:
				errs[c] = s.CreateActor(ctx(t), testActor(fmt.Sprintf("project-%d", c)))
			}
		})
	}
	done.Wait()
	for c := range callers {
		switch c % 3 {
		case 0:
			wantErr(t, fmt.Sprintf("caller %d: CreateActor of a name taken", c), errs[c], store.ErrExists)
		case 1:
			noErr(t, fmt.Sprintf("caller %d: MarkSeen", c), errs[c])
			seen, err := s.Seen(ctx(t), fmt.Sprintf("https://social.example/activities/%d", c))
			noErr(t, "Seen", err)
			if !seen {
				t.Errorf("caller %d: its id is not seen after MarkSeen returned", c)
			}
		case 2:
			noErr(t, fmt.Sprintf("caller %d: CreateActor", c), errs[c])
			_, err := s.Actor(ctx(t), fmt.Sprintf("project-%d", c))
			noErr(t, fmt.Sprintf("caller %d: Actor after CreateActor returned", c), err)
		}
	}
}
