package sqlite

import (
	"context"
	"database/sql"

	"baton/store"
)

// AddFollower implements store.Followers.
func (s *Store) AddFollower(ctx context.Context, f store.Follower) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.putFollower(ctx, tx, f) })
}

// AcceptFollow implements store.Followers: one transaction, so one commit for the three writes.
func (s *Store) AcceptFollow(ctx context.Context, f store.Follower, accept store.Activity, seen string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.putFollower(ctx, tx, f); err != nil {
			return err
		}
		if _, err := s.queueTo(ctx, tx, accept, []string{f.Inbox}); err != nil {
			return err
		}
		_, err := s.txExec(ctx, tx, markSeen, seen, unix(f.Created))
		return err
	})
}

// putFollower stores f in tx. A refollow replaces the row and so moves to the end of the list, as a
// new follow would.
func (s *Store) putFollower(ctx context.Context, tx *sql.Tx, f store.Follower) error {
	if _, err := s.txExec(ctx, tx, `DELETE FROM followers WHERE local = ? AND actor = ?`, f.Local, f.Actor); err != nil {
		return err
	}
	_, err := s.txExec(ctx, tx, `INSERT INTO followers(local, actor, inbox, shared_inbox, follow_id, created)
		VALUES (?, ?, ?, ?, ?, ?)`, f.Local, f.Actor, f.Inbox, f.SharedInbox, f.FollowID, unix(f.Created))
	return err
}

// RemoveFollower implements store.Followers.
func (s *Store) RemoveFollower(ctx context.Context, local, actor string) (bool, error) {
	res, err := s.exec(ctx, `DELETE FROM followers WHERE local = ? AND actor = ?`, local, actor)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RemoveActorEverywhere implements store.Followers.
func (s *Store) RemoveActorEverywhere(ctx context.Context, actor string) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM followers WHERE actor = ?`, actor)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

const followerColumns = `seq, local, actor, inbox, shared_inbox, follow_id, created`

func scanFollower(row scanner) (store.Follower, int64, error) {
	var f store.Follower
	var seq, created int64
	err := row.Scan(&seq, &f.Local, &f.Actor, &f.Inbox, &f.SharedInbox, &f.FollowID, &created)
	f.Created = fromUnix(created)
	return f, seq, err
}

// Follower implements store.Followers.
func (s *Store) Follower(ctx context.Context, local, actor string) (store.Follower, error) {
	f, _, err := scanFollower(s.db.QueryRowContext(ctx,
		`SELECT `+followerColumns+` FROM followers WHERE local = ? AND actor = ?`, local, actor))
	return f, notFound(err)
}

// CountFollowers implements store.Followers.
func (s *Store) CountFollowers(ctx context.Context, local string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM followers WHERE ? = '' OR local = ?`, local, local).Scan(&n)
	return n, err
}

// ListFollowers implements store.Followers.
func (s *Store) ListFollowers(ctx context.Context, local string, after int64, limit int) ([]store.Follower, int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+followerColumns+` FROM followers
		WHERE local = ? AND seq > ? ORDER BY seq LIMIT ?`, local, after, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []store.Follower
	next := after
	for rows.Next() {
		f, seq, err := scanFollower(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, f)
		next = seq
	}
	return out, next, rows.Err()
}
