package redis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"baton/store"
)

var _ store.Transfer = (*Store)(nil)

// transferPage is how many records EachDelivery and EachSeen read in one pipeline or range.
const transferPage = 500

// SettingKeys implements store.Transfer with SCAN over the settings' keys.
func (s *Store) SettingKeys(ctx context.Context) ([]string, error) {
	prefix := s.k.setting("")
	var keys []string
	iter := s.c.Scan(ctx, 0, globEscape(prefix)+"*", transferPage).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, strings.TrimPrefix(iter.Val(), prefix))
	}
	slices.Sort(keys)
	return keys, iter.Err()
}

// globEscape escapes the characters SCAN MATCH reads as a pattern.
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`).Replace(s)
}

// queued is where a delivery sits in the queue.
type queued struct {
	score  float64 // queue:due's score
	leased bool
	failed bool
}

// EachDelivery implements store.Transfer: it expands every fan-out job first (a step at a time), so
// that what it reads is deliveries only; then it reads the three queue sets whole (ids and scores
// only), then the deliveries and their activities a page at a time, in id order.
func (s *Store) EachDelivery(ctx context.Context, fn func(store.QueuedDelivery) error) error {
	if err := s.expandAll(ctx); err != nil {
		return err
	}
	where, err := s.queuedIDs(ctx)
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(where))
	for id := range where {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	activities := map[string]storedActivity{} // the current page's, by seq
	for start := 0; start < len(ids); start += transferPage {
		page := ids[start:min(start+transferPage, len(ids))]
		ds, err := s.hashes(ctx, mapInts(page, func(id int64) string { return s.k.delivery(strconv.FormatInt(id, 10)) }))
		if err != nil {
			return err
		}
		clear(activities)
		for i, m := range ds {
			d, err := s.transferDelivery(ctx, page[i], m, where[page[i]], activities)
			if err != nil {
				return err
			}
			if err := fn(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// queuedIDs reads every delivery id in the queue and where it is.
func (s *Store) queuedIDs(ctx context.Context) (map[int64]queued, error) {
	where := map[int64]queued{}
	for _, set := range []string{"due", "leased", "failed"} {
		zs, err := s.c.ZRangeWithScores(ctx, s.k.queue(set), 0, -1).Result()
		if err != nil {
			return nil, err
		}
		for _, z := range zs {
			id, err := strconv.ParseInt(z.Member.(string), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("queue:%s: delivery id %q: %w", set, z.Member, err)
			}
			where[id] = queued{score: z.Score, leased: set == "leased", failed: set == "failed"}
		}
	}
	return where, nil
}

// storedActivity is an activity as its hash holds it.
type storedActivity struct {
	store.Activity
	created time.Time
}

// transferDelivery reads one delivery's hash, and its activity unless the page has read it already.
func (s *Store) transferDelivery(ctx context.Context, id int64, m map[string]string, q queued,
	activities map[string]storedActivity) (store.QueuedDelivery, error) {
	r := &record{what: fmt.Sprintf("delivery %d", id), m: m}
	seq := r.str("activity")
	a, ok := activities[seq]
	if !ok {
		am, err := s.c.HGetAll(ctx, s.k.activity(seq)).Result()
		if err != nil {
			return store.QueuedDelivery{}, err
		}
		if len(am) == 0 {
			return store.QueuedDelivery{}, fmt.Errorf("delivery %d: activity %q is missing", id, seq)
		}
		ar := &record{what: "activity " + seq, m: am}
		a = storedActivity{store.Activity{ID: ar.str("id"), Signer: ar.str("signer"), Body: ar.bytes("body")}, ar.time("created")}
		if ar.err != nil {
			return store.QueuedDelivery{}, ar.err
		}
		activities[seq] = a
	}
	d := store.QueuedDelivery{Delivery: store.Delivery{ID: id, Inbox: r.str("inbox"), Activity: a.Activity,
		Attempts: int(r.int("attempts")), Created: a.created}, Failed: q.failed, Error: r.str("error")}
	if !q.failed && !q.leased && q.score >= 0 {
		d.Due = time.UnixMicro(int64(q.score)).UTC()
	}
	return d, r.err
}

func mapInts(in []int64, f func(int64) string) []string {
	out := make([]string, len(in))
	for i, n := range in {
		out[i] = f(n)
	}
	return out
}

// EachSeen implements store.Transfer, a range of the seen set at a time.
func (s *Store) EachSeen(ctx context.Context, fn func(string, time.Time) error) error {
	for start := int64(0); ; start += transferPage {
		zs, err := s.c.ZRangeWithScores(ctx, s.k.seen(), start, start+transferPage-1).Result()
		if err != nil || len(zs) == 0 {
			return err
		}
		for _, z := range zs {
			if err := fn(z.Member.(string), time.UnixMicro(int64(z.Score)).UTC()); err != nil {
				return err
			}
		}
	}
}

// restoreNotice stores a notice and counts one more revision of its actor's notices, as publishNotice
// does but queueing nothing, and moves the notice id counter up to its id.
var restoreNotice = newScript(luaKeys, luaNotice, luaRevision, `
local revision = revisionOf(ARGV[3])
local stored = storeNotice()
if stored ~= 0 then return stored end
setRevision(ARGV[3], revision + 1)
if tonumber(redis.call('GET', K.seq('notices')) or '0') < tonumber(ARGV[2]) then
  redis.call('SET', K.seq('notices'), ARGV[2])
