package redis

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	goredis "github.com/redis/go-redis/v9"

	"baton/notice"
	"baton/store"
)

func encodeUpstreamJSON(u store.Upstream) (genesis, stewards []byte, err error) {
	if genesis, err = store.EncodeGenesis(u.Genesis); err != nil {
		return nil, nil, err
	}
	stewards, err = store.EncodeStewards(u.Stewards)
	return genesis, stewards, err
}

// PutUpstream implements store.Watches: one transaction writes every field (replacing the older copy
// whole) and lists the upstream; its watches, kept apart, stay.
func (s *Store) PutUpstream(ctx context.Context, u store.Upstream) error {
	genesis, stewards, err := encodeUpstreamJSON(u)
	if err != nil {
		return err
	}
	_, err = s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.HSet(ctx, s.k.upstream(u.Actor), "name", u.Name, "inbox", u.Inbox, "shared_inbox", u.SharedInbox,
			"outbox", u.Outbox, "proof_key", u.ProofKey, "genesis", genesis, "stewards", stewards,
			"follow_id", u.FollowID, "follow", u.Follow, "synced", encTime(u.Synced), "created", encTime(u.Created))
		p.ZAdd(ctx, s.k.upstreams(), goredis.Z{Score: 0, Member: u.Actor})
		return nil
	})
	return err
}

func readUpstream(actor string, m map[string]string) (store.Upstream, error) {
	r := &record{what: "upstream " + actor, m: m}
	u := store.Upstream{Actor: actor, Name: r.str("name"), Inbox: r.str("inbox"), SharedInbox: r.str("shared_inbox"),
		Outbox: r.str("outbox"), ProofKey: r.str("proof_key"), FollowID: r.str("follow_id"), Follow: r.str("follow"),
		Synced: r.time("synced"), Created: r.time("created")}
	if r.err != nil {
		return store.Upstream{}, r.err
	}
	var err error
	if u.Genesis, err = store.DecodeGenesis([]byte(r.str("genesis"))); err != nil {
		return store.Upstream{}, fmt.Errorf("upstream %s: %w", actor, err)
	}
	if u.Stewards, err = store.DecodeStewards([]byte(r.str("stewards"))); err != nil {
		return store.Upstream{}, fmt.Errorf("upstream %s: %w", actor, err)
	}
	return u, nil
}

// Upstream implements store.Watches.
func (s *Store) Upstream(ctx context.Context, actor string) (store.Upstream, error) {
	m, err := s.c.HGetAll(ctx, s.k.upstream(actor)).Result()
	if err != nil {
		return store.Upstream{}, err
	}
	if len(m) == 0 {
		return store.Upstream{}, fmt.Errorf("upstream %s: %w", actor, store.ErrNotFound)
	}
	return readUpstream(actor, m)
}

