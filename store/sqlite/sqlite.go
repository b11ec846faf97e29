// Package sqlite is the embedded default store: one SQLite file in the data folder, through the pure-Go
// driver modernc.org/sqlite, so `baton serve` needs no other service.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"baton/notice"
	"baton/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database's name inside the data folder.
const FileName = "baton.db"

// Store is a store.Store in one SQLite file.
type Store struct {
	db  *sql.DB
	dir string // the data folder, where Hold's lock file is
	// writes is this process's one writer: every write goes through it, many to a commit. SQLite has
	// one writer anyway; without it, waiting writers would poll the lock with sleeps (busy_timeout), and
	// under load one could starve for seconds behind the others.
	writes    *committer
	stmts     *statements // the statements run most often, prepared
	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// idleConns is how many connections stay open between queries: as many as the requests a server
// typically has in flight, each reading beside the writer.
const idleConns = 16

// Open opens (creating if need be) the database in dir and brings its schema up to date.
func Open(dir string) (*Store, error) {
	q := url.Values{}
	// WAL lets readers work beside the one writer; immediate transactions take the write lock at BEGIN,
	// so two writers wait for each other (busy_timeout) instead of failing half-way.
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)") // a commit is on disk before it returns: nothing accepted is lost, even on power loss
	q.Set("_txlock", "immediate")
	dsn := "file:" + filepath.ToSlash(filepath.Join(dir, FileName)) + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite in %s: %w", dir, err)
	}
	// Keep the connections of the readers working beside the writer open: database/sql keeps 2 by
	// default, and opening one (the file, the pragmas above) costs more than most queries.
	db.SetMaxIdleConns(idleConns)
	s := &Store{db: db, dir: dir, writes: newCommitter(db), stmts: &statements{db: db}}
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close commits the writes under way, then closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.writes.close()
		s.stmts.close()
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// migrations bring the schema from one version to the next; the database's user_version says how many
// have run. Append, never edit: a deployed database has run the earlier ones.
var migrations = []string{schemaV1, schemaV2, schemaV3, schemaV4, schemaV5, schemaV6, schemaV7, schemaV8, schemaV9}

const schemaV1 = `
CREATE TABLE IF NOT EXISTS settings (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS actors (
	name         TEXT PRIMARY KEY,
	kind         TEXT NOT NULL,
	display_name TEXT NOT NULL,
	summary      TEXT NOT NULL,
	homepage     TEXT NOT NULL,
	repository   TEXT NOT NULL,
	rsa_key_pem  TEXT NOT NULL,
	ed25519_seed BLOB NOT NULL,
	created      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS followers (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	local        TEXT NOT NULL REFERENCES actors(name),
	actor        TEXT NOT NULL,
	inbox        TEXT NOT NULL,
	shared_inbox TEXT NOT NULL,
	follow_id    TEXT NOT NULL,
	created      INTEGER NOT NULL,
	UNIQUE (local, actor)
);
CREATE INDEX IF NOT EXISTS followers_actor ON followers(actor);
CREATE TABLE IF NOT EXISTS notice_ids (
	id INTEGER PRIMARY KEY AUTOINCREMENT
);
CREATE TABLE IF NOT EXISTS notices (
	id        INTEGER PRIMARY KEY,
	actor     TEXT NOT NULL REFERENCES actors(name),
	kind      TEXT NOT NULL,
	public    INTEGER NOT NULL,
	document  BLOB NOT NULL,
	published INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS notices_actor ON notices(actor, id);
CREATE TABLE IF NOT EXISTS activities (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	activity_id TEXT NOT NULL,
	signer      TEXT NOT NULL,
	body        BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	activity    INTEGER NOT NULL REFERENCES activities(seq),
	inbox       TEXT NOT NULL,
	state       TEXT NOT NULL DEFAULT 'queued',
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     INTEGER NOT NULL,
	lease_until INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	created     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_at);
CREATE TABLE IF NOT EXISTS seen (
	activity_id TEXT PRIMARY KEY,
	at          INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS remote_keys (
	key_id  TEXT PRIMARY KEY,
	owner   TEXT NOT NULL,
	pem     TEXT NOT NULL,
	fetched INTEGER NOT NULL
);
`

