package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"baton/store"
)

// putOffer stores an answer to a call (ARGV[2..12]: id, project, call, person, signed "1"/"0", text,
// until, document, received, accepted, accepted_by) in place of the person's earlier answer of the kind
// to the call (its slot), all in one step: -1 when another answer holds the id, -2 when the slot's
// answer was accepted (stored again as it is, it stays: 1).
var putOffer = newScript(luaKeys, `
local id, project, call, person, signed = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local slot = K.offerSlot(call, signed, person)
local old = redis.call('GET', slot)
if old then
  local accepted = redis.call('HGET', K.offer(old), 'accepted')
  if accepted and accepted ~= '' then
    if old == id then return 1 end
    return -2
  end
end
if old ~= id and redis.call('EXISTS', K.offer(id)) == 1 then return -1 end
if old then
  local was = redis.call('HGET', K.offer(old), 'project')
  if was then redis.call('ZREM', K.offersOf(was), old) end
  redis.call('DEL', K.offer(old))
end
redis.call('HSET', K.offer(id), 'id', id, 'project', project, 'call', call, 'person', person, 'signed', signed,
  'text', ARGV[7], 'until', ARGV[8], 'document', ARGV[9], 'received', ARGV[10], 'accepted', ARGV[11], 'accepted_by', ARGV[12])
redis.call('SET', slot, id)
redis.call('ZADD', K.offersOf(project), redis.call('INCR', K.seq('offers')), id)
return 1
`)

// acceptOffer marks a signed offer (ARGV[2]) accepted by ARGV[3] at ARGV[4], unless it was already
// (-2) or is no signed offer (-1).
var acceptOffer = newScript(luaKeys, `
local h = K.offer(ARGV[2])
if redis.call('HGET', h, 'signed') ~= '1' then return -1 end
local accepted = redis.call('HGET', h, 'accepted')
if accepted and accepted ~= '' then return -2 end
redis.call('HSET', h, 'accepted', ARGV[4], 'accepted_by', ARGV[3])
return 1
`)

func encBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// PutOffer implements store.Offers.
func (s *Store) PutOffer(ctx context.Context, o store.Offer) error {
	n, err := s.run(ctx, putOffer, o.ID, o.Project, strconv.FormatInt(o.Call, 10), o.Person, encBool(o.Signed), o.Text,
		encTime(o.Until), string(o.Document), encTime(o.Received), encTime(o.Accepted), o.AcceptedBy).Int()
	switch {
	case err != nil:
		return err
	case n == -1:
		return fmt.Errorf("answer %s: %w", o.ID, store.ErrExists)
	case n == -2:
		return fmt.Errorf("the answer of %s to call %d was accepted: %w", o.Person, o.Call, store.ErrConflict)
	}
	return nil
}

func readOffer(m map[string]string) (store.Offer, error) {
	r := &record{what: "answer " + m["id"], m: m}
	o := store.Offer{ID: r.str("id"), Project: r.str("project"), Call: r.int("call"), Person: r.str("person"),
		Signed: r.str("signed") == "1", Text: r.str("text"), Until: r.time("until"), Document: r.bytes("document"),
		Received: r.time("received"), Accepted: r.time("accepted"), AcceptedBy: r.str("accepted_by")}
	return o, r.err
}

// Offer implements store.Offers.
func (s *Store) Offer(ctx context.Context, id string) (store.Offer, error) {
	m, err := s.c.HGetAll(ctx, s.k.offer(id)).Result()
	if err != nil {
		return store.Offer{}, err
	}
	if len(m) == 0 {
		return store.Offer{}, fmt.Errorf("answer %s: %w", id, store.ErrNotFound)
	}
	return readOffer(m)
}

// Offers implements store.Offers. An answer replaced between the two reads is left out.
func (s *Store) Offers(ctx context.Context, project string) ([]store.Offer, error) {
	ids, err := s.c.ZRange(ctx, s.k.offersOf(project), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	ms, err := s.hashes(ctx, mapStrings(ids, s.k.offer))
	if err != nil {
		return nil, err
	}
	var out []store.Offer
	for _, m := range ms {
		if len(m) == 0 {
			continue
		}
		o, err := readOffer(m)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// AcceptOffer implements store.Offers.
func (s *Store) AcceptOffer(ctx context.Context, id, by string, at time.Time) (store.Offer, error) {
	n, err := s.run(ctx, acceptOffer, id, by, encTime(at)).Int()
	switch {
	case err != nil:
		return store.Offer{}, err
	case n == -1:
		return store.Offer{}, fmt.Errorf("offer %s: %w", id, store.ErrNotFound)
	case n == -2:
		return store.Offer{}, fmt.Errorf("offer %s was accepted already: %w", id, store.ErrConflict)
	}
	return s.Offer(ctx, id)
}
