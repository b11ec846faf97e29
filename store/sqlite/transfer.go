package sqlite

import (
	"context"
	"database/sql"
	"time"

	"baton/store"
)

var _ store.Transfer = (*Store)(nil)

// transferPage is how many rows EachDelivery and EachSeen read at a time.
const transferPage = 500

// SettingKeys implements store.Transfer.
func (s *Store) SettingKeys(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key FROM settings ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// EachDelivery implements store.Transfer, a page of deliveries at a time.
func (s *Store) EachDelivery(ctx context.Context, fn func(store.QueuedDelivery) error) error {
	for after := int64(0); ; {
		page, err := s.deliveriesAfter(ctx, after)
		if err != nil || len(page) == 0 {
			return err
		}
		for _, d := range page {
			if err := fn(d); err != nil {
				return err
			}
		}
		after = page[len(page)-1].ID
	}
}

func (s *Store) deliveriesAfter(ctx context.Context, after int64) ([]store.QueuedDelivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, d.inbox, d.state, d.attempts, d.next_at, d.last_error, d.created,
			a.activity_id, a.signer, a.body
		FROM deliveries d JOIN activities a ON a.seq = d.activity WHERE d.id > ? ORDER BY d.id LIMIT ?`, after, transferPage)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.QueuedDelivery
	for rows.Next() {
		var d store.QueuedDelivery
		var state string
		var due, created int64
		if err := rows.Scan(&d.ID, &d.Inbox, &state, &d.Attempts, &due, &d.Error, &created,
			&d.Activity.ID, &d.Activity.Signer, &d.Activity.Body); err != nil {
			return nil, err
		}
		d.Failed = state == "failed"
		if due != dueAtOnce {
			d.Due = fromUnix(due)
		}
		d.Created = fromUnix(created)
		out = append(out, d)
	}
	return out, rows.Err()
}

// EachSeen implements store.Transfer, a page of ids at a time.
func (s *Store) EachSeen(ctx context.Context, fn func(string, time.Time) error) error {
	type seen struct {
		id string
		at int64
	}
	for after := ""; ; {
		rows, err := s.db.QueryContext(ctx, `SELECT activity_id, at FROM seen WHERE activity_id > ? ORDER BY activity_id LIMIT ?`,
			after, transferPage)
		if err != nil {
			return err
		}
		var page []seen
		for rows.Next() {
			var x seen
			if err := rows.Scan(&x.id, &x.at); err != nil {
				rows.Close()
				return err
			}
			page = append(page, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(page) == 0 {
			return err
		}
		for _, x := range page {
			if err := fn(x.id, fromUnix(x.at)); err != nil {
				return err
			}
		}
		after = page[len(page)-1].id
	}
}

// RestoreNotice implements store.Transfer. Recording the id in notice_ids moves its AUTOINCREMENT
// past it, so NextNoticeID never hands it out again.
func (s *Store) RestoreNotice(ctx context.Context, n store.Notice) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := revise(ctx, tx, n.Actor, store.AnyRevision); err != nil {
			return err
		}
		if err := insertNotice(ctx, tx, n); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO notice_ids(id) VALUES (?)`, n.ID)
		return err
	})
}

// RestoreDeliveries implements store.Transfer.
func (s *Store) RestoreDeliveries(ctx context.Context, a store.Activity, ds []store.QueuedDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		seq, err := s.insertActivity(ctx, tx, a)
		if err != nil {
			return err
		}
		for _, d := range ds {
			state, due := "queued", int64(dueAtOnce)
			if d.Failed {
				state = "failed"
			}
			if !d.Due.IsZero() {
				due = unix(d.Due)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries(activity, inbox, state, attempts, next_at, last_error, created)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, seq, d.Inbox, state, d.Attempts, due, d.Error, unix(d.Created)); err != nil {
				return err
			}
		}
		return nil
	})
}

// EachDelivered implements store.Transfer.
func (s *Store) EachDelivered(ctx context.Context, fn func(string, int) error) error {
	for after := ""; ; {
		rows, err := s.db.QueryContext(ctx, `SELECT activity_id, n FROM delivered WHERE activity_id > ? ORDER BY activity_id LIMIT ?`,
			after, transferPage)
		if err != nil {
			return err
		}
		type count struct {
			id string
			n  int
		}
		var page []count
		for rows.Next() {
			var c count
			if err := rows.Scan(&c.id, &c.n); err != nil {
				rows.Close()
				return err
			}
			page = append(page, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(page) == 0 {
			return err
		}
		for _, c := range page {
			if err := fn(c.id, c.n); err != nil {
				return err
			}
		}
		after = page[len(page)-1].id
	}
}

// RestoreDelivered implements store.Transfer.
func (s *Store) RestoreDelivered(ctx context.Context, activityID string, n int) error {
	_, err := s.exec(ctx, `INSERT INTO delivered(activity_id, n) VALUES (?, ?)
		ON CONFLICT(activity_id) DO UPDATE SET n = n + excluded.n`, activityID, n)
	return err
}
