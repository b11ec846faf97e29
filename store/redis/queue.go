package redis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"baton/store"
)

// luaQueue queues deliveries. An activity is stored once, with the number of deliveries that still
// need it (refs); each delivery is a hash of its activity and inbox (attempts, error, due and state
// come with the first Claim, Retry or Fail), in queue:due scored AT_ONCE + its id: due at once,
// whatever clock claims it, in the order queued, and in deliveries-of:<activity id>. The activity's id
// goes to activity-ids. The scores go to ZADD 500 at a time. No activity is stored for no inbox.
//
// A fan-out to more than fanOutBatch distinct inboxes is not queued at once but stored as one fan-out
// job (see Fan-out in the package comment), which expandFanOut (luaFanOut) turns into deliveries
// fanOutBatch followers at a time.
var luaQueue = `
local AT_ONCE = -9007199254740992
local FANOUT_BATCH = ` + fanOutBatchLua + `
local PURGE_BATCH = ` + purgeBatchLua + `
-- activityAt reads an activity from ARGV[i] on: id, signer, body, when queued.
local function activityAt(i)
  return {id = ARGV[i], signer = ARGV[i + 1], body = ARGV[i + 2], created = ARGV[i + 3]}
end
-- storeActivity stores activity a for refs deliveries, due at once or at at (µs), lists its id, and
-- answers its seq.
local function storeActivity(a, refs, at)
  local seq = num(redis.call('INCR', K.seq('activities')))
  redis.call('HSET', K.activity(seq), 'id', a.id, 'signer', a.signer, 'body', a.body, 'created', a.created, 'refs', refs)
  if at then redis.call('HSET', K.activity(seq), 'at', num(at)) end
  redis.call('ZADD', K.activityIDs, 0, a.id)
  return seq
end
-- queueDeliveries queues activity seq (id aid) to each inbox, the deliveries numbered from first + 1
-- on, due at once or at at (µs).
local function queueDeliveries(seq, aid, first, inboxes, at)
  local due, of = {}, {}
  for i, inbox in ipairs(inboxes) do
    local id = first + i
    if at then
      redis.call('HSET', K.delivery(num(id)), 'activity', seq, 'inbox', inbox, 'due', at)
    else
      redis.call('HSET', K.delivery(num(id)), 'activity', seq, 'inbox', inbox)
    end
    due[#due + 1], due[#due + 2] = at or (AT_ONCE + id), id
    of[#of + 1] = id
    if #due == 1000 or i == #inboxes then
      redis.call('ZADD', K.due, unpack(due))
      redis.call('SADD', K.deliveriesOf(aid), unpack(of))
      due, of = {}, {}
    end
  end
end
-- queueTo stores activity a and queues it to each inbox, due at once, or at at (µs) when given, and
-- counts the deliveries.
local function queueTo(a, inboxes, at)
  local n = #inboxes
  if n == 0 then return 0 end
  local seq = storeActivity(a, n, at)
  local first = redis.call('INCRBY', K.seq('deliveries'), n) - n
  queueDeliveries(seq, a.id, first, inboxes, at)
  return n
end
-- startFanOut stores activity a and a fan-out job to queue it, due at once or at at, to the delivery
-- inboxes of owner's follows made until now: n of them at most (the distinct ones now), their
-- delivery ids reserved now so that they sort before anything queued later. The activity counts the
-- n deliveries until the job ends.
local function startFanOut(owner, a, n, at)
  local seq = storeActivity(a, n, at)
  local first = redis.call('INCRBY', K.seq('deliveries'), n) - n
  local upto = redis.call('ZRANGE', K.followers(owner), -1, -1, 'WITHSCORES')[2]
  redis.call('HSET', K.fanOut(seq), 'owner', owner, 'activity_id', a.id, 'upto', upto, 'after', 0,
    'next', num(first), 'last', num(first + n), 'at', at and num(at) or '')
  redis.call('ZADD', K.fanOuts, first, seq)
  return n
end
-- inboxesFrom reads the inboxes given from ARGV[i] on.
local function inboxesFrom(i)
  local out = {}
  for j = i, #ARGV do out[#out + 1] = ARGV[j] end
  return out
end
-- dropUntried takes delivery d of activity seq (id aid) off the queue if it was never tried (no
-- attempts field) and waits in queue:due, with the activity once no delivery needs it; it answers
-- whether it did.
local function dropUntried(d, seq, attempts, aid)
  if attempts or redis.call('ZREM', K.due, d) == 0 then return false end
  redis.call('DEL', K.delivery(d))
  redis.call('SREM', K.deliveriesOf(aid), d)
  if redis.call('HINCRBY', K.activity(seq), 'refs', -1) <= 0 then redis.call('DEL', K.activity(seq)) end
  return true
end
-- queueFollowers queues activity a to each distinct delivery inbox of owner's followers, due at once
-- or at at: at once when they are fanOutBatch or fewer, else as a fan-out job. It counts the
-- deliveries (for a job, the distinct inboxes now).
local function queueFollowers(owner, a, at)
  local n = redis.call('HLEN', K.inboxes(owner))
  if n > FANOUT_BATCH then return startFanOut(owner, a, n, at) end
  return queueTo(a, redis.call('HKEYS', K.inboxes(owner)), at)
end
`

