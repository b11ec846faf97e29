package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"baton/store"
)

// Seen implements store.Remote.
func (s *Store) Seen(ctx context.Context, activityID string) (bool, error) {
	err := s.c.ZScore(ctx, s.k.seen(), activityID).Err()
	if errors.Is(err, goredis.Nil) {
		return false, nil
	}
	return err == nil, err
}

// MarkSeen implements store.Remote. ZADD NX keeps the time of the first MarkSeen.
func (s *Store) MarkSeen(ctx context.Context, activityID string, now time.Time) error {
	return s.c.ZAddNX(ctx, s.k.seen(), goredis.Z{Score: float64(now.UnixMicro()), Member: activityID}).Err()
}

// UseOnce implements store.Remote with one ZADD NX into the seen set, which adds the id only when it
// is not there and counts what it added.
func (s *Store) UseOnce(ctx context.Context, id string, now time.Time) (bool, error) {
	added, err := s.c.ZAddNX(ctx, s.k.seen(), goredis.Z{Score: float64(now.UnixMicro()), Member: id}).Result()
	return added == 1, err
}

// ForgetSeen implements store.Remote. It compares microseconds: an id seen in the microsecond of
// before, but earlier, stays until the next call.
func (s *Store) ForgetSeen(ctx context.Context, before time.Time) (int, error) {
	n, err := s.c.ZRemRangeByScore(ctx, s.k.seen(), "-inf", "("+micros(before)).Result()
	return int(n), err
}

// RemoteKey implements store.Remote.
func (s *Store) RemoteKey(ctx context.Context, keyID string) (store.RemoteKey, error) {
	m, err := s.c.HGetAll(ctx, s.k.remoteKey(keyID)).Result()
	if err != nil {
		return store.RemoteKey{}, err
	}
	if len(m) == 0 {
		return store.RemoteKey{}, fmt.Errorf("remote key %s: %w", keyID, store.ErrNotFound)
	}
	r := &record{what: "remote key " + keyID, m: m}
	k := store.RemoteKey{KeyID: keyID, Owner: r.str("owner"), PEM: r.str("pem"), Fetched: r.time("fetched")}
	return k, r.err
}

// PutRemoteKey implements store.Remote: one HSET of every field replaces the older copy whole.
func (s *Store) PutRemoteKey(ctx context.Context, k store.RemoteKey) error {
	return s.c.HSet(ctx, s.k.remoteKey(k.KeyID), "owner", k.Owner, "pem", k.PEM, "fetched", encTime(k.Fetched)).Err()
}
