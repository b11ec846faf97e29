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
	}
	return nil
}

// publishNotice stores a notice and, when it is public, queues the activity (from ARGV[9]) to each
// distinct delivery inbox of the actor's followers: all of it or none of it. It answers with the
// deliveries queued, or storeNotice's refusal.
var publishNotice = newScript(luaKeys, luaQueue, luaNotice, `
local stored = storeNotice()
if stored ~= 0 then return stored end
if ARGV[6] ~= '1' then return 0 end -- stewards only: never to followers
return queueFollowers(ARGV[3], activityAt(9))
`)

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// PublishNotice implements store.Notices. The actor must exist, as in the reference backend.
func (s *Store) PublishNotice(ctx context.Context, n store.Notice, a store.Activity) (int, error) {
	queued, err := s.run(ctx, publishNotice, append(noticeArgs(n), activityArgs(a)...)...).Int()
	if err != nil {
		return 0, err
	}
	if err := noticeError(n, queued); err != nil {
		return 0, err
	}
	return queued, nil
}

// updateNotice replaces a notice's document and, when the notice is public, queues the activity to each
// distinct delivery inbox of its actor's followers, together: the deliveries queued, or -1 if there
// is no such notice.
var updateNotice = newScript(luaKeys, luaQueue, `
local notice = K.notice(ARGV[2])
local n = redis.call('HMGET', notice, 'actor', 'public')
if not n[1] then return -1 end
redis.call('HSET', notice, 'document', ARGV[3])
if n[2] ~= '1' then return 0 end -- stewards only: never to followers
return queueFollowers(n[1], activityAt(4))
`)

// UpdateNotice implements store.Notices.
func (s *Store) UpdateNotice(ctx context.Context, id int64, document []byte, a store.Activity) (int, error) {
	queued, err := s.run(ctx, updateNotice, append([]any{id, document}, activityArgs(a)...)...).Int()
	if err == nil && queued < 0 {
		return 0, fmt.Errorf("notice %d: %w", id, store.ErrNotFound)
	}
	return queued, err
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
