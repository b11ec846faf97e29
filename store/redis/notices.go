package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"baton/store"
)

// NextNoticeID implements store.Notices with INCR: ids only grow, even across replicas.
func (s *Store) NextNoticeID(ctx context.Context) (int64, error) {
	return s.c.Incr(ctx, s.k.seq("notices")).Result()
}

// luaNotice stores a notice from ARGV[2] to ARGV[8] (id, actor, statement, kind, public, document,
// published): lists it under its actor (and among the public ones when it is public) and indexes its
// statement. It answers 0, or, changing nothing, -1 when the id or the statement is taken and -2 when
// there is no such actor.
const luaNotice = `
local function storeNotice()
  local id, actor, statement, public = ARGV[2], ARGV[3], ARGV[4], ARGV[6] == '1'
  if redis.call('EXISTS', K.notice(id)) == 1 then return -1 end
  if statement ~= '' and redis.call('HEXISTS', K.statements, statement) == 1 then return -1 end
  if redis.call('EXISTS', K.actor(actor)) == 0 then return -2 end
  redis.call('HSET', K.notice(id), 'actor', actor, 'statement_id', statement, 'kind', ARGV[5], 'public', ARGV[6],
    'document', ARGV[7], 'published', ARGV[8])
  redis.call('ZADD', K.notices(actor), id, id)
  redis.call('INCR', K.count('notices'))
  if statement ~= '' then redis.call('HSET', K.statements, statement, id) end
  if public then
    redis.call('ZADD', K.publicNotices(actor), id, id)
    redis.call('INCR', K.count('public-notices'))
  end
  return 0
end
`

// luaRevision keeps each actor's notice revision, in its actor hash (field revision). An actor whose
// notices were stored before revisions were kept has none there yet: its notices count one each, as
// they do when SQLite's schema brings in revisions.
const luaRevision = `
local function revisionOf(actor)
  local r = redis.call('HGET', K.actor(actor), 'revision')
  if r then return tonumber(r) end
  return redis.call('ZCARD', K.notices(actor))
end
-- stale reports whether a revision is not the one a write expects (ARGV, as a string; -1 is any).
local function stale(revision, expect)
  expect = tonumber(expect)
  return expect ~= -1 and revision ~= expect
end
local function setRevision(actor, revision)
  redis.call('HSET', K.actor(actor), 'revision', num(revision))
end
`

// conflict is what the scripts answer when the revision is not the one expected.
const conflict = -3

// noticeArgs are a notice's script arguments, read by storeNotice.
func noticeArgs(n store.Notice) []any {
	return []any{n.ID, n.Actor, n.StatementID, n.Kind, flag(n.Public), n.Document, encTime(n.Published)}
}

// noticeError turns storeNotice's answer into the error the store promises.
func noticeError(n store.Notice, code int) error {
	switch code {
	case -1:
		return fmt.Errorf("notice %d or statement %q: %w", n.ID, n.StatementID, store.ErrExists)
	case -2:
		return fmt.Errorf("notice %d: actor %q: %w", n.ID, n.Actor, store.ErrNotFound)
	case conflict:
		return fmt.Errorf("notice %d: notices of %q changed: %w", n.ID, n.Actor, store.ErrConflict)
	}
	return nil
}

// publishNotice stores a notice, counts one more revision of its actor's notices and, when it is
// public, queues the activity (from ARGV[10]) to each distinct delivery inbox of the actor's
// followers, else to the inboxes from ARGV[14] (stewards on other instances): all of it or none of it. It answers with the deliveries queued, -3 when the revision is
// not ARGV[9], or storeNotice's refusal.
var publishNotice = newScript(luaKeys, luaQueue, luaNotice, luaRevision, `
local actor = ARGV[3]
local revision = revisionOf(actor)
if stale(revision, ARGV[9]) then return -3 end
local stored = storeNotice()
if stored ~= 0 then return stored end
setRevision(actor, revision + 1)
if ARGV[6] ~= '1' then return queueTo(activityAt(10), inboxesFrom(14)) end -- stewards only: never to followers
return queueFollowers(actor, activityAt(10))
`)

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// PublishNotice implements store.Notices. The actor must exist, as in the reference backend.
func (s *Store) PublishNotice(ctx context.Context, n store.Notice, a store.Activity, expect int64) (int, error) {
	args := append(noticeArgs(n), expect)
	args = append(args, activityArgs(a)...)
	queued, err := s.run(ctx, publishNotice, append(args, inboxArgs(a.To)...)...).Int()
	if err != nil {
		return 0, err
	}
	if err := noticeError(n, queued); err != nil {
		return 0, err
	}
	return queued, nil
}