// activityArgs are an activity's script arguments, read by activityAt, queued now.
func activityArgs(a store.Activity) []any {
	return []any{a.ID, a.Signer, a.Body, encTime(time.Now())}
}

// inboxArgs are inboxes as script arguments, read by inboxesFrom.
func inboxArgs(inboxes []string) []any {
	args := make([]any, len(inboxes))
	for i, inbox := range inboxes {
		args[i] = inbox
	}
	return args
}

// enqueue stores an activity and queues it to each inbox given.
var enqueue = newScript(luaKeys, luaQueue, `
return queueTo(activityAt(2), inboxesFrom(6))
`)

// Enqueue implements store.Queue.
func (s *Store) Enqueue(ctx context.Context, a store.Activity, inboxes []string) error {
	if len(inboxes) == 0 {
		return nil // nothing to deliver
	}
	args := activityArgs(a)
	for _, inbox := range inboxes {
		args = append(args, inbox)
	}
	return s.run(ctx, enqueue, args...).Err()
}

// enqueueFollowers stores an activity and queues it to each distinct delivery inbox of a local's
// followers, and counts the deliveries.
var enqueueFollowers = newScript(luaKeys, luaQueue, `
return queueFollowers(ARGV[2], activityAt(3))
`)

// EnqueueFollowers implements store.Queue.
func (s *Store) EnqueueFollowers(ctx context.Context, local string, a store.Activity) (int, error) {
	return s.run(ctx, enqueueFollowers, append([]any{local}, activityArgs(a)...)...).Int()
}

