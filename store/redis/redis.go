// Package redis is the store that several Baton replicas share: every value lives in one standalone
// Redis (7.0 or later; with Sentinel, reach the primary through an address that follows it), under a
// key prefix ("baton:" unless the URL says otherwise), so one Redis can serve other applications too.
//
// # Atomicity
//
// Replicas race each other, so every change that touches more than one key, and every check followed
// by a write (create unless it exists, compare-and-set, claim), runs as one Lua script: Redis runs a
// script to its end before it serves any other command, so no replica ever sees half of a change. The
// scripts are the package-level *Script values, each with a comment saying what it does atomically;
// they share the helpers in luaKeys, luaFollow, luaQueue and luaFanOut. Single-command writes (SET NX
// GET, HSET of a whole record, ZADD NX) need no script; PutUpstream uses MULTI/EXEC. Reads of a list
// take the ids first and the records in one pipeline: each record is one hash, never half-written.
//
// The scripts build the names of the keys they touch from the prefix (ARGV[1]) rather than take them
// in KEYS: a fan-out touches keys that only the script knows (one per delivery). That is fine on a
// standalone Redis and not allowed on Redis Cluster, which this store does not support.
//
// Durability is Redis's: with RDB snapshots alone, a crash loses what was written since the last one
// (accepted follows, queued deliveries). Run Redis with the append-only file (appendonly yes;
// appendfsync everysec loses at most a second, always loses nothing).
//
// # Key layout
//
// P is the prefix; <x> a value, <esc x> a value with '%' and ':' escaped (so a key made of two values
// splits one way only; the last value of a key needs no escaping).
//
//	P setting:<key>                     string   an instance setting
//	P actor:<name>                      hash     a local actor, and (field revision) how many times its
//	                                             notices were published or updated (see luaRevision)
//	P actors                            zset     actor names, all scored 0: name order
//	P personkey:<esc person>:<fpr>      hash     a person's signing key
//	P personkeys:<person>               zset     fingerprints scored by P seq:keys: the order added
//	P roles:<project>                   zset     role holders scored by P seq:roles: the order granted
//	P role-since:<project>              hash     person -> since
//	P follower:<esc local>:<actor>      hash     one follow
//	P followers:<local>                 zset     remote actors scored by P seq:follows (the list cursor)
//	P inboxes:<local>                   hash     delivery inbox -> how many followers of local use it
//	P follows-by:<actor>                set      the locals a remote actor follows
//	P count:follows                     string   every follow on the instance
//	P notice:<id>                       hash     a notice
//	P notices:<actor>                   zset     notice ids scored by id
//	P public-notices:<actor>            zset     the public ones
//	P count:notices, count:public-notices  string  the instance's notices
//	P statements                        hash     statement id -> notice id
//	P activity:<seq>                    hash     an activity to deliver, and how many deliveries need it
//	                                             (refs; a fan-out job's not queued yet included)
//	P delivery:<id>                     hash     a delivery: activity seq, inbox (attempts, error, due,
//	                                             state once claimed, retried or failed)
//	P queue:due                         zset     queued deliveries not leased, scored by when due
//	P queue:leased                      zset     leased deliveries, scored by when the lease ends
//	P queue:failed                      zset     deliveries given up, scored by id
//	P deliveries-of:<activity id>       set      the ids of an activity's deliveries not delivered
//	P queue:fanouts                     zset     fan-out jobs waiting (activity seqs) scored by their
//	                                             first delivery id: the order they expand in
//	P fanout:<seq>                      hash     a fan-out job of activity <seq>: owner, activity id,
//	                                             follow seqs upto and after (cursor), delivery ids
//	                                             next (last used) and last (last reserved), due at
//	P fanout-inboxes:<seq>              set      the delivery inboxes the job has queued to
//	P activity-ids                      zset     every activity id queued, all scored 0: id order, for
//	                                             DeliveryStatus's prefix
//	P delivered                         hash     activity id -> how many of its deliveries Complete removed
//	P seen                              zset     incoming activity ids scored by when first seen (µs)
//	P remote-key:<key id>               hash     a remote actor's key
//	P upstream:<actor>                  hash     an upstream project a distro follows
//	P upstreams                         zset     upstream actor ids, all scored 0
//	P watch:<package>                   hash     which upstream a package comes from
//	P watches                           zset     watched packages, all scored 0
//	P watches-of:<upstream>             zset     an upstream's packages, all scored 0
//	P mirrored:<id>                     hash     an upstream's notice
//	P mirrored-of:<upstream>            zset     its notice ids scored by P seq:mirrored: order received
//	P rejected:<esc upstream>:<esc digest>:<id>  hash  a refused version of an upstream's notice
//	P rejected-of:<upstream>            zset     "<esc digest>:<id>" of each, scored by P seq:rejected:
//	                                             the order recorded
//	P case:<id>                         hash     a relief case: its record (store.EncodeCase), revision
//	P cases                             zset     case ids scored by P seq:cases: the order created
//	P offer:<id>                        hash     an answer to a call for stewards
//	P offers-of:<project>               zset     its answers' ids scored by P seq:offers: order stored
//	P offer-slot:<call>:<1|0>:<person>  string   the id of a person's signed offer (1) or reply (0) to a call
//	P seq:<name>                        string   the counters (INCR) ids and orders come from
//	P holds:serving, holds:alone        zset     who holds the store (Holder as JSON), scored by when
//	                                             the claim lapses (ms, Redis's clock): replicas
//	                                             serving, and a migrate or token rotation
//
// Times are kept as decimal nanoseconds since 1970 (the zero time as ""), so they round-trip exactly
// from 1678 to 2262. A sorted set cannot score nanoseconds exactly (a score is a float64), so the
// queue and the seen set score in microseconds, which are exact until 2255.
//
// # Queue
//
// A delivery is a hash in exactly one of three sorted sets: queue:due (scored by when it is due),
// queue:leased (scored by when its lease runs out) or queue:failed. Claim is one script: it first moves
// deliveries whose lease ran out back to queue:due (with the due score they had), then moves up to
// limit due deliveries to queue:leased, scored by now+lease, and returns them with their activities.
// Retry moves a delivery back to queue:due at its next time; Complete deletes it; Fail moves it to
// queue:failed. Every clock the queue compares with is the caller's (Claim's now, Retry's next), which
// the conformance suite relies on to step over leases and retry times without waiting.
//
// A fresh delivery is due at once, whatever clock claims it: its score is -2^53 plus its id, below every
// real time, so fresh deliveries come out first and in the order queued (the reference backend orders
// by due time, then id). Ties between deliveries retried to the same microsecond come out in the
// order of their ids' decimal strings.
//
// Redis Streams with a consumer group were the alternative (LIBRARIES.md). They fit less well: their
// leases (XAUTOCLAIM's idle time) run on the server's clock, not the caller's now; delayed retries need
// a sorted set beside the stream anyway; a failed delivery must stay for operators; and the queue is
// claimed in the order due, which a stream, in the order added, does not give.
//
// # Fan-out
//
// Each local actor keeps its followers' distinct delivery inboxes (inboxes:<local>, with how many
// followers use each), updated by the scripts that add and remove follows. PublishNotice,
// UpdateNotice, EnqueueFollowers, EnqueueFollowersReplacing and MirrorNotice queue one delivery per
// field of that hash, inside the script that stores the notice, when there are fanOutBatch (500) or
// fewer: each inbox once, nothing stored unless all of it is. Redis serves nobody else while a script
// runs, and queueing costs some 6–12 µs per inbox, so a larger fan-out is not queued there: the script
// stores one fan-out job (fanout:<seq>) with the notice, atomically, and reserves the job's delivery
// ids (one per distinct inbox then), so that its deliveries sort before anything queued after it.
// Each Claim, whichever replica runs it, first runs one expansion step of the oldest job: it reads the
// next fanOutBatch followers after the job's cursor, in follow order, queues a delivery to each
// delivery inbox the job's set (fanout-inboxes:<seq>) does not have yet, and moves the cursor, all in
// one script, so a crash or a Redis restart between steps resumes where the last step ended, and no
// inbox is queued twice or skipped. Claim hands out nothing queued after a fan-out due at once that is
// still expanding, so deliveries go out in the order queued, as before.
//
// The job reaches the followers whose follow was made before the publish and still stands when it
// reaches them: a follower who leaves meanwhile gets nothing (as if the publish had come after), one
// who follows after the publish is not reached (nor one who follows again, which makes a new follow).
// Until the job ends, QueueDepth and DeliveryStatus count its deliveries not queued yet as the
// distinct inboxes at the publish less those queued since; a follower who left counts until the job
// passes them. EachDelivery (Move) expands every job first. A step took about 10 ms of Redis's time at
// a million followers (BENCHMARKS.md).
//
// EnqueueFollowersReplacing (a profile Update replacing the one still waiting) ends the jobs of the
// activities it replaces and marks them replaced, in its script; their untried deliveries, already
// queued by then, it takes off there only when there are purgeBatch (250) or fewer, else in steps of
// purgeBatch, one script each: before it returns up to purgeWaited (10,000), beyond that in the
// background. A claim that meets an untried delivery of a replaced activity drops it, so what a crash
// left of the steps is dropped when it comes due, and is never delivered.
//
// go-redis runs a command again when its connection broke, or no answer came within the read timeout,
// before the answer came (max_retries, 3 by default). A script that ran before the break then runs
// twice: PublishNotice answers ErrExists for the notice it stored, Enqueue queues twice (the queue
// promises at least once, not exactly once). So that a long script is not taken for a broken
// connection, the read timeout is 30 s unless the URL sets read_timeout (go-redis's default is 3 s).
// max_retries=-1 in the URL turns retries off, and hands every broken connection to the caller.
//
// Other limits: ForgetSeen compares microseconds, so an id seen within the same microsecond as before
// but earlier stays until the next ForgetSeen (never forgotten too early). Claim moves at most
// expiredPerClaim deliveries whose lease ran out back to the queue per call, so a script never runs
// long after many workers died at once; the rest follow on the next calls.
package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"baton/store"
)

