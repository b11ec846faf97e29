package federation

import (
	"crypto"
	"sync"
	"time"
)

// MaxKeysInMemory bounds the parsed keys a Resolver holds in memory in front of its KeyCache. An
// RSA-2048 key with its PEM and ids takes about 1 KB, so the bound is about 10 MB. Past it, a tenth of
// the keys are forgotten at once, chosen arbitrarily: a key forgotten is read from the KeyCache again
// when next used, which costs a read and a parse, nothing else.
const MaxKeysInMemory = 10000

// KeyRecheck is how long a key read from the KeyCache is used from memory before it is read from the
// KeyCache again. Instances sharing a store (several replicas over one Redis) see within it a key
// that another one refetched or marked stale (a rotated key, a deleted actor); a key that fails to
// verify a signature is reread, or refetched, at once (Key with refresh).
const KeyRecheck = time.Minute

// keyMemo is the Resolver's parsed keys, by key id: reading a key from the store and parsing its PEM
// on every request cost more than verifying the signature.
type keyMemo struct {
	mu   sync.Mutex
	keys map[string]memoKey
	max  int
}

// memoKey is a key as last read from the KeyCache (or fetched and cached), parsed.
type memoKey struct {
	RemoteKey
	pub  crypto.PublicKey
	read time.Time // when it was read from the KeyCache or fetched
}

func newKeyMemo(max int) *keyMemo { return &keyMemo{keys: map[string]memoKey{}, max: max} }

// fresh returns keyID's key when it was read less than KeyRecheck before now and was fetched less
// than KeyTTL before now.
func (m *keyMemo) fresh(keyID string, now time.Time) (memoKey, bool) {
	m.mu.Lock()
	k, ok := m.keys[keyID]
	m.mu.Unlock()
	if !ok || now.Sub(k.read) >= KeyRecheck || now.Sub(k.Fetched) >= KeyTTL {
		return memoKey{}, false
	}
	return k, true
}

// parsed returns k's public key, parsing its PEM only when the copy in memory has another PEM.
func (m *keyMemo) parsed(k RemoteKey) (crypto.PublicKey, error) {
	m.mu.Lock()
	held, ok := m.keys[k.KeyID]
	m.mu.Unlock()
	if ok && held.PEM == k.PEM {
		return held.pub, nil
	}
	return ParsePublicKeyPEM(k.PEM)
}

// put keeps k, parsed as pub, as read at now; it replaces any copy of the same key id.
func (m *keyMemo) put(k RemoteKey, pub crypto.PublicKey, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[k.KeyID]; !ok && len(m.keys) >= m.max {
		m.forgetSome()
	}
	m.keys[k.KeyID] = memoKey{RemoteKey: k, pub: pub, read: now}
}

// forgetSome forgets a tenth of the keys (at least one), in the map's arbitrary order.
func (m *keyMemo) forgetSome() {
	n := max(1, m.max/10)
	for id := range m.keys {
		if n == 0 {
			return
		}
		delete(m.keys, id)
		n--
	}
}

// forget drops keyID, so that its next use reads the KeyCache.
func (m *keyMemo) forget(keyID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, keyID)
}

// size is how many keys are held.
func (m *keyMemo) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}