// schemaV2 adds people's keys, roles, and the statement a notice carries.
const schemaV2 = `
CREATE TABLE person_keys (
	person      TEXT NOT NULL REFERENCES actors(name),
	fingerprint TEXT NOT NULL,
	public_key  BLOB NOT NULL,
	added       INTEGER NOT NULL,
	revoked     INTEGER NOT NULL DEFAULT 0,
	seq         INTEGER NOT NULL,
	PRIMARY KEY (person, fingerprint)
);
CREATE TABLE roles (
	person  TEXT NOT NULL REFERENCES actors(name),
	project TEXT NOT NULL,
	since   INTEGER NOT NULL,
	seq     INTEGER NOT NULL,
	PRIMARY KEY (project, person)
);
ALTER TABLE notices ADD COLUMN statement_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX notices_statement ON notices(statement_id) WHERE statement_id != '';
`

// schemaV4 indexes deliveries by activity: Complete asks whether any other delivery still needs an
// activity, which without it reads every delivery kept, the given-up ones included.
const schemaV4 = `
CREATE INDEX deliveries_activity ON deliveries(activity);
`

// schemaV5 adds a project's genesis record (when its record starts, the signing keys it came with) and
// each actor's notice revision, which publishing compares and counts. An actor's notices so far count
// as one revision each.
const schemaV5 = `
ALTER TABLE actors ADD COLUMN record_since INTEGER NOT NULL DEFAULT 0;
ALTER TABLE actors ADD COLUMN signing_keys BLOB NOT NULL DEFAULT '[]';
ALTER TABLE actors ADD COLUMN notice_revision INTEGER NOT NULL DEFAULT 0;
UPDATE actors SET notice_revision = (SELECT count(*) FROM notices WHERE notices.actor = actors.name);
`

func (s *Store) migrate(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var version int
		if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if version > len(migrations) {
			return fmt.Errorf("the database has schema version %d, newer than this baton knows (%d): upgrade baton", version, len(migrations))
		}
		for i := version; i < len(migrations); i++ {
			if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migrate sqlite schema to version %d: %w", i+1, err)
			}
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations)))
		return err
	})
}

// inTx runs fn in a transaction, keeping its writes only if it succeeds, and returns once they are on
// disk. Other writes may share the transaction (see committer): fn may run twice, so it must set, not
// accumulate, what it hands back.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.writes.do(ctx, fn)
}

// readTx runs fn in a read-only transaction: one consistent snapshot (WAL) that takes no turn among
// the writes, so a long read never holds them up. (A read-only BeginTx is a plain BEGIN, not the
// immediate one _txlock asks for writes.)
func (s *Store) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// exec runs one write statement, in its turn. The statement is kept prepared (see statements), so
// query must be one of the store's own, never made of values.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = s.txExec(ctx, tx, query, args...)
		return err
	})
	return res, err
}

func unix(t time.Time) int64 { return t.UnixNano() }

func fromUnix(n int64) time.Time { return time.Unix(0, n).UTC() }

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// Setting implements store.Settings.
func (s *Store) Setting(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	return v, notFound(err)
}