// scriptReadTimeout is how long an answer may take unless the URL says otherwise: longer than the
// longest script, so that one is never run twice.
const scriptReadTimeout = 30 * time.Second

// DefaultPrefix is put before every key unless the URL names another prefix.
const DefaultPrefix = "baton:"

// Store is a store.Store in a Redis shared by replicas.
type Store struct {
	c       *goredis.Client
	k       keys
	holdTTL time.Duration // how long a claim on the store outlives a replica that stopped keeping it

	background sync.WaitGroup  // work the store goes on with after a call returned (purge)
	purging    sync.Map        // ids of the activities whose untried deliveries are being taken off
	closing    context.Context // ends when Close is called, and background work with it
	stop       context.CancelFunc
}

var _ store.Store = (*Store)(nil)

// Open connects to the Redis at rawURL, redis://[user:password@]HOST:PORT/DB (or rediss:// for TLS),
// with go-redis's own query options (dial_timeout=3s, ...) and one of Baton's: prefix=, the prefix of
// every key (DefaultPrefix if absent). It checks that Redis answers.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	redisURL, prefix, err := splitPrefix(rawURL)
	if err != nil {
		return nil, err
	}
	opt, err := goredis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("redis store URL: %w", err)
	}
	opt.ContextTimeoutEnabled = true // without it, context deadlines are not honoured
	if u, err := url.Parse(redisURL); err == nil && !u.Query().Has("read_timeout") {
		opt.ReadTimeout = scriptReadTimeout
	}
	c := goredis.NewClient(opt)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis store at %s: %w", opt.Addr, err)
	}
	closing, stop := context.WithCancel(context.Background())
	return &Store{c: c, k: keys{p: prefix}, holdTTL: store.HoldTTL, closing: closing, stop: stop}, nil
}

