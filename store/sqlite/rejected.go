package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"baton/store"
)

// schemaV6 adds the upstream notices a distro refused, one row per version of a notice (its digest),
// in the order recorded (seq).
const schemaV6 = `
CREATE TABLE rejected (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	upstream TEXT NOT NULL,
	id       TEXT NOT NULL,
	digest   TEXT NOT NULL,
	reason   TEXT NOT NULL,
	basis    TEXT NOT NULL,
	at       INTEGER NOT NULL,
	UNIQUE (upstream, id, digest)
);
CREATE INDEX rejected_upstream ON rejected(upstream, seq);
`

// RejectNotice implements store.Rejections. A record recorded again is deleted and inserted anew, so
// it counts as the most recent; the oldest records beyond keep go in the same transaction.
func (s *Store) RejectNotice(ctx context.Context, r store.RejectedNotice, keep int) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM rejected WHERE upstream = ? AND id = ? AND digest = ?`,
			r.Upstream, r.ID, r.Digest); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rejected(upstream, id, digest, reason, basis, at) VALUES (?, ?, ?, ?, ?, ?)`,
			r.Upstream, r.ID, r.Digest, r.Reason, r.Basis, unixOrZero(r.At)); err != nil {
			return err
		}
		if keep <= 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM rejected WHERE upstream = ? AND seq <=
			(SELECT seq FROM rejected WHERE upstream = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`, r.Upstream, r.Upstream, keep)
		return err
	})
}

const rejectedColumns = `upstream, id, digest, reason, basis, at`

func scanRejected(row scanner) (store.RejectedNotice, error) {
	var r store.RejectedNotice
	var at int64
	err := row.Scan(&r.Upstream, &r.ID, &r.Digest, &r.Reason, &r.Basis, &at)
	r.At = fromUnixOrZero(at)
	return r, err
}

// RejectedNotice implements store.Rejections.
func (s *Store) RejectedNotice(ctx context.Context, upstream, id, digest string) (store.RejectedNotice, error) {
	r, err := scanRejected(s.db.QueryRowContext(ctx, `SELECT `+rejectedColumns+` FROM rejected
		WHERE upstream = ? AND id = ? AND digest = ?`, upstream, id, digest))
	if err := notFound(err); err != nil {
		return store.RejectedNotice{}, fmt.Errorf("rejected notice %s: %w", id, err)
	}
	return r, nil
}

// RejectedNotices implements store.Rejections.
func (s *Store) RejectedNotices(ctx context.Context, upstream string) ([]store.RejectedNotice, error) {
	return queryAll(ctx, s.db, scanRejected, `SELECT `+rejectedColumns+` FROM rejected WHERE upstream = ? ORDER BY seq`, upstream)
}

// ForgetRejected implements store.Rejections.
func (s *Store) ForgetRejected(ctx context.Context, upstream string) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM rejected WHERE upstream = ?`, upstream)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
