package federation

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"net/http"
	"testing"
	"time"

	"baton/federation/httpsign"
)

// A cached key is read from the cache once, and from memory after, until KeyRecheck has passed; then it
// is read from the cache again, and not fetched.
func TestResolverKeyFromMemory(t *testing.T) {
	srv, keyID, clock, cache, r := aliceResolver(t)
	ctx := context.Background()
	first, _, err := r.Key(ctx, keyID, false) // fetched, cached, held
	if err != nil {
		t.Fatal(err)
	}
	reads := cache.reads
	for range 5 {
		clock.Advance(KeyRecheck / 10)
		key, owner, err := r.Key(ctx, keyID, false)
		if err != nil || owner != srv.URL+"/users/alice" || key != first {
			t.Fatalf("Key from memory = %v, %s, %v", key, owner, err)
		}
	}
	if cache.reads != reads {
		t.Errorf("the cache was read %d times for a key held in memory", cache.reads-reads)
	}
	clock.Advance(KeyRecheck)
	if _, _, err := r.Key(ctx, keyID, false); err != nil {
		t.Fatal(err)
	}
	if cache.reads != reads+1 {
		t.Errorf("after KeyRecheck the cache was read %d times, want 1", cache.reads-reads)
	}
	if srv.total() != 1 {
		t.Errorf("%d fetches, want 1", srv.total())
	}
	clock.Advance(KeyTTL) // older than KeyTTL: fetched again, though held in memory
	if _, _, err := r.Key(ctx, keyID, false); err != nil {
		t.Fatal(err)
	}
	if srv.total() != 2 {
		t.Errorf("a key older than KeyTTL: %d fetches, want 2", srv.total())
	}
}

// Two replicas share one store. The actor rotates its key; the first replica refetches it; the second
// holds the old key in memory and has just used its refetch. A request signed with the new key still
// verifies on the second at once: the verification that fails with the key in memory rereads the
// store, and the new key replaces the old in memory.
func TestResolverMemoryHealsAfterRotation(t *testing.T) {
	srv := newRemote(t)
	alice := srv.URL + "/users/alice"
	keyID := alice + "#main-key"
	oldKey, newKey := mustRSA(t), mustRSA(t)
	oldPEM, _ := PublicKeyPEM(&oldKey.PublicKey)
	newPEM, _ := PublicKeyPEM(&newKey.PublicKey)
	srv.set("/users/alice", mastodonActor(alice, oldPEM))
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	shared := newMemCache()
	one, two := newTestResolver(t, shared, clock), newTestResolver(t, shared, clock)
	ctx := context.Background()
	for _, r := range []*Resolver{one, two} {
		if _, err := httpsign.Verify(ctx, signedPost(t, srv.URL, keyID, oldKey, clock.Now()), postBody, clock.Now(), r.Key); err != nil {
			t.Fatalf("before the rotation: %v", err)
		}
	}
	if _, _, err := two.Key(ctx, keyID, true); err != nil { // the second's refetch is used up for a minute
		t.Fatal(err)
	}

	srv.set("/users/alice", mastodonActor(alice, newPEM))
	clock.Advance(time.Second)
	if _, _, err := one.Key(ctx, keyID, true); err != nil {
		t.Fatal(err)
	}
	fetches := srv.total()
	if key, _, _ := two.Key(ctx, keyID, false); !key.(*rsa.PublicKey).Equal(&oldKey.PublicKey) {
		t.Fatal("the second replica does not hold the old key; the test tests nothing")
	}
	req := signedPost(t, srv.URL, keyID, newKey, clock.Now())
	if _, err := httpsign.Verify(ctx, req, postBody, clock.Now(), two.Key); err != nil {
		t.Fatalf("a request signed with the new key, on the replica holding the old one: %v", err)
	}
	if srv.total() != fetches {
		t.Errorf("the second replica fetched the key (%d requests): it should have read the store", srv.total()-fetches)
	}
	if key, _, _ := two.Key(ctx, keyID, false); !key.(*rsa.PublicKey).Equal(&newKey.PublicKey) {
		t.Error("the new key did not replace the old one in memory")
	}
	if _, err := httpsign.Verify(ctx, signedPost(t, srv.URL, keyID, oldKey, clock.Now()), postBody, clock.Now(), two.Key); err == nil {
		t.Error("a request signed with the old key still verifies")
	}
}

// A key the resolver refetches replaces the one in memory, in memory and in the cache.
func TestResolverRefetchReplacesKeyInMemory(t *testing.T) {
	srv, keyID, _, cache, r := aliceResolver(t)
	ctx := context.Background()
	if _, _, err := r.Key(ctx, keyID, false); err != nil {
		t.Fatal(err)
	}
	newKey := mustRSA(t)
	newPEM, _ := PublicKeyPEM(&newKey.PublicKey)
	srv.set("/users/alice", mastodonActor(srv.URL+"/users/alice", newPEM))
	if _, _, err := r.Key(ctx, keyID, true); err != nil {
		t.Fatal(err)
	}
	reads := cache.reads
	key, _, err := r.Key(ctx, keyID, false)
	if err != nil || !key.(*rsa.PublicKey).Equal(&newKey.PublicKey) {
		t.Errorf("after a refetch, Key = %v, %v; want the new key", key, err)
	}
	if cache.reads != reads {
		t.Error("the refetched key was not held in memory")
	}
}

// The keys held in memory never exceed their bound, however many actors sign, and the newest key is
// always held.
func TestResolverKeysInMemoryBounded(t *testing.T) {
	srv := newRemote(t)
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	r := newTestResolver(t, newMemCache(), clock)
	const bound = 20
	r.keys = newKeyMemo(bound)
	ctx := context.Background()
	pem := pubPEM(t)
	for i := range 3 * bound {
		actor := fmt.Sprintf("%s/users/a%d", srv.URL, i)
		srv.set(fmt.Sprintf("/users/a%d", i), mastodonActor(actor, pem))
		if _, _, err := r.Key(ctx, actor+"#main-key", false); err != nil {
			t.Fatal(err)
		}
		if n := r.keys.size(); n > bound {
			t.Fatalf("after %d actors, %d keys in memory; the bound is %d", i+1, n, bound)
		}
		if _, ok := r.keys.fresh(actor+"#main-key", clock.Now()); !ok {
			t.Fatalf("the key just used (actor %d) is not in memory", i)
		}
	}
	if n := r.keys.size(); n < bound/2 {
		t.Errorf("only %d keys in memory: forgetting took more than needed", n)
	}
	if MaxKeysInMemory != 10000 {
		t.Errorf("MaxKeysInMemory = %d; the docs say 10,000", MaxKeysInMemory)
	}
}

var postBody = []byte(`{"type":"Create"}`)

// signedPost is a POST to the remote's inbox signed with key under keyID, as a server receives it.
func signedPost(t *testing.T, base, keyID string, key *rsa.PrivateKey, now time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/inbox", bytes.NewReader(postBody))
	if err != nil {
		t.Fatal(err)
	}
	if err := httpsign.Sign(req, postBody, keyID, key, now); err != nil {
		t.Fatal(err)
	}
	return req
}

// aliceResolver is a resolver with an empty cache, and a remote server serving alice's actor and key.
func aliceResolver(t *testing.T) (srv *remote, keyID string, clock *fakeClock, cache *memCache, r *Resolver) {
	srv = newRemote(t)
	alice := srv.URL + "/users/alice"
	srv.set("/users/alice", mastodonActor(alice, pubPEM(t)))
	clock = &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	cache = newMemCache()
	return srv, alice + "#main-key", clock, cache, newTestResolver(t, cache, clock)
}