// splitPrefix takes Baton's prefix option out of the URL, leaving go-redis the options it knows.
// An error does not quote the URL, which may hold a password.
func splitPrefix(rawURL string) (string, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return "", "", fmt.Errorf("redis store URL: %w", err)
	}
	q := u.Query()
	if !q.Has("prefix") {
		return rawURL, DefaultPrefix, nil
	}
	prefix := q.Get("prefix")
	q.Del("prefix")
	u.RawQuery = q.Encode()
	return u.String(), prefix, nil
}

// Close stops the store's background work, then closes the connections.
func (s *Store) Close() error {
	s.stop()
	s.background.Wait()
	return s.c.Close()
}

// run runs a script with the key prefix as ARGV[1], before args.
func (s *Store) run(ctx context.Context, script *goredis.Script, args ...any) *goredis.Cmd {
	return script.Run(ctx, s.c, nil, append([]any{s.k.p}, args...)...)
}

// Setting implements store.Settings.
func (s *Store) Setting(ctx context.Context, key string) ([]byte, error) {
	v, err := s.c.Get(ctx, s.k.setting(key)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("setting %q: %w", key, store.ErrNotFound)
	}
	return v, err
}

// InitSetting implements store.Settings with one SET NX GET: it stores value unless a value is there,
// and answers with the value that was there, atomically.
func (s *Store) InitSetting(ctx context.Context, key string, value []byte) ([]byte, error) {
	old, err := s.c.SetArgs(ctx, s.k.setting(key), value, goredis.SetArgs{Mode: "NX", Get: true}).Result()
	if errors.Is(err, goredis.Nil) {
		return append([]byte{}, value...), nil // none was there: ours is stored
	}
	if err != nil {
		return nil, err
	}
	return []byte(old), nil
}

