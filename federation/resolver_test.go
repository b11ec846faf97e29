package federation

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/federation/httpsign"
)

// memCache is an in-memory KeyCache.
type memCache struct {
	mu    sync.Mutex
	keys  map[string]RemoteKey
	puts  int
	reads int
}

func newMemCache() *memCache { return &memCache{keys: map[string]RemoteKey{}} }

func (c *memCache) CachedKey(_ context.Context, keyID string) (RemoteKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	k, ok := c.keys[keyID]
	if !ok {
		return RemoteKey{}, ErrKeyNotCached
	}
	return k, nil
}

func (c *memCache) CacheKey(_ context.Context, k RemoteKey) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys[k.KeyID] = k
	c.puts++
	return nil
}

// remote is a fediverse server on loopback that serves documents by path and counts requests.
type remote struct {
	*httptest.Server
	mu     sync.Mutex
	docs   map[string]string // path -> body; a body of "404"/"410"/"500" answers that status
	types  map[string]string // path -> Content-Type, when not ContentType
	hits   map[string]int
	keyIDs []string // the keyId of every request's Signature
}

func newRemote(t *testing.T) *remote {
	r := &remote{docs: map[string]string{}, types: map[string]string{}, hits: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.hits[req.URL.Path]++
		sig := req.Header.Get("Signature")
		if _, rest, ok := strings.Cut(sig, `keyId="`); ok {
			id, _, _ := strings.Cut(rest, `"`)
			r.keyIDs = append(r.keyIDs, id)
		}
		body, ok := r.docs[req.URL.Path]
		switch {
		case !ok || body == "404":
			http.NotFound(w, req)
		case body == "410":
			w.WriteHeader(http.StatusGone)
		case body == "500":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			ct, ok := r.types[req.URL.Path]
			if !ok {
				ct = ContentType
			}
			w.Header().Set("Content-Type", ct)
			w.Write([]byte(body))
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *remote) set(path string, doc any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := doc.(string); ok {
		r.docs[path] = s
		return
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	r.docs[path] = string(b)
}

// setTyped serves doc at path as contentType.
func (r *remote) setTyped(path, contentType string, doc any) {
	r.set(path, doc)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.types[path] = contentType
}

func (r *remote) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[path]
}

func (r *remote) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, h := range r.hits {
		n += h
	}
	return n
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func pubPEM(t *testing.T) string {
	t.Helper()
	s, err := PublicKeyPEM(&rsaKey(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mastodonActor(id, pem string) map[string]any {
	return map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                id,
		"type":              "Person",
		"preferredUsername": "alice",
		"inbox":             id + "/inbox",
		"outbox":            id + "/outbox",
		"endpoints":         map[string]any{"sharedInbox": id[:strings.Index(id, "/users/")] + "/inbox"},
		"publicKey":         map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": pem},
	}
}

func newTestResolver(t *testing.T, cache KeyCache, clock *fakeClock) *Resolver {
	client := NewClient(ClientOptions{AllowPrivate: true, Now: clock.Now})
	return NewResolver(client, cache, testSigner(t), clock.Now)
}

func TestResolverKeyMastodon(t *testing.T) {
	srv := newRemote(t)
	actor := srv.URL + "/users/alice"
	srv.set("/users/alice", mastodonActor(actor, pubPEM(t)))
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	cache := newMemCache()
	r := newTestResolver(t, cache, clock)
	ctx := context.Background()

	key, owner, err := r.Key(ctx, actor+"#main-key", false)
	if err != nil {
		t.Fatal(err)
	}
	if pub, ok := key.(*rsa.PublicKey); !ok || !pub.Equal(&rsaKey(t).PublicKey) {
		t.Errorf("key = %T, not the actor's", key)
	}
	if owner != actor {
		t.Errorf("owner = %q, want %q", owner, actor)
	}
	if got := srv.count("/users/alice"); got != 1 {
		t.Errorf("fetched the actor %d times, want 1", got)
	}
	if want := []string{base + "/actor#main-key"}; !reflect.DeepEqual(srv.keyIDs, want) {
		t.Errorf("fetches signed with %v, want %v", srv.keyIDs, want)
	}
	cached, err := cache.CachedKey(ctx, actor+"#main-key")
	if err != nil {
		t.Fatal(err)
	}
	if cached.Owner != actor || cached.PEM != pubPEM(t) || !cached.Fetched.Equal(clock.Now()) {
		t.Errorf("cached %+v", cached)
	}

	// From the cache: no request.
	_, owner, err = r.Key(ctx, actor+"#main-key", false)
	if err != nil || owner != actor {
		t.Fatalf("cached Key = %q, %v", owner, err)
	}
	if got := srv.total(); got != 1 {
		t.Errorf("%d requests after a cached lookup, want 1", got)
	}
}

func TestResolverKeyGoToSocial(t *testing.T) {
	tests := []struct {
		name string
		doc  func(actor, keyID, pem string) map[string]any
	}{
		{"key document", func(actor, keyID, pem string) map[string]any {
			return map[string]any{"id": keyID, "owner": actor, "publicKeyPem": pem}
		}},
		{"actor stub", func(actor, keyID, pem string) map[string]any {
			return map[string]any{
				"id": actor, "type": "Person", "preferredUsername": "bob",
				"publicKey": map[string]any{"id": keyID, "owner": actor, "publicKeyPem": pem},
			}
		}},
		{"key list", func(actor, keyID, pem string) map[string]any {
			return map[string]any{
				"id": actor, "type": "Person",
				"publicKey": []any{
					map[string]any{"id": actor + "/other-key", "owner": actor, "publicKeyPem": "nope"},
					map[string]any{"id": keyID, "publicKeyPem": pem},
				},
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRemote(t)
			actor := srv.URL + "/users/bob"
			keyID := actor + "/main-key"
			srv.set("/users/bob/main-key", tt.doc(actor, keyID, pubPEM(t)))
			srv.set("/users/bob", goToSocialActor(actor, keyID, pubPEM(t)))
			clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
			r := newTestResolver(t, newMemCache(), clock)
			key, owner, err := r.Key(context.Background(), keyID, false)
			if err != nil {
				t.Fatal(err)
			}
			if pub, ok := key.(*rsa.PublicKey); !ok || !pub.Equal(&rsaKey(t).PublicKey) {
				t.Errorf("key = %T, not bob's", key)
			}
			if owner != actor {
				t.Errorf("owner = %q, want %q", owner, actor)
			}
			if _, _, err := r.Key(context.Background(), keyID, false); err != nil {
				t.Fatal(err)
			}
			if key, actor := srv.count("/users/bob/main-key"), srv.count("/users/bob"); key != 1 || actor != 1 {
				t.Errorf("fetched the key %d times and its owner's actor %d times, want once each", key, actor)
			}
		})
	}
}

// goToSocialActor is an actor whose key lives at a URL of its own.
func goToSocialActor(id, keyID, pem string) map[string]any {
	return map[string]any{
		"id": id, "type": "Person", "preferredUsername": "bob", "inbox": id + "/inbox",
		"publicKey": map[string]any{"id": keyID, "owner": id, "publicKeyPem": pem},
	}
}

func TestResolverKeyRefreshIsRateLimited(t *testing.T) {
	srv := newRemote(t)
	actor := srv.URL + "/users/alice"
	keyID := actor + "#main-key"
	srv.set("/users/alice", mastodonActor(actor, pubPEM(t)))
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	r := newTestResolver(t, newMemCache(), clock)
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		refresh bool
		fetches int // total requests after the step
	}{
		{0, false, 1},               // not cached: fetch
		{0, false, 1},               // cached
		{0, true, 2},                // refresh: refetch
		{0, true, 2},                // again at once: from the cache
		{30 * time.Second, true, 2}, // 30 s later: still limited
		{29 * time.Second, true, 2}, // 59 s after the refresh
		{time.Second, true, 3},      // a minute after: refetch
		{0, true, 3},
		{0, false, 3},
		{2 * time.Minute, false, 3}, // no refresh asked: cache, while younger than KeyTTL
		{0, true, 4},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if _, _, err := r.Key(ctx, keyID, s.refresh); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := srv.total(); got != s.fetches {
			t.Errorf("step %d (refresh=%v, at %s): %d requests, want %d", i, s.refresh, clock.Now().Format(time.TimeOnly), got, s.fetches)
		}
	}
}

func TestResolverRefreshPicksUpNewKey(t *testing.T) {
	srv := newRemote(t)
	actor := srv.URL + "/users/alice"
	keyID := actor + "#main-key"
	oldPEM := pubPEM(t)
	srv.set("/users/alice", mastodonActor(actor, oldPEM))
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	cache := newMemCache()
	r := newTestResolver(t, cache, clock)
	if _, _, err := r.Key(context.Background(), keyID, false); err != nil {
		t.Fatal(err)
	}
	newKey := mustRSA(t)
	newPEM, _ := PublicKeyPEM(&newKey.PublicKey)
	srv.set("/users/alice", mastodonActor(actor, newPEM))
	key, _, err := r.Key(context.Background(), keyID, true)
	if err != nil {
		t.Fatal(err)
	}
	if !key.(*rsa.PublicKey).Equal(&newKey.PublicKey) {
		t.Error("refresh returned the old key")
	}
	if k, _ := cache.CachedKey(context.Background(), keyID); k.PEM != newPEM {
		t.Error("refresh did not replace the cached key")
	}
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, _, err := NewRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestResolverKeyRejects(t *testing.T) {
	srv := newRemote(t)
	pem := pubPEM(t)
	actor := srv.URL + "/users/eve"
	srv.set("/users/eve/main-key", map[string]any{"id": actor + "/main-key", "owner": "https://mastodon.example/users/alice", "publicKeyPem": pem})
	srv.set("/users/mallory", map[string]any{
		"id": srv.URL + "/users/mallory", "type": "Person", "inbox": srv.URL + "/users/mallory/inbox",
		"publicKey": map[string]any{"id": srv.URL + "/users/mallory#main-key", "owner": "https://victim.example/users/v", "publicKeyPem": pem},
	})
	srv.set("/users/nokey", map[string]any{"id": srv.URL + "/users/nokey", "type": "Person", "inbox": srv.URL + "/i"})
	srv.set("/users/otherkey", mastodonActor(srv.URL+"/users/otherkey", pem))
	srv.set("/users/badpem", mastodonActor(srv.URL+"/users/badpem", "not a pem"))
	srv.set("/users/html", "<html>hello</html>")
	srv.set("/users/gone", "410")
	srv.set("/users/broken", "500")
	srv.set("/users/noowner/main-key", map[string]any{"id": srv.URL + "/users/noowner/main-key", "publicKeyPem": pem})

	tests := []struct {
		keyID    string
		notFound bool // wraps httpsign.ErrKeyNotFound
		contains string
	}{
		{actor + "/main-key", false, "is on another origin"},
		{srv.URL + "/users/mallory#main-key", false, "is on another origin"},
		{srv.URL + "/users/noowner/main-key", false, "names no owner"},
		{srv.URL + "/users/nokey#main-key", false, "does not publish it"},
		{srv.URL + "/users/otherkey#second-key", false, "does not publish it"},
		{srv.URL + "/users/badpem#main-key", false, "no PEM block"},
		{srv.URL + "/users/html#main-key", false, "not JSON"},
		{srv.URL + "/users/missing#main-key", true, "404"},
		{srv.URL + "/users/gone#main-key", true, "410"},
		{srv.URL + "/users/broken#main-key", false, "500"},
	}
	cache := newMemCache()
	r := newTestResolver(t, cache, &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)})
	for _, tt := range tests {
		_, _, err := r.Key(context.Background(), tt.keyID, false)
		if err == nil {
			t.Errorf("Key(%s) = nil error", tt.keyID)
			continue
		}
		if got := errors.Is(err, httpsign.ErrKeyNotFound); got != tt.notFound {
			t.Errorf("Key(%s) = %v; errors.Is(ErrKeyNotFound) = %v, want %v", tt.keyID, err, got, tt.notFound)
		}
		if !strings.Contains(err.Error(), tt.contains) {
			t.Errorf("Key(%s) = %v, want it to mention %q", tt.keyID, err, tt.contains)
		}
	}
	for _, tt := range tests[:5] {
		if _, err := cache.CachedKey(context.Background(), tt.keyID); err == nil {
			t.Errorf("refused key %s was cached", tt.keyID)
		}
	}
}

// A key that cannot be parsed must not be cached: Key(refresh=false) would return the cached error on
// every later request without fetching again, and httpsign.Verify never asks for a refresh after a
// resolve error, so the signer's requests would get 503 for good even after it fixes its document.
func TestResolverDoesNotCacheUnusableKey(t *testing.T) {
	srv := newRemote(t)
	actor := srv.URL + "/users/alice"
	srv.set("/users/alice", mastodonActor(actor, "not a pem"))
	cache := newMemCache()
	r := newTestResolver(t, cache, &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)})
	if _, _, err := r.Key(context.Background(), actor+"#main-key", false); err == nil {
		t.Fatal("Key accepted 'not a pem'")
	}
	if _, err := cache.CachedKey(context.Background(), actor+"#main-key"); err == nil {
		t.Error("the unusable key was cached")
	}
	srv.set("/users/alice", mastodonActor(actor, pubPEM(t))) // the remote fixes its document
	if _, _, err := r.Key(context.Background(), actor+"#main-key", false); err != nil {
		t.Errorf("after the fix: %v (requests: %d)", err, srv.total())
	}
}

func TestResolverActor(t *testing.T) {
	srv := newRemote(t)
	alice := srv.URL + "/users/alice"
	srv.set("/users/alice", mastodonActor(alice, pubPEM(t)))
	srv.set("/users/liar", mastodonActor(srv.URL+"/users/alice", pubPEM(t)))
	srv.set("/users/note", map[string]any{"id": srv.URL + "/users/note", "type": "Note", "inbox": srv.URL + "/users/note/inbox"})
	srv.set("/users/tomb", map[string]any{"id": srv.URL + "/users/tomb", "type": "Tombstone"})
	srv.set("/users/noinbox", map[string]any{"id": srv.URL + "/users/noinbox", "type": "Person"})
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Now()})
	ctx := context.Background()

	a, err := r.Actor(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	want := RemoteActor{ID: alice, Type: "Person", Username: "alice", Inbox: alice + "/inbox", SharedInbox: srv.URL + "/inbox",
		Keys: []RemoteKey{{KeyID: alice + "#main-key", Owner: alice, PEM: pubPEM(t)}}}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("Actor = %+v\nwant %+v", a, want)
	}
	// A key id names its actor too.
	if a, err := r.Actor(ctx, alice+"#main-key"); err != nil || a.ID != alice {
		t.Errorf("Actor(key id) = %+v, %v", a, err)
	}
	for _, id := range []string{srv.URL + "/users/liar", srv.URL + "/users/note", srv.URL + "/users/tomb", srv.URL + "/users/noinbox", srv.URL + "/users/missing"} {
		if a, err := r.Actor(ctx, id); err == nil {
			t.Errorf("Actor(%s) = %+v, want an error", id, a)
		}
	}
	if _, err := r.Actor(ctx, srv.URL+"/users/liar"); err == nil || !strings.Contains(err.Error(), `document has id "`+alice+`"`) {
		t.Errorf("Actor(liar) error = %v", err)
	}
	if _, err := r.Actor(ctx, srv.URL+"/users/note"); err == nil || !strings.Contains(err.Error(), `type "Note" is not an actor type`) {
		t.Errorf("Actor(note) error = %v", err)
	}
}

