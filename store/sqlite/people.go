package sqlite

import (
	"context"
	"fmt"
	"time"

	"baton/store"
)

// AddKey implements store.Keys.
func (s *Store) AddKey(ctx context.Context, k store.PersonKey) error {
	_, err := s.exec(ctx, `INSERT INTO person_keys(person, fingerprint, public_key, added, revoked, seq)
		VALUES (?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM person_keys))`,
		k.Person, k.Fingerprint, k.PublicKey, unix(k.Added), unixOrZero(k.Revoked))
	if isUniqueViolation(err) {
		return fmt.Errorf("key %s of %s: %w", k.Fingerprint, k.Person, store.ErrExists)
	}
	return err
}

// RevokeKey implements store.Keys.
func (s *Store) RevokeKey(ctx context.Context, person, fingerprint string, at time.Time) error {
	res, err := s.exec(ctx, `UPDATE person_keys SET revoked = ? WHERE person = ? AND fingerprint = ? AND revoked = 0`,
		unix(at), person, fingerprint)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = fmt.Errorf("key %s of %s in use: %w", fingerprint, person, store.ErrNotFound)
		}
		return err
	}
	return nil
}

// PersonKeys implements store.Keys.
func (s *Store) PersonKeys(ctx context.Context, person string) ([]store.PersonKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT person, fingerprint, public_key, added, revoked FROM person_keys
		WHERE person = ? ORDER BY seq`, person)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.PersonKey
	for rows.Next() {
		var k store.PersonKey
		var added, revoked int64
		if err := rows.Scan(&k.Person, &k.Fingerprint, &k.PublicKey, &added, &revoked); err != nil {
			return nil, err
		}
		k.Added = fromUnix(added)
		if revoked != 0 {
			k.Revoked = fromUnix(revoked)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AddRole implements store.Roles.
func (s *Store) AddRole(ctx context.Context, r store.Role) error {
	_, err := s.exec(ctx, `INSERT INTO roles(person, project, since, seq)
		VALUES (?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM roles))`, r.Person, r.Project, unix(r.Since))
	if isUniqueViolation(err) {
		return fmt.Errorf("%s as %s: %w", r.Person, roleName(r.Project), store.ErrExists)
	}
	return err
}

func roleName(project string) string {
	if project == "" {
		return "steward"
	}
	return "maintainer of " + project
}

// RoleHolders implements store.Roles.
func (s *Store) RoleHolders(ctx context.Context, project string) ([]store.Role, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT person, project, since FROM roles WHERE project = ? ORDER BY seq`, project)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Role
	for rows.Next() {
		var r store.Role
		var since int64
		if err := rows.Scan(&r.Person, &r.Project, &since); err != nil {
			return nil, err
		}
		r.Since = fromUnix(since)
		out = append(out, r)
	}
	return out, rows.Err()
}

// unixOrZero keeps the zero time as 0 (UnixNano of the zero time overflows).
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return unix(t)
}
