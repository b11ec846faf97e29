package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"baton/store"
)

// schemaV9 adds the answers to calls for stewards: one row per person, kind (signed offer or reply)
// and call, in the order stored (seq).
const schemaV9 = `
CREATE TABLE offers (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	project     TEXT NOT NULL,
	call        INTEGER NOT NULL,
	person      TEXT NOT NULL,
	signed      INTEGER NOT NULL,
	text        TEXT NOT NULL,
	until       INTEGER NOT NULL,
	document    BLOB NOT NULL,
	received    INTEGER NOT NULL,
	accepted    INTEGER NOT NULL,
	accepted_by TEXT NOT NULL,
	UNIQUE (call, person, signed)
);
CREATE INDEX offers_project ON offers(project, seq);
`

// PutOffer implements store.Offers: the person's earlier answer of the kind to the call is deleted and
// the new one inserted, in one transaction.
func (s *Store) PutOffer(ctx context.Context, o store.Offer) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var id string
		var accepted int64
		err := tx.QueryRowContext(ctx, `SELECT id, accepted FROM offers WHERE call = ? AND person = ? AND signed = ?`,
			o.Call, o.Person, o.Signed).Scan(&id, &accepted)
		switch {
		case err == nil && accepted != 0 && id != o.ID:
			return fmt.Errorf("the answer of %s to call %d was accepted: %w", o.Person, o.Call, store.ErrConflict)
		case err == nil && accepted != 0:
			return nil // the accepted answer, stored again: it stays as accepted
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM offers WHERE call = ? AND person = ? AND signed = ?`, o.Call, o.Person, o.Signed); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO offers(id, project, call, person, signed, text, until, document, received, accepted, accepted_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, o.ID, o.Project, o.Call, o.Person, o.Signed, o.Text, unixOrZero(o.Until),
			o.Document, unixOrZero(o.Received), unixOrZero(o.Accepted), o.AcceptedBy)
		if isUniqueViolation(err) {
			return fmt.Errorf("answer %s: %w", o.ID, store.ErrExists)
		}
		return err
	})
}

const offerColumns = `id, project, call, person, signed, text, until, document, received, accepted, accepted_by`

func scanOffer(row scanner) (store.Offer, error) {
	var o store.Offer
	var until, received, accepted int64
	err := row.Scan(&o.ID, &o.Project, &o.Call, &o.Person, &o.Signed, &o.Text, &until, &o.Document, &received, &accepted, &o.AcceptedBy)
	o.Until, o.Received, o.Accepted = fromUnixOrZero(until), fromUnixOrZero(received), fromUnixOrZero(accepted)
	return o, err
}

// Offer implements store.Offers.
func (s *Store) Offer(ctx context.Context, id string) (store.Offer, error) {
	o, err := scanOffer(s.db.QueryRowContext(ctx, `SELECT `+offerColumns+` FROM offers WHERE id = ?`, id))
	if err := notFound(err); err != nil {
		return store.Offer{}, fmt.Errorf("answer %s: %w", id, err)
	}
	return o, nil
}

// Offers implements store.Offers.
func (s *Store) Offers(ctx context.Context, project string) ([]store.Offer, error) {
	return queryAll(ctx, s.db, scanOffer, `SELECT `+offerColumns+` FROM offers WHERE project = ? ORDER BY seq`, project)
}

// AcceptOffer implements store.Offers.
func (s *Store) AcceptOffer(ctx context.Context, id, by string, at time.Time) (store.Offer, error) {
	var o store.Offer
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		o, err = scanOffer(tx.QueryRowContext(ctx, `SELECT `+offerColumns+` FROM offers WHERE id = ? AND signed`, id))
		if err := notFound(err); err != nil {
			return fmt.Errorf("offer %s: %w", id, err)
		}
		if !o.Accepted.IsZero() {
			return fmt.Errorf("offer %s was accepted on %s: %w", id, o.Accepted.Format(time.RFC3339), store.ErrConflict)
		}
		o.Accepted, o.AcceptedBy = at, by
		_, err = tx.ExecContext(ctx, `UPDATE offers SET accepted = ?, accepted_by = ? WHERE id = ?`, unixOrZero(at), by, id)
		return err
	})
	return o, err
}