// updateNotice replaces a notice's document, counts one more revision of its actor's notices and, when
// the notice is public, queues the activity to each distinct delivery inbox of its actor's followers
// (else to the inboxes from ARGV[9]), together: the deliveries queued, -1 if there is no such notice, or -3 when the revision is not
// ARGV[4].
var updateNotice = newScript(luaKeys, luaQueue, luaRevision, `
local notice = K.notice(ARGV[2])
local n = redis.call('HMGET', notice, 'actor', 'public')
if not n[1] then return -1 end
local revision = revisionOf(n[1])
if stale(revision, ARGV[4]) then return -3 end
redis.call('HSET', notice, 'document', ARGV[3])
setRevision(n[1], revision + 1)
if n[2] ~= '1' then return queueTo(activityAt(5), inboxesFrom(9)) end -- stewards only: never to followers
return queueFollowers(n[1], activityAt(5))
`)

// UpdateNotice implements store.Notices.
func (s *Store) UpdateNotice(ctx context.Context, id int64, document []byte, a store.Activity, expect int64) (int, error) {
	args := append([]any{id, document, expect}, activityArgs(a)...)
	queued, err := s.run(ctx, updateNotice, append(args, inboxArgs(a.To)...)...).Int()
	switch {
	case err != nil:
		return 0, err
	case queued == conflict:
		return 0, fmt.Errorf("notice %d: its actor's notices changed: %w", id, store.ErrConflict)
	case queued < 0:
		return 0, fmt.Errorf("notice %d: %w", id, store.ErrNotFound)
	}
	return queued, nil
}

// revision reads an actor's notice revision.
var revision = newScript(luaKeys, luaRevision, `return revisionOf(ARGV[2])`)

// Revision implements store.Notices with a script, so that an actor without a stored revision counts
// its notices as the writing scripts do.
func (s *Store) Revision(ctx context.Context, actor string) (int64, error) {
	return s.run(ctx, revision, actor).Int64()
}

func readNotice(id int64, m map[string]string) (store.Notice, error) {
	r := &record{what: fmt.Sprintf("notice %d", id), m: m}
	n := store.Notice{ID: id, Actor: r.str("actor"), StatementID: r.str("statement_id"), Kind: r.str("kind"),
		Public: r.str("public") == "1", Document: r.bytes("document"), Published: r.time("published")}
	return n, r.err
}

// Notice implements store.Notices.
func (s *Store) Notice(ctx context.Context, id int64) (store.Notice, error) {
	m, err := s.c.HGetAll(ctx, s.k.notice(id)).Result()
	if err != nil {
		return store.Notice{}, err
	}
	if len(m) == 0 {
		return store.Notice{}, fmt.Errorf("notice %d: %w", id, store.ErrNotFound)
	}
	return readNotice(id, m)
}

// NoticeByStatement implements store.Notices.
func (s *Store) NoticeByStatement(ctx context.Context, statementID string) (store.Notice, error) {
	if statementID == "" {
		return store.Notice{}, fmt.Errorf("notice without a statement: %w", store.ErrNotFound)
	}
	id, err := s.c.HGet(ctx, s.k.statements(), statementID).Int64()
	if errors.Is(err, goredis.Nil) {
		return store.Notice{}, fmt.Errorf("notice of statement %q: %w", statementID, store.ErrNotFound)
	}
	if err != nil {
		return store.Notice{}, err
	}
	return s.Notice(ctx, id)
}

// ListNotices implements store.Notices: a page of the actor's list, newest first, read by score.
func (s *Store) ListNotices(ctx context.Context, actor string, before int64, limit int, publicOnly bool) ([]store.Notice, error) {
	if limit <= 0 {
		return nil, nil
	}
	list := s.k.notices(actor)
	if publicOnly {
		list = s.k.publicNotices(actor)
	}
	below := "+inf"
	if before > 0 {
		below = "(" + strconv.FormatInt(before, 10)
	}
	ids, err := s.c.ZRevRangeByScore(ctx, list, &goredis.ZRangeBy{Max: below, Min: "-inf", Count: int64(limit)}).Result()
	if err != nil {
		return nil, err
	}
	return s.notices(ctx, ids)
}

// notices reads the notices with ids, in that order.
func (s *Store) notices(ctx context.Context, ids []string) ([]store.Notice, error) {
	keys := make([]string, len(ids))
	nums := make([]int64, len(ids))
	for i, id := range ids {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("notice id %q: %w", id, err)
		}
		keys[i], nums[i] = s.k.notice(n), n
	}
	ms, err := s.hashes(ctx, keys)
	if err != nil {
		return nil, err
	}
	var out []store.Notice
	for i, m := range ms {
		n, err := readNotice(nums[i], m)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// CountNotices implements store.Notices.
func (s *Store) CountNotices(ctx context.Context, actor string, publicOnly bool) (int, error) {
	if actor == "" {
		if publicOnly {
			return s.counter(ctx, s.k.count("public-notices"))
		}
		return s.counter(ctx, s.k.count("notices"))
	}
	list := s.k.notices(actor)
	if publicOnly {
		list = s.k.publicNotices(actor)
	}
	n, err := s.c.ZCard(ctx, list).Result()
	return int(n), err
}
