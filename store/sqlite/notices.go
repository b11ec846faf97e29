package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"baton/store"
)

// NextNoticeID implements store.Notices. An id reserved and never published leaves a gap, which is
// harmless: ids only have to be unique and never reused.
func (s *Store) NextNoticeID(ctx context.Context) (int64, error) {
	res, err := s.exec(ctx, `INSERT INTO notice_ids DEFAULT VALUES`)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Revision implements store.Notices.
func (s *Store) Revision(ctx context.Context, actor string) (int64, error) {
	var revision int64
	err := s.db.QueryRowContext(ctx, `SELECT notice_revision FROM actors WHERE name = ?`, actor).Scan(&revision)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return revision, err
}

// revise counts one more revision of actor's notices, or answers ErrConflict when expect is not
// AnyRevision and not the revision now. Inside the transaction that writes the notice, which holds
// the database's one write lock from its BEGIN, no other writer comes between the check and the count.
func revise(ctx context.Context, tx *sql.Tx, actor string, expect int64) error {
	var revision int64
	err := tx.QueryRowContext(ctx, `SELECT notice_revision FROM actors WHERE name = ?`, actor).Scan(&revision)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil // no such actor: revision 0, and storing its notice fails on the missing actor
	}
	if err != nil {
		return err
	}
	if expect != store.AnyRevision && revision != expect {
		return fmt.Errorf("notices of %q are at revision %d, not %d: %w", actor, revision, expect, store.ErrConflict)
	}
	_, err = tx.ExecContext(ctx, `UPDATE actors SET notice_revision = notice_revision + 1 WHERE name = ?`, actor)
	return err
}

// PublishNotice implements store.Notices.
func (s *Store) PublishNotice(ctx context.Context, n store.Notice, a store.Activity, expect int64) (int, error) {
	var queued int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := revise(ctx, tx, n.Actor, expect); err != nil {
			return err
		}
		if err := insertNotice(ctx, tx, n); err != nil {
			return err
		}
		var err error
		if !n.Public {
			queued, err = s.queueTo(ctx, tx, a, a.To) // stewards only: never to followers
			return err
		}
		queued, err = s.queueForFollowers(ctx, tx, n.Actor, a, dueAtOnce)
		return err
	})
	return int(queued), err
}

// EnqueueFollowers implements store.Queue.
func (s *Store) EnqueueFollowers(ctx context.Context, local string, a store.Activity) (int, error) {
	var queued int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		queued, err = s.queueForFollowers(ctx, tx, local, a, dueAtOnce)
		return err
	})
	return int(queued), err
}

// queueForFollowers stores a and queues it once for each distinct delivery inbox of local's followers,
// chosen inside the database: the follower list is never loaded into memory, however long it is.
func (s *Store) queueForFollowers(ctx context.Context, tx *sql.Tx, local string, a store.Activity, due int64) (int64, error) {
	seq, err := s.insertActivity(ctx, tx, a)
	if err != nil {
		return 0, err
	}
	// Each inbox once, in the order its first follower followed rather than by URL: followers come
	// from everywhere, so consecutive deliveries go to different hosts, and none gets a burst of
	// parallel requests (nor needs a dozen new connections) while the others wait.
	res, err := tx.ExecContext(ctx, `INSERT INTO deliveries(activity, inbox, next_at, created)
		SELECT ?, inbox, ?, ? FROM (
			SELECT CASE WHEN shared_inbox != '' THEN shared_inbox ELSE inbox END AS inbox, MIN(seq) AS first
			FROM followers WHERE local = ? GROUP BY 1)
		ORDER BY first`, seq, due, unix(time.Now()), local)
	if err != nil {
		return 0, err
	}
	queued, err := res.RowsAffected()
	if err != nil || queued > 0 {
		return queued, err
	}
	// No follower: no delivery will ever complete and take the activity along, so drop it now.
	_, err = tx.ExecContext(ctx, `DELETE FROM activities WHERE seq = ?`, seq)
	return 0, err
}

// insertNotice stores a notice, or answers ErrExists when its id or its statement is taken.
func insertNotice(ctx context.Context, tx *sql.Tx, n store.Notice) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO notices(id, actor, statement_id, kind, public, document, published)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, n.ID, n.Actor, n.StatementID, n.Kind, n.Public, n.Document, unix(n.Published))
	if isUniqueViolation(err) {
		return fmt.Errorf("notice %d or statement %q: %w", n.ID, n.StatementID, store.ErrExists)
	}
	return err
}