// enqueueFollowersReplacing ends the fan-out jobs of each activity whose id is in activity-ids between
// ARGV[5] and ARGV[6] (ZRANGEBYLEX bounds) and marks it replaced, then queues the activity at ARGV[7]
// on for local's (ARGV[2]) followers, due at ARGV[4] (µs), or at the due time of one of those
// activities whose deliveries still wait untried, when that is earlier. The untried deliveries of an
// activity replaced it takes off at once when it has purgeBatch deliveries or fewer; it answers the
// number queued, then the id and number of deliveries of each activity with more, for purgeUntried to
// take off in steps (at a million followers, taking them off here would hold Redis for seconds).
// Until then, a claim drops them as it meets them (claim).
//
// An activity still waits untried when a fan-out job of it is running, or when a delivery of it is in
// queue:due at exactly the time it was queued for (a retry is due at another time; a claimed one is
// not in queue:due). One queued at once (no time kept with it) is never taken to wait: claims take
// those first anyway.
var enqueueFollowersReplacing = newScript(luaKeys, luaQueue, luaFollow, luaFanOut, `
local now, at = tonumber(ARGV[3]), tonumber(ARGV[4])
local jobsOf = {}
for _, seq in ipairs(redis.call('ZRANGE', K.fanOuts, 0, -1)) do
  local aid = redis.call('HGET', K.fanOut(seq), 'activity_id')
  jobsOf[aid] = jobsOf[aid] or {}
  table.insert(jobsOf[aid], seq)
end
local large = {}
for _, aid in ipairs(redis.call('ZRANGEBYLEX', K.activityIDs, ARGV[5], ARGV[6])) do
  local jobs = jobsOf[aid] or {}
  for _, seq in ipairs(jobs) do
    local j = redis.call('HMGET', K.fanOut(seq), 'next', 'last', 'at')
    at = math.min(at, tonumber(j[3]) or now)
    endFanOut(seq, tonumber(j[2]) - tonumber(j[1]))
  end
  local member = redis.call('SRANDMEMBER', K.deliveriesOf(aid))
  local seq, due, waiting = nil, nil, #jobs > 0
  if member then
    seq = redis.call('HGET', K.delivery(member), 'activity')
    due = tonumber(redis.call('HGET', K.activity(seq), 'at'))
    if not waiting and due and redis.call('ZCOUNT', K.due, due, due) > 0 then
      waiting, at = true, math.min(at, due)
    end
  end
  -- An activity with nothing waiting untried (delivered, retrying or given up, or replaced and taken
  -- off already) is left alone: the Updates of years do not each cost a replacement its time.
  if waiting and member then
    redis.call('HSET', K.activity(seq), 'replaced', '1')
    local n = redis.call('SCARD', K.deliveriesOf(aid))
    if n > PURGE_BATCH then
      large[#large + 1], large[#large + 2] = aid, n
    else
      for _, d in ipairs(redis.call('SMEMBERS', K.deliveriesOf(aid))) do
        local f = redis.call('HMGET', K.delivery(d), 'attempts', 'activity')
        if f[2] then dropUntried(d, f[2], f[1], aid) end
      end
    end
  end
end
local out = {queueFollowers(ARGV[2], activityAt(7), at)}
for _, v in ipairs(large) do out[#out + 1] = v end
return out
`)

// purgeBatch is how many deliveries of a replaced activity one purgeUntried step looks at, and at most
// how many enqueueFollowersReplacing takes off itself: a few milliseconds of Redis's time.
const purgeBatch = 250

var purgeBatchLua = strconv.Itoa(purgeBatch)

// purgeUntried takes off queue:due the deliveries never tried among the next purgeBatch deliveries of
// activity ARGV[2], from SSCAN cursor ARGV[3], and answers the next cursor ('0': done).
var purgeUntried = newScript(luaKeys, luaQueue, `
local aid = ARGV[2]
local page = redis.call('SSCAN', K.deliveriesOf(aid), ARGV[3], 'COUNT', PURGE_BATCH)
for _, d in ipairs(page[2]) do
  local f = redis.call('HMGET', K.delivery(d), 'attempts', 'activity')
  if f[2] then dropUntried(d, f[2], f[1], aid) end
end
return page[1]
`)

// EnqueueFollowersReplacing implements store.Queue: one script queues the new activity, ends the
// fan-out jobs of those it replaces and takes off their untried deliveries when they are few. Where
// they are more (over purgeBatch), they are taken off purgeBatch at a time, so that no script runs long
// however many followers there are: before it returns, up to purgeWaited of them; beyond, in the
// background, during which QueueDepth and DeliveryStatus still count them and a claim that meets one
// drops it.
func (s *Store) EnqueueFollowersReplacing(ctx context.Context, local string, a store.Activity, due, now time.Time, replaces string) (int, error) {
	from, to := lexRange(replaces)
	args := append([]any{local, micros(now), micros(due), from, to}, activityArgs(a)...)
	res, err := s.run(ctx, enqueueFollowersReplacing, args...).Slice()
	if err != nil {
		return 0, err
	}
	answer := row(res)
	if len(answer)%2 != 1 {
		return 0, fmt.Errorf("enqueue replacing: an answer of %d values", len(answer))
	}
	queued, err := answer.int(0)
	if err != nil {
		return 0, fmt.Errorf("enqueue replacing: count: %w", err)
	}
	for i := 1; i < len(answer); i += 2 {
		aid := answer.str(i)
		if _, running := s.purging.LoadOrStore(aid, true); running {
			continue // a replacement before this one is taking them off
		}
		if n, _ := answer.int(i + 1); n > purgeWaited {
			s.background.Go(func() {
				defer s.purging.Delete(aid)
				s.purge(s.closing, aid)
			})
		} else if err := s.purgeNow(ctx, aid); err != nil {
			return int(queued), fmt.Errorf("taking off the deliveries of %s: %w", aid, err)
		}
	}
	return int(queued), nil
}

