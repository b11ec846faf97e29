package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"slices"
	"time"

	"baton/store"
)

// dueAtOnce is the next_at of deliveries due at once, whatever clock claims them.
const dueAtOnce = 0

// Enqueue implements store.Queue.
func (s *Store) Enqueue(ctx context.Context, a store.Activity, inboxes []string) error {
	if len(inboxes) == 0 {
		return nil // nothing to deliver, and no delivery would ever take the activity along
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.queueTo(ctx, tx, a, inboxes)
		return err
	})
}

// queueTo stores a and queues it to each of inboxes, due at once; no activity is stored for no inbox.
func (s *Store) queueTo(ctx context.Context, tx *sql.Tx, a store.Activity, inboxes []string) (int64, error) {
	if len(inboxes) == 0 {
		return 0, nil
	}
	seq, err := s.insertActivity(ctx, tx, a)
	if err != nil {
		return 0, err
	}
	created := unix(time.Now())
	for _, inbox := range inboxes {
		if _, err := s.txExec(ctx, tx, `INSERT INTO deliveries(activity, inbox, next_at, created) VALUES (?, ?, ?, ?)`,
			seq, inbox, dueAtOnce, created); err != nil {
			return 0, err
		}
	}
	return int64(len(inboxes)), nil
}

// EnqueueFollowersReplacing implements store.Queue.
func (s *Store) EnqueueFollowersReplacing(ctx context.Context, local string, a store.Activity, due, now time.Time, replaces string) (int, error) {
	var queued int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		earliest, err := dropUntried(ctx, tx, replaces, now)
		if err != nil {
			return err
		}
		queued, err = s.queueForFollowers(ctx, tx, local, a, min(unix(due), earliest))
		return err
	})
	return int(queued), err
}

// dropUntried deletes the deliveries never tried and not leased at now of the activities whose ids
// begin with prefix, and the activities left without any, and returns the earliest next_at of those
// deleted (math.MaxInt64 when none was).
func dropUntried(ctx context.Context, tx *sql.Tx, prefix string, now time.Time) (int64, error) {
	cond, args := idRange("activity_id", prefix)
	rows, err := tx.QueryContext(ctx, `DELETE FROM deliveries WHERE state = 'queued' AND attempts = 0 AND lease_until <= ?
		AND activity IN (SELECT seq FROM activities WHERE `+cond+`) RETURNING activity, next_at`, append([]any{unix(now)}, args...)...)
	if err != nil {
		return 0, err
	}
	earliest := int64(math.MaxInt64)
	activities := map[int64]bool{}
	for rows.Next() {
		var activity, next int64
		if err := rows.Scan(&activity, &next); err != nil {
			rows.Close()
			return 0, err
		}
		activities[activity] = true
		earliest = min(earliest, next)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for activity := range activities {
		if _, err := tx.ExecContext(ctx, `DELETE FROM activities WHERE seq = ?
			AND NOT EXISTS (SELECT 1 FROM deliveries WHERE activity = ?)`, activity, activity); err != nil {
			return 0, err
		}
	}
	return earliest, nil
}

// Claim implements store.Queue: one statement leases the deliveries and returns them, and each
// activity among them is read once, its body shared by its deliveries (most often one activity for
// all: a notice going out).
func (s *Store) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Delivery, error) {
	var out []store.Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := s.txQuery(ctx, tx, `UPDATE deliveries SET lease_until = ?
			WHERE id IN (SELECT id FROM deliveries WHERE state = 'queued' AND next_at <= ? AND lease_until <= ?
			             ORDER BY next_at, id LIMIT ?)
			RETURNING id, inbox, attempts, created, activity, next_at`, unix(now.Add(lease)), unix(now), unix(now), limit)
		if err != nil {
			return err
		}
		var order []claimed
		for rows.Next() {
			var c claimed
			var created int64
			if err := rows.Scan(&c.ID, &c.Inbox, &c.Attempts, &created, &c.seq, &c.nextAt); err != nil {
				rows.Close()
				return err
			}
			c.Created = fromUnix(created)
			order = append(order, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// RETURNING gives no order: the queue's is by due time, then id.
		slices.SortFunc(order, func(a, b claimed) int {
			return cmp.Or(cmp.Compare(a.nextAt, b.nextAt), cmp.Compare(a.ID, b.ID))
		})
		activities := map[int64]store.Activity{}
		for _, c := range order {
			a, ok := activities[c.seq]
			if !ok {
				if err := s.txQueryRow(ctx, tx, `SELECT activity_id, signer, body FROM activities WHERE seq = ?`, c.seq).
					Scan(&a.ID, &a.Signer, &a.Body); err != nil {
					return err
				}
				activities[c.seq] = a
			}
			c.Activity = a
			out = append(out, c.Delivery)
		}
		return nil
	})
	return out, err
}

// claimed is a delivery as Claim's statement returns it, with its activity's key and its due time.
type claimed struct {
	store.Delivery
	seq, nextAt int64
}