// ListUpstreams implements store.Watches.
func (s *Store) ListUpstreams(ctx context.Context) ([]store.Upstream, error) {
	actors, err := s.c.ZRange(ctx, s.k.upstreams(), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	ms, err := s.hashes(ctx, mapStrings(actors, s.k.upstream))
	if err != nil {
		return nil, err
	}
	var out []store.Upstream
	for i, actor := range actors {
		u, err := readUpstream(actor, ms[i])
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// addWatch records that a package comes from an upstream, and lists it among every watch and the
// upstream's, checking first that the package actor (else -1) and the upstream (else -2) are stored
// and that the package is not watched (else 0): 1 if recorded.
var addWatch = newScript(luaKeys, `
local pkg, upstream = ARGV[2], ARGV[3]
if redis.call('EXISTS', K.actor(pkg)) == 0 then return -1 end
if redis.call('EXISTS', K.upstream(upstream)) == 0 then return -2 end
if redis.call('EXISTS', K.watch(pkg)) == 1 then return 0 end
redis.call('HSET', K.watch(pkg), 'upstream', upstream, 'purl', ARGV[4], 'created', ARGV[5])
redis.call('ZADD', K.watches, 0, pkg)
redis.call('ZADD', K.watchesOf(upstream), 0, pkg)
return 1
`)

// AddWatch implements store.Watches. A missing package actor or upstream is an error wrapping
// store.ErrNotFound that says which one is missing.
func (s *Store) AddWatch(ctx context.Context, w store.Watch) error {
	n, err := s.run(ctx, addWatch, w.Package, w.Upstream, w.Purl, encTime(w.Created)).Int()
	switch {
	case err != nil:
		return err
	case n == -1:
		return fmt.Errorf("watch of package %q: no such actor: %w", w.Package, store.ErrNotFound)
	case n == -2:
		return fmt.Errorf("watch of package %q: upstream %s is not stored: %w", w.Package, w.Upstream, store.ErrNotFound)
	case n == 0:
		return fmt.Errorf("watch of package %q: %w", w.Package, store.ErrExists)
	}
	return nil
}

func readWatch(pkg string, m map[string]string) (store.Watch, error) {
	r := &record{what: "watch of " + pkg, m: m}
	w := store.Watch{Package: pkg, Upstream: r.str("upstream"), Purl: r.str("purl"), Created: r.time("created")}
	return w, r.err
}

// Watch implements store.Watches.
func (s *Store) Watch(ctx context.Context, pkg string) (store.Watch, error) {
	m, err := s.c.HGetAll(ctx, s.k.watch(pkg)).Result()
	if err != nil {
		return store.Watch{}, err
	}
	if len(m) == 0 {
		return store.Watch{}, fmt.Errorf("watch of package %q: %w", pkg, store.ErrNotFound)
	}
	return readWatch(pkg, m)
}

// ListWatches implements store.Watches.
func (s *Store) ListWatches(ctx context.Context) ([]store.Watch, error) {
	return s.listWatches(ctx, s.k.watches())
}

// WatchesOf implements store.Watches.
func (s *Store) WatchesOf(ctx context.Context, upstream string) ([]store.Watch, error) {
	return s.listWatches(ctx, s.k.watchesOf(upstream))
}

// listWatches reads the watches of the packages in a sorted set, in its (name) order. A watch removed
// between the two reads is left out.
func (s *Store) listWatches(ctx context.Context, list string) ([]store.Watch, error) {
	pkgs, err := s.c.ZRange(ctx, list, 0, -1).Result()
	if err != nil {
		return nil, err
	}
	ms, err := s.hashes(ctx, mapStrings(pkgs, s.k.watch))
	if err != nil {
		return nil, err
	}
	var out []store.Watch
	for i, pkg := range pkgs {
		if len(ms[i]) == 0 {
			continue
		}
		w, err := readWatch(pkg, ms[i])
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// removeWatch forgets a package's watch and its place in both lists: 1, or 0 if it is not watched.
var removeWatch = newScript(luaKeys, `
local pkg = ARGV[2]
local upstream = redis.call('HGET', K.watch(pkg), 'upstream')
if not upstream then return 0 end
redis.call('DEL', K.watch(pkg))
redis.call('ZREM', K.watches, pkg)
redis.call('ZREM', K.watchesOf(upstream), pkg)
return 1
`)

// RemoveWatch implements store.Watches.
func (s *Store) RemoveWatch(ctx context.Context, pkg string) error {
	n, err := s.run(ctx, removeWatch, pkg).Int()
	if err == nil && n == 0 {
		err = fmt.Errorf("watch of package %q: %w", pkg, store.ErrNotFound)
	}
	return err
}

// mirrorNotice stores an upstream's notice unless one with its id is stored (answering {0, 0}), lists it
// in the order received, and queues each announcement (ARGV[9] on, five each: package, then an activity as
// activityAt reads it) to each distinct delivery inbox of the package's followers, all together:
// {1, deliveries queued}.
var mirrorNotice = newScript(luaKeys, luaQueue, `
local id, upstream = ARGV[2], ARGV[3]
if redis.call('EXISTS', K.mirrored(id)) == 1 then return {0, 0} end
local seq = redis.call('INCR', K.seq('mirrored'))
redis.call('HSET', K.mirrored(id), 'upstream', upstream, 'kind', ARGV[4], 'document', ARGV[5], 'proofs', ARGV[6],
  'published', ARGV[7], 'received', ARGV[8], 'seq', seq)
redis.call('ZADD', K.mirroredOf(upstream), seq, id)
local queued = 0
for i = 9, #ARGV, 5 do queued = queued + queueFollowers(ARGV[i], activityAt(i + 1)) end
return {1, queued}
`)

// MirrorNotice implements store.Mirror.
func (s *Store) MirrorNotice(ctx context.Context, n store.MirroredNotice, announcements []store.Announcement) (bool, int, error) {
	proofs, err := store.EncodeProofs(n.Proofs)
	if err != nil {
		return false, 0, err
	}
	args := []any{n.ID, n.Upstream, n.Kind, n.Document, proofs, encTime(n.Published), encTime(n.Received)}
	for _, a := range announcements {
		args = append(append(args, a.Package), activityArgs(a.Activity)...)
	}
	answer, err := s.run(ctx, mirrorNotice, args...).Slice()
	if err != nil {
		return false, 0, err
	}
	added, err := row(answer).int(0)
	if err != nil {
		return false, 0, err
	}
	queued, err := row(answer).int(1)
	return added == 1, int(queued), err
}

// updateMirrored replaces a mirrored notice's document and proofs: 1, or 0 if there is no such notice.
var updateMirrored = newScript(luaKeys, `
if redis.call('EXISTS', K.mirrored(ARGV[2])) == 0 then return 0 end
redis.call('HSET', K.mirrored(ARGV[2]), 'document', ARGV[3], 'proofs', ARGV[4])
return 1
`)

// UpdateMirrored implements store.Mirror.
func (s *Store) UpdateMirrored(ctx context.Context, id string, document []byte, proofs []notice.Proof) error {
	encoded, err := store.EncodeProofs(proofs)
	if err != nil {
		return err
	}
	n, err := s.run(ctx, updateMirrored, id, document, encoded).Int()
	if err == nil && n == 0 {
		err = fmt.Errorf("mirrored notice %s: %w", id, store.ErrNotFound)
	}
	return err
}

// mirrored is a mirrored notice and the order it was received in.
type mirrored struct {
	store.MirroredNotice
	seq int64
}

func readMirrored(id string, m map[string]string) (mirrored, error) {
	r := &record{what: "mirrored notice " + id, m: m}
	n := store.MirroredNotice{ID: id, Upstream: r.str("upstream"), Kind: r.str("kind"), Document: r.bytes("document"),
		Published: r.time("published"), Received: r.time("received")}
	seq := r.int("seq")
	if r.err != nil {
		return mirrored{}, r.err
	}
	var err error
	if n.Proofs, err = store.DecodeProofs([]byte(r.str("proofs"))); err != nil {
		return mirrored{}, fmt.Errorf("mirrored notice %s: %w", id, err)
	}
	return mirrored{n, seq}, nil
}

// MirroredNotice implements store.Mirror.
func (s *Store) MirroredNotice(ctx context.Context, id string) (store.MirroredNotice, error) {
	m, err := s.c.HGetAll(ctx, s.k.mirrored(id)).Result()
	if err != nil {
		return store.MirroredNotice{}, err
	}
	if len(m) == 0 {
		return store.MirroredNotice{}, fmt.Errorf("mirrored notice %s: %w", id, store.ErrNotFound)
	}
	n, err := readMirrored(id, m)
	return n.MirroredNotice, err
}

// MirroredNotices implements store.Mirror. The list is kept in the order received; it is sorted here
// by the time published (a sorted set cannot score nanoseconds exactly), ties staying in the order
// received.
func (s *Store) MirroredNotices(ctx context.Context, upstream string) ([]store.MirroredNotice, error) {
	ids, err := s.c.ZRange(ctx, s.k.mirroredOf(upstream), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	ms, err := s.hashes(ctx, mapStrings(ids, s.k.mirrored))
	if err != nil {
		return nil, err
	}
	list := make([]mirrored, 0, len(ids))
	for i, id := range ids {
		n, err := readMirrored(id, ms[i])
		if err != nil {
			return nil, err
		}
		list = append(list, n)
	}
	slices.SortFunc(list, func(a, b mirrored) int {
		return cmp.Or(a.Published.Compare(b.Published), cmp.Compare(a.seq, b.seq))
	})
	var out []store.MirroredNotice
	for _, n := range list {
		out = append(out, n.MirroredNotice)
	}
	return out, nil
}