// A document is only as good as the host it came from: a redirect to another host must not let that
// host speak for the first (Mastodon's CVE-2024-23832 was this).
func TestResolverRefusesCrossHostRedirect(t *testing.T) {
	evil := newRemote(t)
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+"/payload", http.StatusFound) // an open redirect on the victim's host
	}))
	defer victim.Close()
	alice := victim.URL + "/users/alice"
	evil.set("/payload", mastodonActor(alice, pubPEM(t)))
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Now()})
	if a, err := r.Actor(context.Background(), alice); err == nil {
		t.Errorf("Actor(%s) accepted a document from %s: %+v", alice, evil.URL, a)
	}
	if _, owner, err := r.Key(context.Background(), alice+"#main-key", false); err == nil {
		t.Errorf("Key accepted a key served by %s for owner %s", evil.URL, owner)
	}
}

func TestParseActor(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want RemoteActor
		err  string
	}{
		{"Mastodon person",
			`{"id":"https://m.example/users/a","type":"Person","preferredUsername":"a","inbox":"https://m.example/users/a/inbox","endpoints":{"sharedInbox":"https://m.example/inbox"},"publicKey":{"id":"https://m.example/users/a#main-key","owner":"https://m.example/users/a","publicKeyPem":"P"}}`,
			RemoteActor{ID: "https://m.example/users/a", Type: "Person", Username: "a", Inbox: "https://m.example/users/a/inbox", SharedInbox: "https://m.example/inbox",
				Keys: []RemoteKey{{KeyID: "https://m.example/users/a#main-key", Owner: "https://m.example/users/a", PEM: "P"}}}, ""},
		{"GoToSocial without sharedInbox",
			`{"id":"https://g.example/users/b","type":"Person","preferredUsername":"b","inbox":"https://g.example/users/b/inbox","publicKey":{"id":"https://g.example/users/b/main-key","owner":"https://g.example/users/b","publicKeyPem":"P"}}`,
			RemoteActor{ID: "https://g.example/users/b", Type: "Person", Username: "b", Inbox: "https://g.example/users/b/inbox",
				Keys: []RemoteKey{{KeyID: "https://g.example/users/b/main-key", Owner: "https://g.example/users/b", PEM: "P"}}}, ""},
		{"empty endpoints",
			`{"id":"https://g.example/u","type":"Service","inbox":"https://g.example/i","endpoints":{}}`,
			RemoteActor{ID: "https://g.example/u", Type: "Service", Inbox: "https://g.example/i", Keys: []RemoteKey{}}, ""},
		{"type array",
			`{"id":"https://a.example/u","type":["Application"],"inbox":"https://a.example/i"}`,
			RemoteActor{ID: "https://a.example/u", Type: "Application", Inbox: "https://a.example/i"}, ""},
		{"type array, first wins",
			`{"id":"https://a.example/u","type":["Group","Person"],"inbox":"https://a.example/i"}`,
			RemoteActor{ID: "https://a.example/u", Type: "Group", Inbox: "https://a.example/i"}, ""},
		{"Organization", `{"id":"https://a.example/u","type":"Organization","inbox":"https://a.example/i"}`,
			RemoteActor{ID: "https://a.example/u", Type: "Organization", Inbox: "https://a.example/i"}, ""},
		{"sharedInbox not a URL", `{"id":"https://a.example/u","type":"Person","inbox":"https://a.example/i","endpoints":{"sharedInbox":"javascript:x"}}`,
			RemoteActor{ID: "https://a.example/u", Type: "Person", Inbox: "https://a.example/i"}, ""},
		{"key list", `{"id":"https://a.example/u","type":"Person","inbox":"https://a.example/i","publicKey":[{"id":"k1","publicKeyPem":"P1"},{"id":"","publicKeyPem":"x"},{"id":"k2","owner":"o","publicKeyPem":"P2"}]}`,
			RemoteActor{ID: "https://a.example/u", Type: "Person", Inbox: "https://a.example/i",
				Keys: []RemoteKey{{KeyID: "k1", PEM: "P1"}, {KeyID: "k2", Owner: "o", PEM: "P2"}}}, ""},
		{"Note", `{"id":"https://a.example/n","type":"Note","inbox":"https://a.example/i"}`, RemoteActor{}, `type "Note" is not an actor type`},
		{"no type", `{"id":"https://a.example/u","inbox":"https://a.example/i"}`, RemoteActor{}, `type "" is not an actor type`},
		{"empty type array", `{"id":"https://a.example/u","type":[],"inbox":"https://a.example/i"}`, RemoteActor{}, `type "" is not an actor type`},
		{"no inbox", `{"id":"https://a.example/u","type":"Person"}`, RemoteActor{}, "actor has no http(s) id or inbox"},
		{"no id", `{"type":"Person","inbox":"https://a.example/i"}`, RemoteActor{}, "actor has no http(s) id or inbox"},
		{"relative inbox", `{"id":"https://a.example/u","type":"Person","inbox":"/inbox"}`, RemoteActor{}, "actor has no http(s) id or inbox"},
		{"not JSON", `<html>`, RemoteActor{}, "not a JSON actor document"},
		{"array", `[]`, RemoteActor{}, "not a JSON actor document"},
	}
	for _, tt := range tests {
		a, err := ParseActor([]byte(tt.doc))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: ParseActor = %+v, %v; want error %q", tt.name, a, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: ParseActor: %v", tt.name, err)
			continue
		}
		if a.ID != tt.want.ID || a.Type != tt.want.Type || a.Username != tt.want.Username || a.Inbox != tt.want.Inbox ||
			a.SharedInbox != tt.want.SharedInbox || len(a.Keys) != len(tt.want.Keys) || (len(a.Keys) > 0 && !reflect.DeepEqual(a.Keys, tt.want.Keys)) {
			t.Errorf("%s: ParseActor =\n %+v\nwant %+v", tt.name, a, tt.want)
		}
	}
}

