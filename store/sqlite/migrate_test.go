package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/notice"
	"baton/store"
)

// TestMigrateFromV2 opens a database made by a baton of schema version 2, holding an actor and a
// follower, and checks that it is brought to the current version with its rows kept and the new
// tables usable.
func TestMigrateFromV2(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	old, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(dir, FileName)))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{schemaV1, schemaV2, `PRAGMA user_version = 2`,
		`INSERT INTO actors(name, kind, display_name, summary, homepage, repository, rsa_key_pem, ed25519_seed, created)
			VALUES ('xz-utils', 'package', '', '', '', '', '', x'', 1)`,
		`INSERT INTO followers(local, actor, inbox, shared_inbox, follow_id, created)
			VALUES ('xz-utils', 'https://a.example/u', 'https://a.example/u/inbox', '', 'https://a.example/f', 1)`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open of a version 2 database: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	var version int
	if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil || version != len(migrations) {
		t.Fatalf("user_version = %d, %v; want %d", version, err, len(migrations))
	}
	if key, err := s.InitActorKey(ctx, "xz-utils", "PEM"); err != nil || key != "PEM" {
		t.Fatalf("InitActorKey = %q, %v", key, err)
	}
	up := store.Upstream{Actor: "https://xz.example/xz", Name: "xz", Follow: store.FollowPending, Created: time.Now()}
	if err := s.PutUpstream(ctx, up); err != nil {
		t.Fatal(err)
	}
	if err := s.AddWatch(ctx, store.Watch{Package: "xz-utils", Upstream: up.Actor, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	n := store.MirroredNotice{ID: up.Actor + "/notices/1", Upstream: up.Actor, Kind: "release", Document: []byte(`{}`),
		Published: time.Now(), Received: time.Now()}
	a := store.Announcement{Package: "xz-utils", Activity: store.Activity{ID: "https://distro.example/a/1", Signer: "xz-utils", Body: []byte(`{}`)}}
	if added, queued, err := s.MirrorNotice(ctx, n, []store.Announcement{a}); err != nil || !added || queued != 1 {
		t.Fatalf("MirrorNotice = %v, %d, %v; want true, 1, nil", added, queued, err)
	}
	r := store.RejectedNotice{Upstream: up.Actor, ID: up.Actor + "/notices/2", Digest: "00", Reason: "forged", At: time.Now()}
	if err := s.RejectNotice(ctx, r, 10); err != nil {
		t.Fatalf("RejectNotice: %v", err)
	}
	if got, err := s.RejectedNotice(ctx, r.Upstream, r.ID, r.Digest); err != nil || got.Reason != "forged" {
		t.Fatalf("RejectedNotice = %+v, %v", got, err)
	}
}

// TestAddWatchSaysWhatIsMissing checks that a watch of a package or an upstream not stored fails with
// store.ErrNotFound naming the missing one, not with the database's bare foreign key error.
func TestAddWatchSaysWhatIsMissing(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	if err := s.CreateActor(ctx, store.Actor{Name: "xz-utils", Kind: store.KindPackage, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	up := store.Upstream{Actor: "https://xz.example/xz", Created: time.Now()}
	if err := s.PutUpstream(ctx, up); err != nil {
		t.Fatal(err)
	}
	err = s.AddWatch(ctx, store.Watch{Package: "xz-utils", Upstream: "https://nowhere.example/p", Created: time.Now()})
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "https://nowhere.example/p") {
		t.Errorf("AddWatch of an upstream not stored: %v", err)
	}
	err = s.AddWatch(ctx, store.Watch{Package: "nobody", Upstream: up.Actor, Created: time.Now()})
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Errorf("AddWatch of a package without an actor: %v", err)
	}
}

// TestMigrateRevisionsFromV4 opens a database of schema version 4 whose project has published, and
// checks that each actor's notices count as its revision, that actors read back without a genesis
// record, and that publishing goes on from the revision counted.
func TestMigrateRevisionsFromV4(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	old, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(dir, FileName)))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{schemaV1, schemaV2, schemaV3, schemaV4, `PRAGMA user_version = 4`,
		`INSERT INTO actors(name, kind, display_name, summary, homepage, repository, rsa_key_pem, ed25519_seed, created)
			VALUES ('xz', 'project', '', '', '', '', 'PEM', x'', 1), ('curl', 'project', '', '', '', '', 'PEM', x'', 2)`,
		`INSERT INTO notice_ids(id) VALUES (1), (2), (3)`,
		`INSERT INTO notices(id, actor, kind, public, document, published) VALUES
			(1, 'xz', 'release', 1, '{}', 1), (2, 'xz', 'advisory', 0, '{}', 2), (3, 'xz', 'release', 1, '{}', 3)`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open of a version 4 database: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	for actor, want := range map[string]int64{"xz": 3, "curl": 0} {
		if got, err := s.Revision(ctx, actor); err != nil || got != want {
			t.Errorf("Revision(%q) after migrating = %d, %v; want %d", actor, got, err, want)
		}
	}
	xz, err := s.Actor(ctx, "xz")
	if err != nil || !xz.RecordSince.IsZero() || len(xz.SigningKeys) != 0 || !xz.RecordStart().Equal(xz.Created) {
		t.Fatalf("Actor after migrating = %+v, %v; want no genesis record", xz, err)
	}
	err = s.AddGenesisKeys(ctx, "xz", []notice.SigningKey{{Fingerprint: "SHA256:k", Type: notice.SSH}})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("AddGenesisKeys of a project that published before migrating: %v, want ErrConflict", err)
	}
	id, err := s.NextNoticeID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := store.Notice{ID: id, Actor: "xz", Kind: "release", Document: []byte(`{}`), Published: time.Now()}
	if _, err := s.PublishNotice(ctx, n, store.Activity{ID: "a"}, 2); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("PublishNotice at revision 2 of 3: %v, want ErrConflict", err)
	}
	if _, err := s.PublishNotice(ctx, n, store.Activity{ID: "a"}, 3); err != nil {
		t.Fatalf("PublishNotice at revision 3: %v", err)
	}
}