// purgeWaited is how many deliveries of a replaced activity EnqueueFollowersReplacing takes off before
// it returns: some 40 steps of purgeUntried.
const purgeWaited = 10_000

// purgeNow is purge while the caller waits.
func (s *Store) purgeNow(ctx context.Context, aid string) error {
	defer s.purging.Delete(aid)
	return s.purge(ctx, aid)
}

// purge runs purgeUntried on activity aid until its cursor comes back to '0', or ctx ends: what it
// leaves, claims drop as they meet it.
func (s *Store) purge(ctx context.Context, aid string) error {
	for cursor := "0"; ; {
		next, err := s.run(ctx, purgeUntried, aid, cursor).Text()
		if err != nil || next == "0" {
			return err
		}
		cursor = next
	}
}

// lexRange is the ZRANGEBYLEX bounds of the members beginning with prefix.
func lexRange(prefix string) (from, to string) {
	from, to = "["+prefix, "+"
	if end, ok := store.PrefixEnd(prefix); ok {
		to = "(" + end
	}
	if prefix == "" {
		from = "-"
	}
	return from, to
}

// expiredPerClaim bounds how many deliveries whose lease ran out one Claim moves back to the queue.
const expiredPerClaim = 1000

// claim first runs one expansion step of the first fan-out job waiting (luaFanOut), then moves
// deliveries whose lease ran out at now (ARGV[2]) back to queue:due, with the due score each had, then
// leases up to limit (ARGV[4]) due deliveries until ARGV[3]: out of queue:due, into queue:leased, due
// score kept in the delivery; while a fan-out due at once expands, only those queued before its
// deliveries not queued yet (fanOutBound). It answers with each, in the order due, as {id, inbox,
// attempts, activity}, and with each activity among them once, as {activity, created, id, signer,
// body}: a notice's body crosses once for all its deliveries. An untried delivery of a replaced
// activity it meets it takes off the queue instead (up to DROP_MAX a claim: what a background purge
// has not reached yet). No two claims can take the same delivery: a script runs alone.
var claim = newScript(luaKeys, luaFollow, luaQueue, luaFanOut, `
local now, leaseEnd, limit, expiredMax = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local DROP_MAX = 4 * PURGE_BATCH
expandFanOut()
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K.leased, '-inf', now, 'LIMIT', 0, expiredMax)) do
  redis.call('ZADD', K.due, redis.call('HGET', K.delivery(id), 'due'), id)
  redis.call('ZREM', K.leased, id)
end
local upto, bound = now, fanOutBound()
if bound then upto = '(' .. num(bound) end
local out, activities, sent, taken, dropped = {}, {}, {}, 0, 0
limit = tonumber(limit)
while taken < limit and dropped < DROP_MAX do
  local due = redis.call('ZRANGEBYSCORE', K.due, '-inf', upto, 'WITHSCORES', 'LIMIT', 0, limit - taken)
  if #due == 0 then break end
  for i = 1, #due, 2 do
    local id, delivery = due[i], K.delivery(due[i])
    local d = redis.call('HMGET', delivery, 'inbox', 'attempts', 'activity')
    local a = activities[d[3]]
    if not a then
      a = redis.call('HMGET', K.activity(d[3]), 'created', 'id', 'signer', 'body', 'replaced')
      activities[d[3]] = a
    end
    if a[5] and dropUntried(id, d[3], d[2], a[2]) then
      dropped = dropped + 1
    else
      redis.call('ZREM', K.due, id)
      redis.call('ZADD', K.leased, leaseEnd, id)
      redis.call('HSET', delivery, 'due', due[i + 1])
      out[#out + 1] = {id, d[1], d[2], d[3]}
      taken = taken + 1
      if not sent[d[3]] then
        sent[d[3]] = true
        out[#out + 1] = {d[3], a[1], a[2], a[3], a[4]}
      end
    end
  end
end
return out
`)