// PutSetting implements store.Settings.
func (s *Store) PutSetting(ctx context.Context, key string, value []byte) error {
	return s.c.Set(ctx, s.k.setting(key), value, 0).Err()
}

// DeleteSetting implements store.Settings.
func (s *Store) DeleteSetting(ctx context.Context, key string) error {
	return s.c.Del(ctx, s.k.setting(key)).Err()
}

// encTime keeps a time as decimal nanoseconds, the zero time as "".
func encTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

// decTime reads what encTime wrote.
func decTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return time.Unix(0, n).UTC(), err
}

// micros is a time as a sorted-set score: microseconds, exact in a float64 until 2255.
func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// record reads the fields of a hash, keeping the first error, so a decoder reads like a struct literal.
type record struct {
	what string
	m    map[string]string
	err  error
}

func (r *record) str(field string) string { return r.m[field] }

func (r *record) bytes(field string) []byte { return []byte(r.m[field]) }

func (r *record) time(field string) time.Time {
	t, err := decTime(r.m[field])
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("%s: field %s: %w", r.what, field, err)
	}
	return t
}

func (r *record) int(field string) int64 {
	v := r.m[field]
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("%s: field %s: %w", r.what, field, err)
	}
	return n
}

// row reads an array a script returned: strings, integers or nils.
type row []any

func (r row) str(i int) string {
	switch v := r[i].(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

func (r row) int(i int) (int64, error) {
	switch v := r[i].(type) {
	case int64:
		return v, nil
	case string:
		return strconv.ParseInt(v, 10, 64)
	}
	return 0, fmt.Errorf("script answered %T, want a number", r[i])
}

// rows reads a script's answer that is an array of arrays.
func rows(v any, err error) ([]row, error) {
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("script answered %T, want an array", v)
	}
	out := make([]row, len(list))
	for i, e := range list {
		r, ok := e.([]any)
		if !ok {
			return nil, fmt.Errorf("script answered %T in an array, want an array", e)
		}
		out[i] = r
	}
	return out, nil
}

// hashes reads many hashes in one pipeline, in the order of keys; a missing hash reads as an empty map.
func (s *Store) hashes(ctx context.Context, keys []string) ([]map[string]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	cmds := make([]*goredis.MapStringStringCmd, len(keys))
	_, err := s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.HGetAll(ctx, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, len(keys))
	for i, c := range cmds {
		out[i] = c.Val()
	}
	return out, nil
}

// counter reads a counter, 0 when it was never set.
func (s *Store) counter(ctx context.Context, key string) (int, error) {
	n, err := s.c.Get(ctx, key).Int()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	return n, err
}

// mapStrings applies f to each of in.
func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}
