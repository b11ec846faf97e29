package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"baton/notice"
	"baton/store"
)

// schemaV3 adds the upstreams a distro follows, which package comes from which, and the upstream
// notices that verified. A package is an actor like the others (kind "package"), so its followers and
// the deliveries to them are in the tables of schemaV1.
const schemaV3 = `
CREATE TABLE upstreams (
	actor        TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	inbox        TEXT NOT NULL,
	shared_inbox TEXT NOT NULL,
	outbox       TEXT NOT NULL,
	proof_key    TEXT NOT NULL,
	genesis      BLOB NOT NULL,
	stewards     BLOB NOT NULL,
	follow_id    TEXT NOT NULL,
	follow       TEXT NOT NULL,
	synced       INTEGER NOT NULL,
	created      INTEGER NOT NULL
);
CREATE TABLE watches (
	package  TEXT PRIMARY KEY REFERENCES actors(name),
	upstream TEXT NOT NULL REFERENCES upstreams(actor),
	purl     TEXT NOT NULL,
	created  INTEGER NOT NULL
);
CREATE INDEX watches_upstream ON watches(upstream, package);
CREATE TABLE mirrored (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	id        TEXT NOT NULL UNIQUE,
	upstream  TEXT NOT NULL,
	kind      TEXT NOT NULL,
	document  BLOB NOT NULL,
	proofs    BLOB NOT NULL,
	published INTEGER NOT NULL,
	received  INTEGER NOT NULL
);
CREATE INDEX mirrored_upstream ON mirrored(upstream, published, seq);
`

// fromUnixOrZero reads back what unixOrZero stored.
func fromUnixOrZero(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromUnix(n)
}

// PutUpstream implements store.Watches. It updates the row in place rather than replacing it, so the
// watches that refer to the upstream stay.
func (s *Store) PutUpstream(ctx context.Context, u store.Upstream) error {
	genesis, err := store.EncodeGenesis(u.Genesis)
	if err != nil {
		return err
	}
	stewards, err := store.EncodeStewards(u.Stewards)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO upstreams(`+upstreamColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(actor) DO UPDATE SET name = excluded.name, inbox = excluded.inbox, shared_inbox = excluded.shared_inbox,
			outbox = excluded.outbox, proof_key = excluded.proof_key, genesis = excluded.genesis, stewards = excluded.stewards,
			follow_id = excluded.follow_id, follow = excluded.follow, synced = excluded.synced, created = excluded.created`,
		u.Actor, u.Name, u.Inbox, u.SharedInbox, u.Outbox, u.ProofKey, genesis, stewards, u.FollowID, u.Follow,
		unixOrZero(u.Synced), unixOrZero(u.Created))
	return err
}

const upstreamColumns = `actor, name, inbox, shared_inbox, outbox, proof_key, genesis, stewards, follow_id, follow, synced, created`

func scanUpstream(row scanner) (store.Upstream, error) {
	var u store.Upstream
	var genesis, stewards []byte
	var synced, created int64
	err := row.Scan(&u.Actor, &u.Name, &u.Inbox, &u.SharedInbox, &u.Outbox, &u.ProofKey, &genesis, &stewards,
		&u.FollowID, &u.Follow, &synced, &created)
	if err != nil {
		return store.Upstream{}, err
	}
	u.Synced, u.Created = fromUnixOrZero(synced), fromUnixOrZero(created)
	if u.Genesis, err = store.DecodeGenesis(genesis); err != nil {
		return store.Upstream{}, fmt.Errorf("upstream %s: %w", u.Actor, err)
	}
	if u.Stewards, err = store.DecodeStewards(stewards); err != nil {
		return store.Upstream{}, fmt.Errorf("upstream %s: %w", u.Actor, err)
	}
	return u, nil
}

// Upstream implements store.Watches.
func (s *Store) Upstream(ctx context.Context, actor string) (store.Upstream, error) {
	u, err := scanUpstream(s.db.QueryRowContext(ctx, `SELECT `+upstreamColumns+` FROM upstreams WHERE actor = ?`, actor))
	return u, notFound(err)
}

// ListUpstreams implements store.Watches.
func (s *Store) ListUpstreams(ctx context.Context) ([]store.Upstream, error) {
	return queryAll(ctx, s.db, scanUpstream, `SELECT `+upstreamColumns+` FROM upstreams ORDER BY actor`)
}