// Claim implements store.Queue.
func (s *Store) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	claimed, err := rows(s.run(ctx, claim, micros(now), micros(now.Add(lease)), limit, expiredPerClaim).Result())
	if err != nil {
		return nil, err
	}
	out := make([]store.Delivery, 0, len(claimed))
	activities := map[string]claimedActivity{}
	var seqs []string // each delivery's activity
	for _, r := range claimed {
		if len(r) == 5 {
			a, err := readClaimedActivity(r)
			if err != nil {
				return nil, err
			}
			activities[r.str(0)] = a
			continue
		}
		d, err := readDelivery(r)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
		seqs = append(seqs, r.str(3))
	}
	for i, seq := range seqs {
		a, ok := activities[seq]
		if !ok {
			return nil, fmt.Errorf("claimed delivery %d: activity %s not returned", out[i].ID, seq)
		}
		out[i].Activity, out[i].Created = a.Activity, a.created
	}
	return out, nil
}

// claimedActivity is an activity as claim returns it, once for all its deliveries.
type claimedActivity struct {
	store.Activity
	created time.Time
}

func readClaimedActivity(r row) (claimedActivity, error) {
	created, err := decTime(r.str(1))
	if err != nil {
		return claimedActivity{}, fmt.Errorf("activity %s: created: %w", r.str(0), err)
	}
	return claimedActivity{Activity: store.Activity{ID: r.str(2), Signer: r.str(3), Body: []byte(r.str(4))}, created: created}, nil
}

func readDelivery(r row) (store.Delivery, error) {
	if len(r) != 4 {
		return store.Delivery{}, fmt.Errorf("claimed delivery: a row of %d fields", len(r))
	}
	id, err := r.int(0)
	if err != nil {
		return store.Delivery{}, fmt.Errorf("claimed delivery: id: %w", err)
	}
	attempts := 0 // a delivery gets its attempts field at its first failed attempt
	if v := r.str(2); v != "" {
		if attempts, err = strconv.Atoi(v); err != nil {
			return store.Delivery{}, fmt.Errorf("delivery %d: attempts: %w", id, err)
		}
	}
	return store.Delivery{ID: id, Inbox: r.str(1), Attempts: attempts}, nil
}

// tallyActivity counts an activity's row of deliveryStatus: delivered, and not queued yet.
func tallyActivity(t *store.DeliveryTally, r row) error {
	delivered, err := r.int(1)
	if err != nil {
		return fmt.Errorf("delivered of %q: %w", r.str(0), err)
	}
	pending, err := r.int(2)
	if err != nil {
		return fmt.Errorf("deliveries of %q to queue: %w", r.str(0), err)
	}
	t.Delivered(r.str(0), int(delivered))
	t.Untried(r.str(0), int(pending))
	return nil
}

// complete deletes each delivery named (ARGV[2] on), wherever it is, counting it in delivered under
// its activity's id, and its activity when no other delivery needs it.
var complete = newScript(luaKeys, `
for i = 2, #ARGV do
  local id = ARGV[i]
  local activity = redis.call('HGET', K.delivery(id), 'activity')
  if activity then
    local activityID = redis.call('HGET', K.activity(activity), 'id')
    if activityID then
      redis.call('SREM', K.deliveriesOf(activityID), id)
      redis.call('HINCRBY', K.delivered, activityID, 1)
    end
    redis.call('DEL', K.delivery(id))
    redis.call('ZREM', K.due, id)
    redis.call('ZREM', K.leased, id)
    redis.call('ZREM', K.failed, id)
    if redis.call('HINCRBY', K.activity(activity), 'refs', -1) <= 0 then redis.call('DEL', K.activity(activity)) end
  end
end
return 0
`)

// Complete implements store.Queue, in one script. An unknown id is no error: the delivery may have
// been completed by a worker whose lease had run out.
func (s *Store) Complete(ctx context.Context, ids ...int64) error {
	return s.runOnIDs(ctx, complete, ids)
}