// InitSetting implements store.Settings.
func (s *Store) InitSetting(ctx context.Context, key string, value []byte) ([]byte, error) {
	var stored []byte
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO settings(key, value) VALUES (?, ?)`, key, value); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&stored)
	})
	return stored, err
}

// PutSetting implements store.Settings.
func (s *Store) PutSetting(ctx context.Context, key string, value []byte) error {
	_, err := s.exec(ctx, `INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// DeleteSetting implements store.Settings.
func (s *Store) DeleteSetting(ctx context.Context, key string) error {
	_, err := s.exec(ctx, `DELETE FROM settings WHERE key = ?`, key)
	return err
}

const actorColumns = `name, kind, display_name, summary, homepage, repository, rsa_key_pem, ed25519_seed, created,
	record_since, signing_keys`

// CreateActor implements store.Actors.
func (s *Store) CreateActor(ctx context.Context, a store.Actor) error {
	if a.Ed25519Seed == nil {
		a.Ed25519Seed = []byte{} // a person has none; the column wants a value
	}
	keys, err := store.EncodeSigningKeys(a.SigningKeys)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO actors(`+actorColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Name, a.Kind, a.DisplayName, a.Summary, a.Homepage, a.Repository, a.RSAKeyPEM, a.Ed25519Seed, unix(a.Created),
		unixOrZero(a.RecordSince), keys)
	if isUniqueViolation(err) {
		return fmt.Errorf("actor %q: %w", a.Name, store.ErrExists)
	}
	return err
}

type scanner interface{ Scan(...any) error }

// queryAll runs a query and scans every row it returns with scan.
func queryAll[T any](ctx context.Context, db *sql.DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanActor(row scanner) (store.Actor, error) {
	var a store.Actor
	var created, since int64
	var keys []byte
	err := row.Scan(&a.Name, &a.Kind, &a.DisplayName, &a.Summary, &a.Homepage, &a.Repository, &a.RSAKeyPEM, &a.Ed25519Seed, &created,
		&since, &keys)
	if err != nil {
		return a, err
	}
	a.Created, a.RecordSince = fromUnix(created), fromUnixOrZero(since)
	a.SigningKeys, err = store.DecodeSigningKeys(keys)
	return a, err
}

// Actor implements store.Actors.
func (s *Store) Actor(ctx context.Context, name string) (store.Actor, error) {
	a, err := scanActor(s.queryRow(ctx, `SELECT `+actorColumns+` FROM actors WHERE name = ?`, name))
	return a, notFound(err)
}

// InitActorKey implements store.Actors: a compare-and-set, so of two replicas making a key at once
// both end up with the one stored first.
func (s *Store) InitActorKey(ctx context.Context, name, pem string) (string, error) {
	var stored string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE actors SET rsa_key_pem = ? WHERE name = ? AND rsa_key_pem = ''`, pem, name); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT rsa_key_pem FROM actors WHERE name = ?`, name).Scan(&stored)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("actor %q: %w", name, store.ErrNotFound)
		}
		return err
	})
	return stored, err
}

// AddGenesisKeys implements store.Actors, in one transaction: the check for notices and the write.
func (s *Store) AddGenesisKeys(ctx context.Context, project string, keys []notice.SigningKey) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		have, err := genesisKeys(ctx, tx, project)
		if err != nil {
			return err
		}
		stored, err := store.EncodeSigningKeys(store.AppendSigningKeys(have, keys...))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE actors SET signing_keys = ? WHERE name = ?`, stored, project)
		return err
	})
}

// genesisKeys reads a project's genesis keys while they may still change: ErrNotFound if it is no
// project, ErrConflict once it has a notice.
func genesisKeys(ctx context.Context, tx *sql.Tx, project string) ([]notice.SigningKey, error) {
	var kind string
	var stored []byte
	var revision int64
	var notices bool
	err := tx.QueryRowContext(ctx, `SELECT kind, signing_keys, notice_revision,
		EXISTS (SELECT 1 FROM notices WHERE actor = actors.name) FROM actors WHERE name = ?`, project).
		Scan(&kind, &stored, &revision, &notices)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && kind != store.KindProject):
		return nil, fmt.Errorf("project %q: %w", project, store.ErrNotFound)
	case err != nil:
		return nil, err
	case revision > 0 || notices:
		return nil, fmt.Errorf("genesis keys of %q, which has published: %w", project, store.ErrConflict)
	}
	return store.DecodeSigningKeys(stored)
}

// ListActors implements store.Actors.
func (s *Store) ListActors(ctx context.Context) ([]store.Actor, error) {
	return queryAll(ctx, s.db, scanActor, `SELECT `+actorColumns+` FROM actors ORDER BY name`)
}