func (s *Store) insertActivity(ctx context.Context, tx *sql.Tx, a store.Activity) (int64, error) {
	res, err := s.txExec(ctx, tx, `INSERT INTO activities(activity_id, signer, body) VALUES (?, ?, ?)`, a.ID, a.Signer, a.Body)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

const noticeColumns = `id, actor, statement_id, kind, public, document, published`

func scanNotice(row scanner) (store.Notice, error) {
	var n store.Notice
	var published int64
	err := row.Scan(&n.ID, &n.Actor, &n.StatementID, &n.Kind, &n.Public, &n.Document, &published)
	n.Published = fromUnix(published)
	return n, err
}

// Notice implements store.Notices.
func (s *Store) Notice(ctx context.Context, id int64) (store.Notice, error) {
	n, err := scanNotice(s.db.QueryRowContext(ctx, `SELECT `+noticeColumns+` FROM notices WHERE id = ?`, id))
	return n, notFound(err)
}

// NoticeByStatement implements store.Notices.
func (s *Store) NoticeByStatement(ctx context.Context, statementID string) (store.Notice, error) {
	if statementID == "" {
		return store.Notice{}, store.ErrNotFound
	}
	n, err := scanNotice(s.db.QueryRowContext(ctx, `SELECT `+noticeColumns+` FROM notices WHERE statement_id = ?`, statementID))
	return n, notFound(err)
}

// UpdateNotice implements store.Notices.
func (s *Store) UpdateNotice(ctx context.Context, id int64, document []byte, a store.Activity, expect int64) (int, error) {
	var queued int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var actor string
		var public bool
		err := tx.QueryRowContext(ctx, `SELECT actor, public FROM notices WHERE id = ?`, id).Scan(&actor, &public)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("notice %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := revise(ctx, tx, actor, expect); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notices SET document = ? WHERE id = ?`, document, id); err != nil {
			return err
		}
		if !public {
			queued, err = s.queueTo(ctx, tx, a, a.To) // stewards only: never to followers
			return err
		}
		queued, err = s.queueForFollowers(ctx, tx, actor, a, dueAtOnce)
		return err
	})
	return int(queued), err
}

// ListNotices implements store.Notices.
func (s *Store) ListNotices(ctx context.Context, actor string, before int64, limit int, publicOnly bool) ([]store.Notice, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	return queryAll(ctx, s.db, scanNotice, `SELECT `+noticeColumns+` FROM notices
		WHERE actor = ? AND id < ? AND (public OR NOT ?) ORDER BY id DESC LIMIT ?`, actor, before, publicOnly, limit)
}

// CountNotices implements store.Notices.
func (s *Store) CountNotices(ctx context.Context, actor string, publicOnly bool) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM notices WHERE (? = '' OR actor = ?) AND (public OR NOT ?)`,
		actor, actor, publicOnly).Scan(&n)
	return n, err
}

// Seen implements store.Remote.
func (s *Store) Seen(ctx context.Context, activityID string) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM seen WHERE activity_id = ?`, activityID).Scan(&n)
	return n > 0, err
}

// markSeen remembers an activity id seen, keeping the time it was first seen.
const markSeen = `INSERT OR IGNORE INTO seen(activity_id, at) VALUES (?, ?)`

// MarkSeen implements store.Remote.
func (s *Store) MarkSeen(ctx context.Context, activityID string, now time.Time) error {
	_, err := s.exec(ctx, markSeen, activityID, unix(now))
	return err
}

// UseOnce implements store.Remote: INSERT OR IGNORE writes a row only for an id not there, and says
// whether it did in the same statement.
func (s *Store) UseOnce(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := s.exec(ctx, markSeen, id, unix(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ForgetSeen implements store.Remote.
func (s *Store) ForgetSeen(ctx context.Context, before time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM seen WHERE at < ?`, unix(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// RemoteKey implements store.Remote.
func (s *Store) RemoteKey(ctx context.Context, keyID string) (store.RemoteKey, error) {
	var k store.RemoteKey
	var fetched int64
	err := s.queryRow(ctx, `SELECT key_id, owner, pem, fetched FROM remote_keys WHERE key_id = ?`, keyID).
		Scan(&k.KeyID, &k.Owner, &k.PEM, &fetched)
	k.Fetched = fromUnix(fetched)
	return k, notFound(err)
}

// PutRemoteKey implements store.Remote.
func (s *Store) PutRemoteKey(ctx context.Context, k store.RemoteKey) error {
	_, err := s.exec(ctx, `INSERT INTO remote_keys(key_id, owner, pem, fetched) VALUES (?, ?, ?, ?)
		ON CONFLICT(key_id) DO UPDATE SET owner = excluded.owner, pem = excluded.pem, fetched = excluded.fetched`,
		k.KeyID, k.Owner, k.PEM, unix(k.Fetched))
	return err
}
