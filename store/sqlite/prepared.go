package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// statements keeps the statements the store runs most often prepared. modernc's driver parses a
// statement's SQL anew on every call not made through a prepared statement, and parsing costs about
// what running a small statement does. database/sql prepares a Stmt once on each connection it runs on
// and keeps it there, in a transaction too (Tx.StmtContext). Only the store's own statements, constant
// texts, go through it: it keeps one Stmt per distinct text.
type statements struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt // by SQL text
}

// get returns query prepared, preparing it the first time.
func (p *statements) get(ctx context.Context, query string) (*sql.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.m[query]; ok {
		return st, nil
	}
	st, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if p.m == nil {
		p.m = map[string]*sql.Stmt{}
	}
	p.m[query] = st
	return st, nil
}

// close closes every statement prepared.
func (p *statements) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.m {
		st.Close()
	}
	p.m = nil
}

// txExec runs query, prepared, in tx.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := s.stmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// txQuery runs query, prepared, in tx, for its rows.
func (s *Store) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

// txQueryRow runs query, prepared, in tx, for one row.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) scanner {
	st, err := s.stmts.get(ctx, query)
	if err != nil {
		return failedRow{err}
	}
	return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

// queryRow runs query, prepared, outside any transaction, for one row.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) scanner {
	st, err := s.stmts.get(ctx, query)
	if err != nil {
		return failedRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// failedRow is a row whose query could not be prepared.
type failedRow struct{ err error }

func (r failedRow) Scan(...any) error { return r.err }
