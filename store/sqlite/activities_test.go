package sqlite

import (
	"testing"
	"time"

	"baton/store"
)

// TestActivitiesDoNotOutliveDeliveries checks, inside the database, that an activity body is kept
// exactly as long as a delivery needs it: none is stored for nobody, and the last delivery to be
// completed takes it along. A failed delivery keeps its activity, for operators.
func TestActivitiesDoNotOutliveDeliveries(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	wantActivities := func(what string, want int) {
		t.Helper()
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM activities`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("%s: %d activities stored, want %d", what, n, want)
		}
	}
	act := func(id string) store.Activity { return store.Activity{ID: id, Signer: "xz", Body: []byte(`{}`)} }

	if err := s.CreateActor(ctx, store.Actor{Name: "xz", Ed25519Seed: make([]byte, 32), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	id, err := s.NextNoticeID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.PublishNotice(ctx, store.Notice{ID: id, Actor: "xz", Document: []byte(`{}`), Published: time.Now()}, act("a"), store.AnyRevision); err != nil || n != 0 {
		t.Fatalf("PublishNotice = %d, %v", n, err)
	}
	wantActivities("after publishing to no followers", 0)
	if err := s.Enqueue(ctx, act("b"), nil); err != nil {
		t.Fatal(err)
	}
	wantActivities("after enqueueing to no inbox", 0)

	if err := s.Enqueue(ctx, act("c"), []string{"https://one.example/inbox", "https://two.example/inbox"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(ctx, act("d"), []string{"https://three.example/inbox"}); err != nil {
		t.Fatal(err)
	}
	wantActivities("after enqueueing two", 2)
	ds, err := s.Claim(ctx, time.Now(), 10, time.Minute)
	if err != nil || len(ds) != 3 {
		t.Fatalf("Claim = %d, %v", len(ds), err)
	}
	for _, d := range ds {
		switch d.Activity.ID {
		case "c":
			if err := s.Complete(ctx, d.ID); err != nil {
				t.Fatal(err)
			}
		case "d":
			if err := s.Fail(ctx, d.ID, "410 Gone"); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantActivities("after completing c's deliveries and failing d's", 1)
}
