package inbox

import (
	"context"
	"errors"

	"baton/federation"
	"baton/store"
)

// KeyCache keeps the resolver's remote keys in the store, so a restart does not refetch them all.
func KeyCache(st store.Remote) federation.KeyCache { return keyCache{st} }

type keyCache struct{ st store.Remote }

func (c keyCache) CachedKey(ctx context.Context, keyID string) (federation.RemoteKey, error) {
	k, err := c.st.RemoteKey(ctx, keyID)
	if errors.Is(err, store.ErrNotFound) {
		return federation.RemoteKey{}, federation.ErrKeyNotCached
	}
	return federation.RemoteKey(k), err
}

func (c keyCache) CacheKey(ctx context.Context, k federation.RemoteKey) error {
	return c.st.PutRemoteKey(ctx, store.RemoteKey(k))
}