// runOnIDs runs script with delivery ids as its arguments (ARGV[2] on); none runs nothing.
func (s *Store) runOnIDs(ctx context.Context, script *goredis.Script, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return s.run(ctx, script, args...).Err()
}

// release moves each delivery named (ARGV[2] on) that is leased back to queue:due, with the due score
// it had before it was claimed.
var release = newScript(luaKeys, `
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('ZREM', K.leased, id) == 1 then
    redis.call('ZADD', K.due, redis.call('HGET', K.delivery(id), 'due'), id)
  end
end
return 0
`)

// Release implements store.Queue, in one script.
func (s *Store) Release(ctx context.Context, ids ...int64) error {
	return s.runOnIDs(ctx, release, ids)
}

// retry counts a failed attempt and, unless the delivery was given up, releases its lease and makes it
// due at ARGV[3].
var retry = newScript(luaKeys, `
local id = ARGV[2]
local delivery = K.delivery(id)
if redis.call('EXISTS', delivery) == 0 then return 0 end
redis.call('HINCRBY', delivery, 'attempts', 1)
redis.call('HSET', delivery, 'error', ARGV[4], 'due', ARGV[3])
if redis.call('HGET', delivery, 'state') == 'failed' then return 0 end
redis.call('ZREM', K.leased, id)
redis.call('ZADD', K.due, ARGV[3], id)
return 1
`)

// Retry implements store.Queue.
func (s *Store) Retry(ctx context.Context, id int64, next time.Time, reason string) error {
	return s.run(ctx, retry, id, micros(next), reason).Err()
}

// fail counts a failed attempt and gives the delivery up: out of the queue, into queue:failed, kept
// with its activity for operators.
var fail = newScript(luaKeys, `
local id = ARGV[2]
local delivery = K.delivery(id)
if redis.call('EXISTS', delivery) == 0 then return 0 end
redis.call('HINCRBY', delivery, 'attempts', 1)
redis.call('HSET', delivery, 'state', 'failed', 'error', ARGV[3])
redis.call('ZREM', K.due, id)
redis.call('ZREM', K.leased, id)
redis.call('ZADD', K.failed, id, id)
return 1
`)

// Fail implements store.Queue.
func (s *Store) Fail(ctx context.Context, id int64, reason string) error {
	return s.run(ctx, fail, id, reason).Err()
}

// queueDepth counts the deliveries queued or leased, and those the fan-out jobs have yet to queue.
var queueDepth = newScript(luaKeys, luaFollow, luaQueue, luaFanOut, `
local n = redis.call('ZCARD', K.due) + redis.call('ZCARD', K.leased)
for _, pending in pairs(pendingFanOuts()) do n = n + pending end
return n
`)

// QueueDepth implements store.Queue, in one script. A fan-out still expanding counts each distinct
// inbox of its followers when it started, less those already queued: a follower who left since still
// counts until the fan-out has passed them.
func (s *Store) QueueDepth(ctx context.Context) (int, error) {
	return s.run(ctx, queueDepth).Int()
}

