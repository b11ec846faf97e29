package redis

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"baton/store"
)

// luaFollow keeps the indexes of a follow: its place in the local's list, the local's distinct delivery
// inboxes (with how many followers use each), the remote actor's follows, and the instance's count.
const luaFollow = `
local function deliveryInbox(inbox, shared)
  if shared and shared ~= '' then return shared end
  return inbox
end
local function useInbox(owner, inbox) redis.call('HINCRBY', K.inboxes(owner), inbox, 1) end
local function dropInbox(owner, inbox)
  if redis.call('HINCRBY', K.inboxes(owner), inbox, -1) <= 0 then redis.call('HDEL', K.inboxes(owner), inbox) end
end
-- unfollow deletes an existing follow of owner by actor, and its place in every index.
local function unfollow(owner, actor)
  local follow = K.follower(owner, actor)
  local f = redis.call('HMGET', follow, 'inbox', 'shared_inbox')
  dropInbox(owner, deliveryInbox(f[1], f[2]))
  redis.call('DEL', follow)
  redis.call('ZREM', K.followers(owner), actor)
  redis.call('SREM', K.followsBy(actor), owner)
  redis.call('DECR', K.count('follows'))
end
-- follow stores a follow of owner by actor, replacing an earlier follow of the pair, at the end of
-- owner's list (a new follow sequence number), with every index kept in step.
local function follow(owner, actor, inbox, shared, followID, created)
  if redis.call('EXISTS', K.follower(owner, actor)) == 1 then unfollow(owner, actor) end
  local seq = redis.call('INCR', K.seq('follows'))
  redis.call('HSET', K.follower(owner, actor), 'inbox', inbox, 'shared_inbox', shared, 'follow_id', followID,
    'created', created, 'seq', seq)
  redis.call('ZADD', K.followers(owner), seq, actor)
  redis.call('SADD', K.followsBy(actor), owner)
  redis.call('INCR', K.count('follows'))
  useInbox(owner, deliveryInbox(inbox, shared))
end
`

// addFollower stores a follow (follow): 1, or -1 if there is no such local actor. It costs the same
// however many followers there are.
var addFollower = newScript(luaKeys, luaFollow, `
if redis.call('EXISTS', K.actor(ARGV[2])) == 0 then return -1 end
follow(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
return 1
`)

// AddFollower implements store.Followers. The local actor must exist, as in the reference backend.
func (s *Store) AddFollower(ctx context.Context, f store.Follower) error {
	return noSuchLocal(f, s.run(ctx, addFollower, followArgs(f)...))
}

// acceptFollow stores a follow as addFollower does, queues the Accept at ARGV[10] to the follower's
// inbox, and adds the Follow's id (ARGV[8]) to the seen set, scored ARGV[9] (µs), unless it is there.
var acceptFollow = newScript(luaKeys, luaFollow, luaQueue, `
if redis.call('EXISTS', K.actor(ARGV[2])) == 0 then return -1 end
follow(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
queueTo(activityAt(10), {ARGV[4]})
redis.call('ZADD', K.seen, 'NX', ARGV[9], ARGV[8])
return 1
`)

// AcceptFollow implements store.Followers in one script, which Redis runs whole or not at all.
func (s *Store) AcceptFollow(ctx context.Context, f store.Follower, accept store.Activity, seen string) error {
	args := append(followArgs(f), seen, f.Created.UnixMicro())
	return noSuchLocal(f, s.run(ctx, acceptFollow, append(args, activityArgs(accept)...)...))
}

// followArgs are a follow's script arguments, ARGV[2] to ARGV[7].
func followArgs(f store.Follower) []any {
	return []any{f.Local, f.Actor, f.Inbox, f.SharedInbox, f.FollowID, encTime(f.Created)}
}

// noSuchLocal reads the answer of a script that stores a follow: -1 is no such local actor.
func noSuchLocal(f store.Follower, cmd *goredis.Cmd) error {
	n, err := cmd.Int()
	if err == nil && n < 0 {
		err = fmt.Errorf("follow of %q by %s: no such actor: %w", f.Local, f.Actor, store.ErrNotFound)
	}
	return err
}

