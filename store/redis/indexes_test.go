package redis

// These tests look inside Redis: the indexes the scripts keep beside the records must stay in step with
// them, and an activity must be kept exactly as long as a delivery needs it. They also cover what the
// conformance suite does not: UpdateNotice and the statement index, and the revision of notices stored
// before revisions were kept.

import (
	"errors"
	"testing"
	"time"

	"baton/notice"
	"baton/store"
)

// TestFollowIndexesStayInStep follows, refollows with a new shared inbox, unfollows and deletes a
// remote actor, checking after each step the local's distinct delivery inboxes, the remote actor's
// follows and the instance's count of follows.
func TestFollowIndexesStayInStep(t *testing.T) {
	s := openTest(t, needRedis(t), true)
	ctx := t.Context()
	for _, name := range []string{"xz", "curl"} {
		if err := s.CreateActor(ctx, store.Actor{Name: name, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	follow := func(local, actor, inbox, shared string) {
		t.Helper()
		if err := s.AddFollower(ctx, store.Follower{Local: local, Actor: actor, Inbox: inbox, SharedInbox: shared, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	want := func(step string, inboxes map[string]map[string]string, follows int) {
		t.Helper()
		for local, wantInboxes := range inboxes {
			got, err := s.c.HGetAll(ctx, s.k.inboxes(local)).Result()
			if err != nil || len(got) != len(wantInboxes) {
				t.Fatalf("%s: inboxes of %s = %v, %v; want %v", step, local, got, err, wantInboxes)
			}
			for inbox, n := range wantInboxes {
				if got[inbox] != n {
					t.Fatalf("%s: inboxes of %s = %v, want %v", step, local, got, wantInboxes)
				}
			}
		}
		n, err := s.CountFollowers(ctx, "")
		if err != nil || n != follows {
			t.Fatalf("%s: CountFollowers(\"\") = %d, %v; want %d", step, n, err, follows)
		}
	}

	follow("xz", "https://a.example/u/1", "https://a.example/u/1/inbox", "")
	follow("xz", "https://a.example/u/2", "https://a.example/u/2/inbox", "https://a.example/inbox")
	follow("xz", "https://a.example/u/3", "https://a.example/u/3/inbox", "https://a.example/inbox")
	follow("curl", "https://a.example/u/1", "https://a.example/u/1/inbox", "")
	want("after four follows", map[string]map[string]string{
		"xz":   {"https://a.example/u/1/inbox": "1", "https://a.example/inbox": "2"},
		"curl": {"https://a.example/u/1/inbox": "1"},
	}, 4)

	follow("xz", "https://a.example/u/1", "https://a.example/u/1/inbox", "https://a.example/inbox")
	want("after a refollow through the shared inbox", map[string]map[string]string{
		"xz": {"https://a.example/inbox": "3"},
	}, 4)

	if existed, err := s.RemoveFollower(ctx, "xz", "https://a.example/u/2"); err != nil || !existed {
		t.Fatalf("RemoveFollower = %v, %v", existed, err)
	}
	want("after an unfollow", map[string]map[string]string{"xz": {"https://a.example/inbox": "2"}}, 3)

	if n, err := s.RemoveActorEverywhere(ctx, "https://a.example/u/1"); err != nil || n != 2 {
		t.Fatalf("RemoveActorEverywhere = %d, %v; want 2", n, err)
	}
	want("after deleting an actor", map[string]map[string]string{
		"xz":   {"https://a.example/inbox": "1"},
		"curl": {},
	}, 1)
	if n, err := s.c.Exists(ctx, s.k.followsBy("https://a.example/u/1"), s.k.inboxes("curl")).Result(); err != nil || n != 0 {
		t.Fatalf("%d index keys of the deleted actor left (%v)", n, err)
	}

	err := s.AddFollower(ctx, store.Follower{Local: "nobody", Actor: "https://a.example/u/1", Inbox: "https://a.example/u/1/inbox"})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AddFollower of a local actor not stored: %v, want ErrNotFound", err)
	}
}

// TestActivitiesDoNotOutliveDeliveries checks that an activity is stored only for deliveries, that
// the last of its deliveries to complete takes it along, and that a failed delivery keeps it.
func TestActivitiesDoNotOutliveDeliveries(t *testing.T) {
	s := openTest(t, needRedis(t), true)
	ctx := t.Context()
	wantActivities := func(what string, want int) {
		t.Helper()
		keys, err := s.c.Keys(ctx, s.k.activity("*")).Result()
		if err != nil || len(keys) != want {
			t.Fatalf("%s: activities %q (%v), want %d", what, keys, err, want)
		}
	}
	act := func(id string) store.Activity { return store.Activity{ID: id, Signer: "xz", Body: []byte(`{}`)} }
	if err := s.CreateActor(ctx, store.Actor{Name: "xz", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	id, err := s.NextNoticeID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.PublishNotice(ctx, store.Notice{ID: id, Actor: "xz", Public: true, Document: []byte(`{}`), Published: time.Now()}, act("a"), store.AnyRevision); err != nil || n != 0 {
		t.Fatalf("PublishNotice = %d, %v", n, err)
	}
	wantActivities("after publishing to no followers", 0)
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
		var err error
		switch d.Activity.ID {
		case "c":
			err = s.Complete(ctx, d.ID)
		case "d":
			err = s.Fail(ctx, d.ID, "410 Gone")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	wantActivities("after completing c's deliveries and failing d's", 1)
	if n, err := s.c.ZCard(ctx, s.k.queue("failed")).Result(); err != nil || n != 1 {
		t.Fatalf("failed deliveries kept = %d, %v; want 1", n, err)
	}
}

// TestUpdateNoticeAndStatements covers UpdateNotice (queued to followers when public, never when not)
// and the statement index (unique, found by NoticeByStatement).
func TestUpdateNoticeAndStatements(t *testing.T) {
	s := openTest(t, needRedis(t), true)
	ctx := t.Context()
	if err := s.CreateActor(ctx, store.Actor{Name: "xz", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	f := store.Follower{Local: "xz", Actor: "https://a.example/u", Inbox: "https://a.example/u/inbox", Created: time.Now()}
	if err := s.AddFollower(ctx, f); err != nil {
		t.Fatal(err)
	}
	act := store.Activity{ID: "https://baton.example/update", Signer: "xz", Body: []byte(`{"type":"Update"}`)}
	publish := func(statement string, public bool) (store.Notice, error) {
		id, err := s.NextNoticeID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := store.Notice{ID: id, Actor: "xz", StatementID: statement, Kind: "handover", Public: public,
			Document: []byte(`{"v":1}`), Published: time.Now()}
		_, err = s.PublishNotice(ctx, n, act, store.AnyRevision)
		return n, err
	}
	pub, err := publish("urn:statement:1", true)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := publish("", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := publish("urn:statement:1", true); !errors.Is(err, store.ErrExists) {
		t.Fatalf("PublishNotice of a statement published already: %v, want ErrExists", err)
	}
	if got, err := s.NoticeByStatement(ctx, "urn:statement:1"); err != nil || got.ID != pub.ID {
		t.Fatalf("NoticeByStatement = %+v, %v; want notice %d", got, err, pub.ID)
	}
	for _, st := range []string{"", "urn:statement:2"} {
		if _, err := s.NoticeByStatement(ctx, st); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("NoticeByStatement(%q): %v, want ErrNotFound", st, err)
		}
	}
	if n, err := s.CountNotices(ctx, "", false); err != nil || n != 2 {
		t.Fatalf("CountNotices = %d, %v; want 2", n, err)
	}

	for _, tc := range []struct {
		n      store.Notice
		queued int
	}{{pub, 1}, {priv, 0}} {
		queued, err := s.UpdateNotice(ctx, tc.n.ID, []byte(`{"v":2}`), act, store.AnyRevision)
		if err != nil || queued != tc.queued {
			t.Fatalf("UpdateNotice(%d) = %d, %v; want %d", tc.n.ID, queued, err, tc.queued)
		}
		got, err := s.Notice(ctx, tc.n.ID)
		if err != nil || string(got.Document) != `{"v":2}` || got.StatementID != tc.n.StatementID || got.Public != tc.n.Public {
			t.Fatalf("Notice after UpdateNotice = %+v, %v", got, err)
		}
	}
	if _, err := s.UpdateNotice(ctx, priv.ID+100, []byte(`{}`), act, store.AnyRevision); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateNotice of an unknown notice: %v, want ErrNotFound", err)
	}
	if depth, err := s.QueueDepth(ctx); err != nil || depth != 2 {
		t.Fatalf("QueueDepth = %d, %v; want 2 (the publish and the update of the public notice)", depth, err)
	}
}

// TestRevisionOfNoticesStoredBefore checks an actor whose notices were stored before revisions were
// kept (no revision field in its hash): its notices count one each, as SQLite's migration counts them,
// and the next write goes on from there and stores the revision.
func TestRevisionOfNoticesStoredBefore(t *testing.T) {
	s := openTest(t, needRedis(t), true)
	ctx := t.Context()
	if err := s.CreateActor(ctx, store.Actor{Name: "xz", Kind: store.KindProject, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	act := store.Activity{ID: "https://baton.example/a", Signer: "xz", Body: []byte(`{}`)}
	for range 3 {
		id, err := s.NextNoticeID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PublishNotice(ctx, store.Notice{ID: id, Actor: "xz", Document: []byte(`{}`), Published: time.Now()}, act, store.AnyRevision); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.c.HSet(ctx, s.k.actor("xz"), "revision", "7").Err(); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Revision(ctx, "xz"); err != nil || r != 7 {
		t.Fatalf("Revision with the field set = %d, %v; want 7", r, err)
	}
	if err := s.c.HDel(ctx, s.k.actor("xz"), "revision").Err(); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Revision(ctx, "xz"); err != nil || r != 3 {
		t.Fatalf("Revision without the field = %d, %v; want 3, one per notice", r, err)
	}
	err := s.AddGenesisKeys(ctx, "xz", []notice.SigningKey{{Fingerprint: "SHA256:k", Type: notice.SSH}})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("AddGenesisKeys of a project with notices but no revision field: %v, want ErrConflict", err)
	}
	if _, err := s.UpdateNotice(ctx, 1, []byte(`{"v":2}`), act, 3); err != nil {
		t.Fatalf("UpdateNotice at revision 3: %v", err)
	}
	if got, err := s.c.HGet(ctx, s.k.actor("xz"), "revision").Result(); err != nil || got != "4" {
		t.Fatalf("revision field after UpdateNotice = %q, %v; want 4", got, err)
	}
}

// TestExpiredLeasesReturnInBatches has more deliveries whose lease ran out than one Claim moves back:
// each comes back, over several claims, and none twice.
func TestExpiredLeasesReturnInBatches(t *testing.T) {
	s := openTest(t, needRedis(t), true)
	ctx := t.Context()
	const total = expiredPerClaim + 500
	to := make([]string, total)
	for i := range to {
		to[i] = "https://host.example/inbox/" + string(rune('a'+i%26))
	}
	if err := s.Enqueue(ctx, store.Activity{ID: "a", Body: []byte(`{}`)}, to); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if ds, err := s.Claim(ctx, t0, total, time.Minute); err != nil || len(ds) != total {
		t.Fatalf("Claim = %d, %v; want %d", len(ds), err, total)
	}
	seen := map[int64]bool{}
	for range 3 {
		ds, err := s.Claim(ctx, t0.Add(time.Hour), total, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if seen[d.ID] {
				t.Fatalf("delivery %d reclaimed twice within its new lease", d.ID)
			}
			seen[d.ID] = true
		}
	}
	if len(seen) != total {
		t.Fatalf("%d deliveries reclaimed after their lease, want %d", len(seen), total)
	}
}
