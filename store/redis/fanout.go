package redis

import (
	"context"
	"strconv"
)

// fanOutBatch is how many followers one expansion step reads (and at most how many deliveries it
// queues), and how many distinct inboxes a fan-out may have and still be queued in the script that
// publishes: a few milliseconds of Redis's time (BENCHMARKS.md).
const fanOutBatch = 500

var fanOutBatchLua = strconv.Itoa(fanOutBatch)

// luaFanOut expands fan-out jobs (started by luaQueue's startFanOut); it needs luaFollow and luaQueue.
// A job walks its owner's followers list (scored by follow sequence number) from its cursor (after)
// up to the last follow made before it started (upto), and queues its activity to each follower's
// delivery inbox unless the job's set fanout-inboxes:<seq> has it already: each inbox once, however
// many followers share it. Cursor, next delivery id and set are written in the step that queues, so a
// step interrupted by a crash changed nothing and the next one takes up where the last one ended.
// A follower who leaves before the job reaches them gets nothing; one who follows after it started
// (or follows again, which makes a new follow) is not reached either.
const luaFanOut = `
-- endFanOut deletes fan-out job seq, and gives back the unused deliveries it reserved.
local function endFanOut(seq, unused)
  if unused > 0 and redis.call('HINCRBY', K.activity(seq), 'refs', -unused) <= 0 then
    redis.call('DEL', K.activity(seq))
  end
  -- UNLINK frees the set (an entry per inbox) in a background thread: DEL would free it here.
  redis.call('UNLINK', K.fanOut(seq), K.fanOutInboxes(seq))
  redis.call('ZREM', K.fanOuts, seq)
end
-- expandFanOut queues the deliveries of the next FANOUT_BATCH followers of the first fan-out job, and
-- ends the job when none are left. It answers false when no job was waiting.
local function expandFanOut()
  local seq = redis.call('ZRANGE', K.fanOuts, 0, 0)[1]
  if not seq then return false end
  local j = redis.call('HMGET', K.fanOut(seq), 'owner', 'activity_id', 'upto', 'after', 'next', 'last', 'at')
  local page = redis.call('ZRANGEBYSCORE', K.followers(j[1]), '(' .. j[4], j[3], 'WITHSCORES', 'LIMIT', 0, FANOUT_BATCH)
  local inboxes, after = {}, j[4]
  for i = 1, #page, 2 do
    local f = redis.call('HMGET', K.follower(j[1], page[i]), 'inbox', 'shared_inbox')
    local inbox = deliveryInbox(f[1], f[2])
    if redis.call('SADD', K.fanOutInboxes(seq), inbox) == 1 then inboxes[#inboxes + 1] = inbox end
    after = page[i + 1]
  end
  local at, nextID = nil, tonumber(j[5])
  if j[7] ~= '' then at = j[7] end
  queueDeliveries(seq, j[2], nextID, inboxes, at)
  nextID = nextID + #inboxes
  if #page < 2 * FANOUT_BATCH then
    endFanOut(seq, tonumber(j[6]) - nextID)
  else
    redis.call('HSET', K.fanOut(seq), 'after', after, 'next', num(nextID))
  end
  return true
end
-- fanOutBound is the least queue:due score that a delivery of a fan-out due at once, not queued yet,
-- will have; nil when none waits. Claim takes nothing from there on, so deliveries are claimed in the
-- order queued even while a fan-out is expanding.
local function fanOutBound()
  for _, seq in ipairs(redis.call('ZRANGE', K.fanOuts, 0, -1)) do
    local j = redis.call('HMGET', K.fanOut(seq), 'next', 'at')
    if j[2] == '' then return AT_ONCE + tonumber(j[1]) + 1 end
  end
  return nil
end
-- pendingFanOuts answers, for each activity id with a fan-out job, how many of its deliveries are
-- not queued yet (at most: those reserved and not used).
local function pendingFanOuts()
  local out = {}
  for _, seq in ipairs(redis.call('ZRANGE', K.fanOuts, 0, -1)) do
    local j = redis.call('HMGET', K.fanOut(seq), 'activity_id', 'next', 'last')
    out[j[1]] = (out[j[1]] or 0) + tonumber(j[3]) - tonumber(j[2])
  end
  return out
end
`

// expandFanOuts runs one expansion step: 1 if a fan-out job was waiting, else 0.
var expandFanOuts = newScript(luaKeys, luaFollow, luaQueue, luaFanOut, `
if expandFanOut() then return 1 end
return 0
`)

// expandAll expands every fan-out job, one step (one script) at a time.
func (s *Store) expandAll(ctx context.Context) error {
	for {
		more, err := s.run(ctx, expandFanOuts).Int()
		if err != nil || more == 0 {
			return err
		}
	}
}
