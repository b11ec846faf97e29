package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"baton/store"
)

// schemaV8 adds relief cases: each a row whose record holds its metadata and its sealed messages
// (store.EncodeCase), in the order created (seq), with the revision UpdateCase compares.
const schemaV8 = `
CREATE TABLE relief_cases (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	id       TEXT NOT NULL UNIQUE,
	revision INTEGER NOT NULL,
	record   BLOB NOT NULL
);
`

// CreateCase implements store.Cases.
func (s *Store) CreateCase(ctx context.Context, c store.Case) error {
	record, err := store.EncodeCase(c)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO relief_cases(id, revision, record) VALUES (?, ?, ?)`, c.ID, c.Revision, record)
	if isUniqueViolation(err) {
		return fmt.Errorf("case %s: %w", c.ID, store.ErrExists)
	}
	return err
}

func scanCase(row scanner) (store.Case, error) {
	var record []byte
	var revision int64
	if err := row.Scan(&revision, &record); err != nil {
		return store.Case{}, err
	}
	return store.DecodeCase(record, revision)
}

// Case implements store.Cases.
func (s *Store) Case(ctx context.Context, id string) (store.Case, error) {
	c, err := scanCase(s.db.QueryRowContext(ctx, `SELECT revision, record FROM relief_cases WHERE id = ?`, id))
	if err := notFound(err); err != nil {
		return store.Case{}, fmt.Errorf("case %s: %w", id, err)
	}
	return c, nil
}

// ListCases implements store.Cases.
func (s *Store) ListCases(ctx context.Context) ([]store.Case, error) {
	return queryAll(ctx, s.db, scanCase, `SELECT revision, record FROM relief_cases ORDER BY seq`)
}

// UpdateCase implements store.Cases: the revision is compared and counted in the statement that writes.
func (s *Store) UpdateCase(ctx context.Context, c store.Case) error {
	record, err := store.EncodeCase(c)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var revision int64
		err := tx.QueryRowContext(ctx, `SELECT revision FROM relief_cases WHERE id = ?`, c.ID).Scan(&revision)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("case %s: %w", c.ID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if revision != c.Revision {
			return fmt.Errorf("case %s at revision %d, read at %d: %w", c.ID, revision, c.Revision, store.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `UPDATE relief_cases SET revision = ?, record = ? WHERE id = ?`, c.Revision+1, record, c.ID)
		return err
	})
}
