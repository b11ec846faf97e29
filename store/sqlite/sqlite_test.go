package sqlite_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"baton/store"
	"baton/store/sqlite"
	"baton/store/storetest"
)

func open(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := open(t, t.TempDir())
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

// TestHolds checks the lock file: two handles on one data folder act as two processes would.
func TestHolds(t *testing.T) {
	storetest.RunHolds(t, func(t *testing.T) (store.Store, store.Store) {
		dir := t.TempDir()
		a, b := open(t, dir), open(t, dir)
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b
	}, false)
}

// TestMove moves an instance from one SQLite database into another.
func TestMove(t *testing.T) {
	storetest.RunMove(t, openMovable, openMovable)
}

func openMovable(t *testing.T) store.Movable {
	s := open(t, t.TempDir())
	t.Cleanup(func() { s.Close() })
	return s
}

// TestReopen checks that nothing accepted is lost when the process stops: everything written before
// Close is there after Open of the same folder, a lease included.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	created := time.Date(2024, time.March, 29, 16, 20, 5, 123456789, time.UTC)

	actor := store.Actor{
		Name: "xz", Kind: "project", DisplayName: "XZ Utils", Summary: "Compression.",
		Homepage: "https://xz.example/", Repository: "https://git.example/xz.git",
		RSAKeyPEM:   "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
		Ed25519Seed: bytes.Repeat([]byte{0x00, 0xff, 0x7f, 0x80}, 8), Created: created,
	}
	follower := store.Follower{
		Local: "xz", Actor: "https://social.example/users/a", Inbox: "https://social.example/users/a/inbox",
		SharedInbox: "https://social.example/inbox", FollowID: "https://social.example/follows/1", Created: created,
	}
	publishAct := store.Activity{ID: "https://baton.example/xz/notices/1/activity", Signer: "xz", Body: []byte(`{"type":"Create"}`)}
	queuedAct := store.Activity{ID: "https://baton.example/actor#update", Signer: "", Body: []byte(`{"type":"Update"}`)}

	s := open(t, dir)
	if _, err := s.InitSetting(ctx, "instance-key", []byte("key-1")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateActor(ctx, actor); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFollower(ctx, follower); err != nil {
		t.Fatal(err)
	}
	id, err := s.NextNoticeID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	notice := store.Notice{ID: id, Actor: "xz", Kind: "release", Public: true, Document: []byte(`{"content":"5.6.2"}`), Published: created}
	if n, err := s.PublishNotice(ctx, notice, publishAct, 0); err != nil || n != 1 {
		t.Fatalf("PublishNotice = %d, %v; want 1, nil", n, err)
	}
	if err := s.Enqueue(ctx, queuedAct, []string{"https://other.example/inbox"}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	const lease = time.Hour
	if ds, err := s.Claim(ctx, t0, 10, lease); err != nil || len(ds) != 2 {
		t.Fatalf("Claim = %d deliveries, %v; want 2", len(ds), err)
	}
	if err := s.MarkSeen(ctx, "https://social.example/activities/1", t0); err != nil {
		t.Fatal(err)
	}
	key := store.RemoteKey{KeyID: "https://social.example/users/a#main-key", Owner: follower.Actor, PEM: "PEM", Fetched: created}
	if err := s.PutRemoteKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t, dir)
	t.Cleanup(func() { s.Close() })

	if v, err := s.InitSetting(ctx, "instance-key", []byte("key-2")); err != nil || string(v) != "key-1" {
		t.Errorf("InitSetting after reopen = %q, %v; want key-1", v, err)
	}
	if got, err := s.Actor(ctx, "xz"); err != nil || got.DisplayName != actor.DisplayName ||
		!bytes.Equal(got.Ed25519Seed, actor.Ed25519Seed) || !got.Created.Equal(created) || got.RSAKeyPEM != actor.RSAKeyPEM {
		t.Errorf("Actor after reopen = %+v, %v; want %+v", got, err, actor)
	}
	if err := s.CreateActor(ctx, actor); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateActor after reopen: %v, want ErrExists", err)
	}
	if got, err := s.Follower(ctx, "xz", follower.Actor); err != nil || got.FollowID != follower.FollowID ||
		got.SharedInbox != follower.SharedInbox || !got.Created.Equal(created) {
		t.Errorf("Follower after reopen = %+v, %v; want %+v", got, err, follower)
	}
	if got, err := s.Notice(ctx, id); err != nil || !bytes.Equal(got.Document, notice.Document) || !got.Published.Equal(created) || !got.Public {
		t.Errorf("Notice after reopen = %+v, %v; want %+v", got, err, notice)
	}
	if next, err := s.NextNoticeID(ctx); err != nil || next <= id {
		t.Errorf("NextNoticeID after reopen = %d, %v; want above %d (ids are never reused)", next, err, id)
	}
	if seen, err := s.Seen(ctx, "https://social.example/activities/1"); err != nil || !seen {
		t.Errorf("Seen after reopen = %v, %v; want true", seen, err)
	}
	if got, err := s.RemoteKey(ctx, key.KeyID); err != nil || got.PEM != key.PEM || !got.Fetched.Equal(created) {
		t.Errorf("RemoteKey after reopen = %+v, %v", got, err)
	}

	if n, err := s.QueueDepth(ctx); err != nil || n != 2 {
		t.Fatalf("QueueDepth after reopen = %d, %v; want 2", n, err)
	}
	// The lease taken before the restart still holds...
	if ds, err := s.Claim(ctx, t0.Add(lease-time.Millisecond), 10, lease); err != nil || len(ds) != 0 {
		t.Fatalf("Claim within the old lease = %d deliveries, %v; want none", len(ds), err)
	}
	// ...and once it ran out, both deliveries are handed out again, whole.
	ds, err := s.Claim(ctx, t0.Add(lease+time.Millisecond), 10, lease)
	if err != nil || len(ds) != 2 {
		t.Fatalf("Claim after the old lease = %d deliveries, %v; want 2", len(ds), err)
	}
	want := map[string]store.Activity{follower.SharedInbox: publishAct, "https://other.example/inbox": queuedAct}
	for _, d := range ds {
		a, ok := want[d.Inbox]
		if !ok || d.Activity.ID != a.ID || d.Activity.Signer != a.Signer || !bytes.Equal(d.Activity.Body, a.Body) {
			t.Errorf("delivery to %s after reopen carries %+v", d.Inbox, d.Activity)
		}
		delete(want, d.Inbox)
	}
}
