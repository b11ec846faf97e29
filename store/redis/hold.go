package redis

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"baton/store"
)

// A claim is a member of holds:serving (replicas, any number) or holds:alone (a migrate or a token
// rotation, one, with no replica), scored by when it lapses on Redis's clock, so that replicas whose
// clocks differ agree. Every script first drops the claims that lapsed: a crashed replica blocks a
// migrate for store.HoldTTL at most.
const luaDropLapsed = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', K.holds('serving'), '-inf', now)
redis.call('ZREMRANGEBYSCORE', K.holds('alone'), '-inf', now)
`

// holdScript claims the store atomically (ARGV[2] the claim, ARGV[3] "serving" or "alone", ARGV[4]
// the TTL in ms): it answers {1} when the claim is made, else {0, a claim in the way}.
var holdScript = newScript(luaKeys, luaDropLapsed, `
local claim, kind, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4])
local alone = redis.call('ZRANGE', K.holds('alone'), 0, 0)
if #alone > 0 and alone[1] ~= claim then return {0, alone[1]} end
if kind == 'alone' then
  local serving = redis.call('ZRANGE', K.holds('serving'), 0, 0)
  if #serving > 0 then return {0, serving[1]} end
end
redis.call('ZADD', K.holds(kind), now + ttl, claim)
if redis.call('PTTL', K.holds(kind)) < ttl then redis.call('PEXPIRE', K.holds(kind), ttl) end
return {1}
`)

// keepScript pushes a claim's lapse on by the TTL (same arguments), answering 0 if it lapsed already.
var keepScript = newScript(luaKeys, luaDropLapsed, `
local claim, kind, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4])
if not redis.call('ZSCORE', K.holds(kind), claim) then return 0 end
redis.call('ZADD', K.holds(kind), now + ttl, claim)
if redis.call('PTTL', K.holds(kind)) < ttl then redis.call('PEXPIRE', K.holds(kind), ttl) end
return 1
`)

// Hold implements store.Holds: serving replicas share the store; a migrate or a token rotation has it
// alone.
func (s *Store) Hold(ctx context.Context, h store.Holder) (store.Hold, error) {
	nonce := make([]byte, 8)
	rand.Read(nonce)
	b, err := json.Marshal(struct {
		store.Holder
		Claim string `json:"claim"` // two claims by one holder description stay two members
	}{h, fmt.Sprintf("%x", nonce)})
	if err != nil {
		return nil, err
	}
	kind := "alone"
	if h.Serving {
		kind = "serving"
	}
	c := &storeClaim{s: s, member: string(b), kind: kind, ttl: s.holdTTL}
	if err := c.take(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// storeClaim is a claim on the store, as a member of holds:<kind>.
type storeClaim struct {
	s      *Store
	member string
	kind   string
	ttl    time.Duration
}

func (c *storeClaim) args() []any { return []any{c.member, c.kind, c.ttl.Milliseconds()} }

// take makes the claim, or answers who is in the way.
func (c *storeClaim) take(ctx context.Context) error {
	res, err := c.s.run(ctx, holdScript, c.args()...).Slice()
	if err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	if ok, _ := res[0].(int64); ok == 1 {
		return nil
	}
	var by store.Holder
	if len(res) > 1 {
		other, _ := res[1].(string)
		json.Unmarshal([]byte(other), &by)
	}
	return &store.HeldError{By: by}
}

// Keep refreshes the claim three times per TTL until ctx ends. A refresh that fails (Redis
// unreachable) is tried again at the next tick; a claim that lapsed meanwhile is taken again, unless a
// migrate or token rotation took the store: then Keep answers who did.
func (c *storeClaim) Keep(ctx context.Context) error {
	tick := time.NewTicker(c.ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		kept, err := c.s.run(ctx, keepScript, c.args()...).Int()
		if err == nil && kept == 0 {
			err = c.take(ctx)
		}
		if held := (*store.HeldError)(nil); errors.As(err, &held) {
			return err
		}
	}
}

// Release drops the claim.
func (c *storeClaim) Release(ctx context.Context) error {
	return c.s.c.ZRem(ctx, c.s.k.holds(c.kind), c.member).Err()
}