// Complete implements store.Queue, in one transaction: one commit (one fsync) for every delivery a
// batch of workers finished, counted in delivered under its activity's id. An activity's body stays
// while other deliveries still need it; the last one to finish takes it along. Three statements do it
// whatever the batch holds, the ids as a JSON array and the counts by activity as a JSON object: a
// batch of Accepts holds as many activities as deliveries.
func (s *Store) Complete(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := s.txQuery(ctx, tx, `DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?)) RETURNING activity`, idList(ids))
		if err != nil {
			return err
		}
		completed := map[int64]int{} // how many deliveries of each activity were completed
		for rows.Next() {
			var activity int64
			if err := rows.Scan(&activity); err != nil {
				rows.Close()
				return err
			}
			completed[activity]++
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(completed) == 0 {
			return err
		}
		counts, err := json.Marshal(completed) // {"activity seq": n}
		if err != nil {
			return err
		}
		if _, err := s.txExec(ctx, tx, `INSERT INTO delivered(activity_id, n)
			SELECT a.activity_id, c.value FROM json_each(?) c JOIN activities a ON a.seq = CAST(c.key AS INTEGER) WHERE true
			ON CONFLICT(activity_id) DO UPDATE SET n = n + excluded.n`, string(counts)); err != nil {
			return err
		}
		_, err = s.txExec(ctx, tx, `DELETE FROM activities WHERE seq IN (SELECT CAST(key AS INTEGER) FROM json_each(?))
			AND NOT EXISTS (SELECT 1 FROM deliveries WHERE activity = activities.seq)`, string(counts))
		return err
	})
}

// Release implements store.Queue, in one statement: a claimed delivery kept its due time (next_at),
// so lifting the lease makes it due as it was.
func (s *Store) Release(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.exec(ctx, `UPDATE deliveries SET lease_until = 0
		WHERE id IN (SELECT value FROM json_each(?)) AND state = 'queued'`, idList(ids))
	return err
}

// idList is ids as a JSON array, for json_each: one statement for a whole batch.
func idList(ids []int64) string {
	b, _ := json.Marshal(ids) // a slice of integers always marshals
	return string(b)
}

// Retry implements store.Queue.
func (s *Store) Retry(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := s.exec(ctx, `UPDATE deliveries SET attempts = attempts + 1, next_at = ?, lease_until = 0,
		last_error = ? WHERE id = ?`, unix(next), reason, id)
	return err
}

// Fail implements store.Queue.
func (s *Store) Fail(ctx context.Context, id int64, reason string) error {
	_, err := s.exec(ctx, `UPDATE deliveries SET attempts = attempts + 1, state = 'failed', lease_until = 0,
		last_error = ? WHERE id = ?`, reason, id)
	return err
}

// QueueDepth implements store.Queue.
func (s *Store) QueueDepth(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE state = 'queued'`).Scan(&n)
	return n, err
}

// schemaV7 counts the deliveries completed of each activity, by its id, and indexes activities by id:
// DeliveryStatus reads both by a prefix of the id.
const schemaV7 = `
CREATE INDEX activities_id ON activities(activity_id);
CREATE TABLE delivered (
	activity_id TEXT PRIMARY KEY,
	n           INTEGER NOT NULL
);
`

// idRange is the condition on column for ids beginning with prefix, as a range the index serves, and
// its arguments.
func idRange(column, prefix string) (string, []any) {
	end, ok := store.PrefixEnd(prefix)
	if !ok {
		return column + ` >= ?`, []any{prefix}
	}
	return column + ` >= ? AND ` + column + ` < ?`, []any{prefix, end}
}

// LatestActivityID implements store.Queue from the indexes of activities and delivered by id: an
// activity whose deliveries were all completed is in delivered alone.
func (s *Store) LatestActivityID(ctx context.Context, prefix string) (string, error) {
	cond, args := idRange("activity_id", prefix)
	var latest sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT max(id) FROM (
		SELECT max(activity_id) AS id FROM activities WHERE `+cond+`
		UNION ALL SELECT max(activity_id) FROM delivered WHERE `+cond+`)`, append(args, args...)...).Scan(&latest)
	return latest.String, err
}

// DeliveryStatus implements store.Queue, in one transaction, so that a delivery completed meanwhile
// is counted once.
func (s *Store) DeliveryStatus(ctx context.Context, prefix string) ([]store.ActivityDeliveries, error) {
	var t store.DeliveryTally
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		cond, args := idRange("activity_id", prefix)
		rows, err := tx.QueryContext(ctx, `SELECT activity_id, n FROM delivered WHERE `+cond, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return err
			}
			t.Delivered(id, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		cond, args = idRange("a.activity_id", prefix)
		rows, err = tx.QueryContext(ctx, `SELECT d.id, a.activity_id, d.inbox, d.attempts, d.state, d.last_error
			FROM activities a JOIN deliveries d ON d.activity = a.seq WHERE `+cond, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var activity, inbox, state, lastError string
			var attempts int
			if err := rows.Scan(&id, &activity, &inbox, &attempts, &state, &lastError); err != nil {
				return err
			}
			t.Add(id, activity, inbox, attempts, state == "failed", lastError)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return t.Result(), nil
}
