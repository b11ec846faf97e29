package redis

import (
	"context"
	"fmt"
	"strconv"

	"baton/store"
)

// rejectNotice records a refused version of an upstream's notice (replacing an earlier record of it,
// which then counts as the most recent) and lists it last among the upstream's; past keep (ARGV[8],
// 0 for no bound) records, the oldest are dropped, all in one step.
var rejectNotice = newScript(luaKeys, `
local upstream, id, digest = ARGV[2], ARGV[3], ARGV[4]
local list = K.rejectedOf(upstream)
redis.call('HSET', K.rejected(upstream, digest, id), 'id', id, 'digest', digest, 'reason', ARGV[5], 'basis', ARGV[6], 'at', ARGV[7])
redis.call('ZADD', list, redis.call('INCR', K.seq('rejected')), K.rejectedMember(digest, id))
local keep = tonumber(ARGV[8])
if keep > 0 then
  local over = redis.call('ZCARD', list) - keep
  if over > 0 then
    for _, member in ipairs(redis.call('ZRANGE', list, 0, over - 1)) do
      redis.call('DEL', K.rejectedAt(upstream, member))
    end
    redis.call('ZREMRANGEBYRANK', list, 0, over - 1)
  end
end
return 1
`)

// RejectNotice implements store.Rejections.
func (s *Store) RejectNotice(ctx context.Context, r store.RejectedNotice, keep int) error {
	return s.run(ctx, rejectNotice, r.Upstream, r.ID, r.Digest, r.Reason, r.Basis, encTime(r.At), strconv.Itoa(max(keep, 0))).Err()
}

func readRejected(upstream string, m map[string]string) (store.RejectedNotice, error) {
	rec := &record{what: "rejected notice " + m["id"], m: m}
	r := store.RejectedNotice{Upstream: upstream, ID: rec.str("id"), Digest: rec.str("digest"), Reason: rec.str("reason"),
		Basis: rec.str("basis"), At: rec.time("at")}
	return r, rec.err
}

// RejectedNotice implements store.Rejections.
func (s *Store) RejectedNotice(ctx context.Context, upstream, id, digest string) (store.RejectedNotice, error) {
	m, err := s.c.HGetAll(ctx, s.k.rejected(upstream, digest, id)).Result()
	if err != nil {
		return store.RejectedNotice{}, err
	}
	if len(m) == 0 {
		return store.RejectedNotice{}, fmt.Errorf("rejected notice %s: %w", id, store.ErrNotFound)
	}
	return readRejected(upstream, m)
}

// RejectedNotices implements store.Rejections. A record dropped between the two reads is left out.
func (s *Store) RejectedNotices(ctx context.Context, upstream string) ([]store.RejectedNotice, error) {
	members, err := s.c.ZRange(ctx, s.k.rejectedOf(upstream), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	ms, err := s.hashes(ctx, mapStrings(members, func(m string) string { return s.k.rejectedAt(upstream, m) }))
	if err != nil {
		return nil, err
	}
	var out []store.RejectedNotice
	for _, m := range ms {
		if len(m) == 0 {
			continue
		}
		r, err := readRejected(upstream, m)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// forgetRejected drops every record of an upstream and its list, and counts the records.
var forgetRejected = newScript(luaKeys, `
local upstream = ARGV[2]
local list = K.rejectedOf(upstream)
local members = redis.call('ZRANGE', list, 0, -1)
for _, member in ipairs(members) do redis.call('DEL', K.rejectedAt(upstream, member)) end
redis.call('DEL', list)
return #members
`)

// ForgetRejected implements store.Rejections.
func (s *Store) ForgetRejected(ctx context.Context, upstream string) (int, error) {
	n, err := s.run(ctx, forgetRejected, upstream).Int()
	return n, err
}