// removeFollower deletes a follow and its place in every index: 1 if it existed, else 0.
var removeFollower = newScript(luaKeys, luaFollow, `
if redis.call('EXISTS', K.follower(ARGV[2], ARGV[3])) == 0 then return 0 end
unfollow(ARGV[2], ARGV[3])
return 1
`)

// RemoveFollower implements store.Followers.
func (s *Store) RemoveFollower(ctx context.Context, local, actor string) (bool, error) {
	n, err := s.run(ctx, removeFollower, local, actor).Int()
	return n == 1, err
}

// removeActorEverywhere deletes every follow by a remote actor, and counts them.
var removeActorEverywhere = newScript(luaKeys, luaFollow, `
local owners = redis.call('SMEMBERS', K.followsBy(ARGV[2]))
for _, owner in ipairs(owners) do unfollow(owner, ARGV[2]) end
return #owners
`)

// RemoveActorEverywhere implements store.Followers.
func (s *Store) RemoveActorEverywhere(ctx context.Context, actor string) (int, error) {
	return s.run(ctx, removeActorEverywhere, actor).Int()
}

// Follower implements store.Followers.
func (s *Store) Follower(ctx context.Context, local, actor string) (store.Follower, error) {
	m, err := s.c.HGetAll(ctx, s.k.follower(local, actor)).Result()
	if err != nil {
		return store.Follower{}, err
	}
	if len(m) == 0 {
		return store.Follower{}, fmt.Errorf("follow of %q by %s: %w", local, actor, store.ErrNotFound)
	}
	r := &record{what: "follow of " + local + " by " + actor, m: m}
	f := store.Follower{Local: local, Actor: actor, Inbox: r.str("inbox"), SharedInbox: r.str("shared_inbox"),
		FollowID: r.str("follow_id"), Created: r.time("created")}
	return f, r.err
}

// CountFollowers implements store.Followers.
func (s *Store) CountFollowers(ctx context.Context, local string) (int, error) {
	if local == "" {
		return s.counter(ctx, s.k.count("follows"))
	}
	n, err := s.c.ZCard(ctx, s.k.followers(local)).Result()
	return int(n), err
}

// listFollowers reads a page of a local's followers: those with a follow sequence number above the
// cursor, at most limit, each as {actor, seq, inbox, shared inbox, follow id, created}. It reads the
// list's page only, never the whole list.
var listFollowers = newScript(luaKeys, `
local owner = ARGV[2]
local page = redis.call('ZRANGEBYSCORE', K.followers(owner), '(' .. ARGV[3], '+inf', 'WITHSCORES', 'LIMIT', 0, ARGV[4])
local out = {}
for i = 1, #page, 2 do
  local f = redis.call('HMGET', K.follower(owner, page[i]), 'inbox', 'shared_inbox', 'follow_id', 'created')
  out[#out + 1] = {page[i], page[i + 1], f[1], f[2], f[3], f[4]}
end
return out
`)

// ListFollowers implements store.Followers. The cursor is the follow sequence number of the last
// follower on the page.
func (s *Store) ListFollowers(ctx context.Context, local string, after int64, limit int) ([]store.Follower, int64, error) {
	if limit <= 0 {
		return nil, after, nil
	}
	page, err := rows(s.run(ctx, listFollowers, local, after, limit).Result())
	if err != nil {
		return nil, 0, err
	}
	var out []store.Follower
	next := after
	for _, r := range page {
		seq, err := r.int(1)
		if err != nil {
			return nil, 0, fmt.Errorf("follow of %q by %s: sequence: %w", local, r.str(0), err)
		}
		created, err := decTime(r.str(5))
		if err != nil {
			return nil, 0, fmt.Errorf("follow of %q by %s: created: %w", local, r.str(0), err)
		}
		out = append(out, store.Follower{Local: local, Actor: r.str(0), Inbox: r.str(2), SharedInbox: r.str(3),
			FollowID: r.str(4), Created: created})
		next = seq
	}
	return out, next, nil
}