func TestResolverRefreshLimitIsPerKey(t *testing.T) {
	srv := newRemote(t)
	alice, bob := srv.URL+"/users/alice", srv.URL+"/users/bob"
	srv.set("/users/alice", mastodonActor(alice, pubPEM(t)))
	srv.set("/users/bob", mastodonActor(bob, pubPEM(t)))
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	r := newTestResolver(t, newMemCache(), clock)
	ctx := context.Background()
	for _, id := range []string{alice, bob} {
		if _, _, err := r.Key(ctx, id+"#main-key", false); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := r.Key(ctx, alice+"#main-key", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Key(ctx, bob+"#main-key", true); err != nil {
		t.Fatal(err)
	}
	if a, b := srv.count("/users/alice"), srv.count("/users/bob"); a != 2 || b != 2 {
		t.Errorf("fetches: alice %d, bob %d; want 2 each (a refresh of one key must not hold back another)", a, b)
	}
}

// A Follow signed with a key not seen before needs the key and then its actor: within the request,
// the actor fetched to confirm the key serves, so the Follow costs one signed GET.
func TestResolverActorAfterKeyFetchesOnce(t *testing.T) {
	srv := newRemote(t)
	alice := srv.URL + "/users/alice"
	srv.set("/users/alice", mastodonActor(alice, pubPEM(t)))
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)})
	request := WithFetchedActors(context.Background())

	if _, _, err := r.Key(request, alice+"#main-key", false); err != nil {
		t.Fatal(err)
	}
	a, err := r.Actor(request, alice)
	if err != nil || a.ID != alice || a.Inbox != alice+"/inbox" {
		t.Fatalf("Actor = %+v, %v", a, err)
	}
	if got := srv.count("/users/alice"); got != 1 {
		t.Errorf("the key and then its actor, in one request: %d fetches, want 1", got)
	}
	// Another request reads the actor afresh, whatever the first fetched.
	if _, err := r.Actor(WithFetchedActors(context.Background()), alice); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Actor(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	if got := srv.count("/users/alice"); got != 3 {
		t.Errorf("two more requests: %d fetches in all, want 3", got)
	}
}