end
return 0
`)

// RestoreNotice implements store.Transfer.
func (s *Store) RestoreNotice(ctx context.Context, n store.Notice) error {
	code, err := s.run(ctx, restoreNotice, noticeArgs(n)...).Int()
	if err != nil {
		return err
	}
	return noticeError(n, code)
}

// restoreDeliveries stores an activity (ARGV[2] to ARGV[5]) and one delivery per five arguments after
// it (inbox, attempts, error, due in µs or "" for at once, "1" when given up), as queueTo does but with
// each delivery's own state.
var restoreDeliveries = newScript(luaKeys, luaQueue, `
local a = activityAt(2)
local n = (#ARGV - 5) / 5
local seq = num(redis.call('INCR', K.seq('activities')))
redis.call('HSET', K.activity(seq), 'id', a.id, 'signer', a.signer, 'body', a.body, 'created', a.created, 'refs', n)
redis.call('ZADD', K.activityIDs, 0, a.id)
for i = 0, n - 1 do
  local j = 6 + i * 5
  local id = num(redis.call('INCR', K.seq('deliveries')))
  local delivery = K.delivery(id)
  redis.call('HSET', delivery, 'activity', seq, 'inbox', ARGV[j], 'attempts', ARGV[j + 1], 'error', ARGV[j + 2])
  redis.call('SADD', K.deliveriesOf(a.id), id)
  if ARGV[j + 4] == '1' then
    redis.call('HSET', delivery, 'state', 'failed')
    redis.call('ZADD', K.failed, id, id)
  elseif ARGV[j + 3] == '' then
    redis.call('ZADD', K.due, AT_ONCE + tonumber(id), id)
  else
    redis.call('HSET', delivery, 'due', ARGV[j + 3])
    redis.call('ZADD', K.due, ARGV[j + 3], id)
  end
end
return n
`)

// RestoreDeliveries implements store.Transfer.
func (s *Store) RestoreDeliveries(ctx context.Context, a store.Activity, ds []store.QueuedDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	args := []any{a.ID, a.Signer, a.Body, encTime(ds[0].Created)}
	for _, d := range ds {
		due := ""
		if !d.Due.IsZero() {
			due = micros(d.Due)
		}
		args = append(args, d.Inbox, d.Attempts, d.Error, due, flag(d.Failed))
	}
	return s.run(ctx, restoreDeliveries, args...).Err()
}

// EachDelivered implements store.Transfer: HSCAN reads the counts, which are then given in id order.
func (s *Store) EachDelivered(ctx context.Context, fn func(string, int) error) error {
	counts := map[string]int{}
	iter := s.c.HScan(ctx, s.k.delivered(), 0, "", transferPage).Iterator()
	for iter.Next(ctx) {
		id := iter.Val()
		if !iter.Next(ctx) {
			break
		}
		n, err := strconv.Atoi(iter.Val())
		if err != nil {
			return fmt.Errorf("delivered of %q: %w", id, err)
		}
		counts[id] = n
	}
	if err := iter.Err(); err != nil {
		return err
	}
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := fn(id, counts[id]); err != nil {
			return err
		}
	}
	return nil
}

// RestoreDelivered implements store.Transfer, in one MULTI.
func (s *Store) RestoreDelivered(ctx context.Context, activityID string, n int) error {
	_, err := s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.HIncrBy(ctx, s.k.delivered(), activityID, int64(n))
		p.ZAdd(ctx, s.k.activityIDs(), goredis.Z{Member: activityID})
		return nil
	})
	return err
}