// AddWatch implements store.Watches. A missing package actor or upstream is an error wrapping
// store.ErrNotFound, checked before the insert so the caller learns which one is missing (the foreign
// keys alone would only say that one is).
func (s *Store) AddWatch(ctx context.Context, w store.Watch) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM actors WHERE name = ?`, w.Package).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("watch of package %q: no such actor: %w", w.Package, store.ErrNotFound)
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM upstreams WHERE actor = ?`, w.Upstream).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("watch of package %q: upstream %s is not stored: %w", w.Package, w.Upstream, store.ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO watches(package, upstream, purl, created) VALUES (?, ?, ?, ?)`,
			w.Package, w.Upstream, w.Purl, unixOrZero(w.Created))
		if isUniqueViolation(err) {
			return fmt.Errorf("watch of package %q: %w", w.Package, store.ErrExists)
		}
		return err
	})
}

const watchColumns = `package, upstream, purl, created`

func scanWatch(row scanner) (store.Watch, error) {
	var w store.Watch
	var created int64
	err := row.Scan(&w.Package, &w.Upstream, &w.Purl, &created)
	w.Created = fromUnixOrZero(created)
	return w, err
}

// Watch implements store.Watches.
func (s *Store) Watch(ctx context.Context, pkg string) (store.Watch, error) {
	w, err := scanWatch(s.db.QueryRowContext(ctx, `SELECT `+watchColumns+` FROM watches WHERE package = ?`, pkg))
	return w, notFound(err)
}

// ListWatches implements store.Watches.
func (s *Store) ListWatches(ctx context.Context) ([]store.Watch, error) {
	return s.listWatches(ctx, `SELECT `+watchColumns+` FROM watches ORDER BY package`)
}

// WatchesOf implements store.Watches.
func (s *Store) WatchesOf(ctx context.Context, upstream string) ([]store.Watch, error) {
	return s.listWatches(ctx, `SELECT `+watchColumns+` FROM watches WHERE upstream = ? ORDER BY package`, upstream)
}

func (s *Store) listWatches(ctx context.Context, query string, args ...any) ([]store.Watch, error) {
	return queryAll(ctx, s.db, scanWatch, query, args...)
}

// RemoveWatch implements store.Watches.
func (s *Store) RemoveWatch(ctx context.Context, pkg string) error {
	res, err := s.exec(ctx, `DELETE FROM watches WHERE package = ?`, pkg)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = fmt.Errorf("watch of package %q: %w", pkg, store.ErrNotFound)
		}
		return err
	}
	return nil
}

// MirrorNotice implements store.Mirror. The announcements are queued the way PublishNotice queues a
// notice's activity (queueForFollowers), in the transaction that stores the notice.
func (s *Store) MirrorNotice(ctx context.Context, n store.MirroredNotice, announcements []store.Announcement) (bool, int, error) {
	proofs, err := store.EncodeProofs(n.Proofs)
	if err != nil {
		return false, 0, err
	}
	document := n.Document
	if document == nil {
		document = []byte{}
	}
	var added bool
	var queued int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		added, queued = false, 0 // set anew if it runs again
		res, err := tx.ExecContext(ctx, `INSERT INTO mirrored(id, upstream, kind, document, proofs, published, received)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			n.ID, n.Upstream, n.Kind, document, proofs, unixOrZero(n.Published), unixOrZero(n.Received))
		if err != nil {
			return err
		}
		if inserted, err := res.RowsAffected(); err != nil || inserted == 0 {
			return err // stored already: nothing to announce
		}
		added = true
		for _, a := range announcements {
			q, err := s.queueForFollowers(ctx, tx, a.Package, a.Activity, dueAtOnce)
			if err != nil {
				return fmt.Errorf("announce %s to the followers of %s: %w", n.ID, a.Package, err)
			}
			queued += q
		}
		return nil
	})
	if err != nil {
		return false, 0, err
	}
	return added, int(queued), nil
}

// UpdateMirrored implements store.Mirror.
func (s *Store) UpdateMirrored(ctx context.Context, id string, document []byte, proofs []notice.Proof) error {
	encoded, err := store.EncodeProofs(proofs)
	if err != nil {
		return err
	}
	if document == nil {
		document = []byte{}
	}
	res, err := s.exec(ctx, `UPDATE mirrored SET document = ?, proofs = ? WHERE id = ?`, document, encoded, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = fmt.Errorf("mirrored notice %s: %w", id, store.ErrNotFound)
		}
		return err
	}
	return nil
}

const mirroredColumns = `id, upstream, kind, document, proofs, published, received`

func scanMirrored(row scanner) (store.MirroredNotice, error) {
	var n store.MirroredNotice
	var proofs []byte
	var published, received int64
	if err := row.Scan(&n.ID, &n.Upstream, &n.Kind, &n.Document, &proofs, &published, &received); err != nil {
		return store.MirroredNotice{}, err
	}
	n.Published, n.Received = fromUnixOrZero(published), fromUnixOrZero(received)
	var err error
	if n.Proofs, err = store.DecodeProofs(proofs); err != nil {
		return store.MirroredNotice{}, fmt.Errorf("mirrored notice %s: %w", n.ID, err)
	}
	return n, nil
}

// MirroredNotice implements store.Mirror.
func (s *Store) MirroredNotice(ctx context.Context, id string) (store.MirroredNotice, error) {
	n, err := scanMirrored(s.db.QueryRowContext(ctx, `SELECT `+mirroredColumns+` FROM mirrored WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return n, fmt.Errorf("mirrored notice %s: %w", id, store.ErrNotFound)
	}
	return n, err
}

// MirroredNotices implements store.Mirror.
func (s *Store) MirroredNotices(ctx context.Context, upstream string) ([]store.MirroredNotice, error) {
	return queryAll(ctx, s.db, scanMirrored, `SELECT `+mirroredColumns+` FROM mirrored WHERE upstream = ? ORDER BY published, seq`, upstream)
}