// LatestActivityID implements store.Queue: activity-ids keeps the id of every activity queued, in byte
// order.
func (s *Store) LatestActivityID(ctx context.Context, prefix string) (string, error) {
	from, to := lexRange(prefix)
	ids, err := s.c.Do(ctx, "ZRANGE", s.k.activityIDs(), to, from, "BYLEX", "REV", "LIMIT", 0, 1).StringSlice()
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// deliveryStatus reads, for each activity id in activity-ids from ARGV[2] to ARGV[3] (ZRANGEBYLEX
// bounds), {id, delivered, not yet queued by its fan-out jobs}.
var deliveryStatus = newScript(luaKeys, luaFollow, luaQueue, luaFanOut, `
local out, pending = {}, pendingFanOuts()
for _, id in ipairs(redis.call('ZRANGEBYLEX', K.activityIDs, ARGV[2], ARGV[3])) do
  out[#out + 1] = {id, redis.call('HGET', K.delivered, id) or '0', num(pending[id] or 0)}
end
return out
`)

// statusBatch is how many deliveries of an activity one deliveryStatusStep reads: a few milliseconds
// of Redis's time.
const statusBatch = 1000

// deliveryStatusStep reads the next deliveries of activity ARGV[2] from SSCAN cursor ARGV[3]:
// {next cursor, {the ids of those never tried}, {id, inbox, attempts, state, error} of each tried}.
var deliveryStatusStep = newScript(luaKeys, `
local page = redis.call('SSCAN', K.deliveriesOf(ARGV[2]), ARGV[3], 'COUNT', ARGV[4])
local untried, out = {}, {page[1]}
out[2] = untried
for _, d in ipairs(page[2]) do
  local f = redis.call('HMGET', K.delivery(d), 'inbox', 'attempts', 'state', 'error')
  if f[1] and (f[2] or f[3] == 'failed') then
    out[#out + 1] = {d, f[1], f[2] or '0', f[3] or '', f[4] or ''}
  elseif f[1] then
    untried[#untried + 1] = d
  end
end
return out
`)

// DeliveryStatus implements store.Queue: one script reads each activity's count delivered and not
// queued yet, then its deliveries are read statusBatch at a time, so that no script runs long however
// many it has. A delivery completed while they are read may count in neither (its activity's delivered
// was read first). Deliveries queued before activities were indexed by id (deliveries-of) are not
// counted. While a fan-out expands, Queued counts its deliveries not queued yet as QueueDepth does: one
// for each distinct inbox when it started, less those queued since.
func (s *Store) DeliveryStatus(ctx context.Context, prefix string) ([]store.ActivityDeliveries, error) {
	from, to := lexRange(prefix)
	rs, err := rows(s.run(ctx, deliveryStatus, from, to).Result())
	if err != nil {
		return nil, err
	}
	var t store.DeliveryTally
	for _, r := range rs {
		if err := tallyActivity(&t, r); err != nil {
			return nil, err
		}
		if err := s.tallyDeliveries(ctx, &t, r.str(0)); err != nil {
			return nil, err
		}
	}
	return t.Result(), nil
}

// tallyDeliveries adds up the deliveries of activity aid, statusBatch at a time. SSCAN may return a
// member twice (the set changed size meanwhile), so each delivery counts once by its id.
func (s *Store) tallyDeliveries(ctx context.Context, t *store.DeliveryTally, aid string) error {
	var untried []int64
	tried := map[int64]bool{}
	for cursor := "0"; ; {
		page, err := s.run(ctx, deliveryStatusStep, aid, cursor, statusBatch).Slice()
		if err != nil {
			return err
		}
		if len(page) < 2 {
			return fmt.Errorf("delivery status: a step answered %d values", len(page))
		}
		ids, _ := page[1].([]any)
		for i := range ids {
			id, err := row(ids).int(i)
			if err != nil {
				return fmt.Errorf("delivery status: id: %w", err)
			}
			untried = append(untried, id)
		}
		for _, v := range page[2:] {
			if err := tallyTried(t, aid, v, tried); err != nil {
				return err
			}
		}
		if cursor = row(page).str(0); cursor == "0" {
			break
		}
	}
	slices.Sort(untried)
	t.Untried(aid, len(slices.Compact(untried)))
	return nil
}

// tallyTried counts one {id, inbox, attempts, state, error} of deliveryStatusStep, unless seen has it.
func tallyTried(t *store.DeliveryTally, aid string, v any, seen map[int64]bool) error {
	r, ok := v.([]any)
	if !ok || len(r) != 5 {
		return fmt.Errorf("delivery status: a row %v", v)
	}
	id, err := row(r).int(0)
	if err != nil {
		return fmt.Errorf("delivery status: id: %w", err)
	}
	attempts, err := row(r).int(2)
	if err != nil {
		return fmt.Errorf("delivery %d: attempts: %w", id, err)
	}
	if !seen[id] {
		seen[id] = true
		t.Add(id, aid, row(r).str(1), int(attempts), row(r).str(3) == "failed", row(r).str(4))
	}
	return nil
}
