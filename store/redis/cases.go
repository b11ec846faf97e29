package redis

import (
	"context"
	"fmt"
	"strconv"

	"baton/store"
)

// createCase stores a new case (ARGV[2] its id, ARGV[3] its record, ARGV[4] its revision) and lists
// it last, unless a case with its id exists: then it returns 0.
var createCase = newScript(luaKeys, `
local key = K.case(ARGV[2])
if redis.call('EXISTS', key) == 1 then return 0 end
redis.call('HSET', key, 'record', ARGV[3], 'revision', ARGV[4])
redis.call('ZADD', K.cases, redis.call('INCR', K.seq('cases')), ARGV[2])
return 1
`)

// updateCase replaces a case's record (ARGV[3]) if its revision is still ARGV[4], and counts one more:
// it returns 1, or 0 when there is no such case, or -1 when the revision changed.
var updateCase = newScript(luaKeys, `
local key = K.case(ARGV[2])
local revision = redis.call('HGET', key, 'revision')
if not revision then return 0 end
if revision ~= ARGV[4] then return -1 end
redis.call('HSET', key, 'record', ARGV[3], 'revision', num(tonumber(ARGV[4]) + 1))
return 1
`)

// CreateCase implements store.Cases.
func (s *Store) CreateCase(ctx context.Context, c store.Case) error {
	record, err := store.EncodeCase(c)
	if err != nil {
		return err
	}
	created, err := s.run(ctx, createCase, c.ID, record, strconv.FormatInt(c.Revision, 10)).Int()
	if err == nil && created == 0 {
		err = fmt.Errorf("case %s: %w", c.ID, store.ErrExists)
	}
	return err
}

func readCase(id string, m map[string]string) (store.Case, error) {
	if len(m) == 0 {
		return store.Case{}, fmt.Errorf("case %s: %w", id, store.ErrNotFound)
	}
	rec := &record{what: "case " + id, m: m}
	revision := rec.int("revision")
	if rec.err != nil {
		return store.Case{}, rec.err
	}
	return store.DecodeCase(rec.bytes("record"), revision)
}

// Case implements store.Cases.
func (s *Store) Case(ctx context.Context, id string) (store.Case, error) {
	m, err := s.c.HGetAll(ctx, s.k.reliefCase(id)).Result()
	if err != nil {
		return store.Case{}, err
	}
	return readCase(id, m)
}

// ListCases implements store.Cases.
func (s *Store) ListCases(ctx context.Context) ([]store.Case, error) {
	ids, err := s.c.ZRange(ctx, s.k.reliefCases(), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	ms, err := s.hashes(ctx, mapStrings(ids, s.k.reliefCase))
	if err != nil {
		return nil, err
	}
	out := make([]store.Case, 0, len(ms))
	for i, m := range ms {
		c, err := readCase(ids[i], m)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// UpdateCase implements store.Cases: the script compares the revision and writes in one step.
func (s *Store) UpdateCase(ctx context.Context, c store.Case) error {
	record, err := store.EncodeCase(c)
	if err != nil {
		return err
	}
	switch done, err := s.run(ctx, updateCase, c.ID, record, strconv.FormatInt(c.Revision, 10)).Int(); {
	case err != nil:
		return err
	case done == 0:
		return fmt.Errorf("case %s: %w", c.ID, store.ErrNotFound)
	case done < 0:
		return fmt.Errorf("case %s changed since it was read at revision %d: %w", c.ID, c.Revision, store.ErrConflict)
	}
	return nil
}
