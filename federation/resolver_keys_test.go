package federation

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/federation/httpsign"
)

// A key is its owner's only when the owner's actor lists it: a JSON file anyone can place on the
// owner's host names an owner, and is not taken at its word.
func TestResolverKeyOwnerMustListKey(t *testing.T) {
	srv := newRemote(t)
	alice := srv.URL + "/users/alice"
	srv.set("/users/alice", mastodonActor(alice, pubPEM(t))) // lists #main-key only
	forged, _ := PublicKeyPEM(&mustRSA(t).PublicKey)
	keyFile := func(id string) map[string]any {
		return map[string]any{"id": id, "owner": alice, "publicKeyPem": forged}
	}
	srv.setTyped("/uploads/key.txt", "text/plain; charset=utf-8", keyFile(srv.URL+"/uploads/key.txt"))
	srv.setTyped("/uploads/key.json", "application/json", keyFile(srv.URL+"/uploads/key.json"))
	srv.set("/uploads/key.ap", keyFile(srv.URL+"/uploads/key.ap"))
	srv.set("/users/alice/main-key", keyFile(alice+"/main-key"))
	// A key list on the owner's own document must name the owner, if it names one.
	srv.set("/users/two", map[string]any{"id": srv.URL + "/users/two", "type": "Person", "inbox": srv.URL + "/users/two/inbox",
		"publicKey": []any{map[string]any{"id": srv.URL + "/users/two#main-key", "owner": alice, "publicKeyPem": forged}}})

	three := srv.URL + "/users/three"
	srv.set("/users/three/main-key", map[string]any{"id": three + "/main-key", "owner": three, "publicKeyPem": forged})
	srv.set("/users/three", map[string]any{"id": three, "type": "Person", "inbox": three + "/inbox",
		"publicKey": map[string]any{"id": three + "/main-key", "owner": alice, "publicKeyPem": forged}})

	tests := []struct {
		keyID, contains string
	}{
		{three + "/main-key", "lists it as owned by " + alice},
		{srv.URL + "/uploads/key.txt", `content type "text/plain; charset=utf-8"`},
		{srv.URL + "/uploads/key.json", `content type "application/json"`},
		{srv.URL + "/uploads/key.ap", "does not list it"},
		{alice + "/main-key", "does not list it"},
		{srv.URL + "/users/two#main-key", "does not list it"}, // it names alice, who does not list it
	}
	cache := newMemCache()
	r := newTestResolver(t, cache, &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)})
	for _, tt := range tests {
		_, owner, err := r.Key(context.Background(), tt.keyID, false)
		if err == nil {
			t.Errorf("Key(%s) took the key as %s's", tt.keyID, owner)
			continue
		}
		if !errors.Is(err, ErrKeyRefused) || errors.Is(err, ErrKeyUnavailable) || errors.Is(err, httpsign.ErrKeyNotFound) {
			t.Errorf("Key(%s) = %v, want ErrKeyRefused alone", tt.keyID, err)
		}
		if !strings.Contains(err.Error(), tt.contains) {
			t.Errorf("Key(%s) = %v, want it to mention %s", tt.keyID, err, tt.contains)
		}
		if _, err := cache.CachedKey(context.Background(), tt.keyID); err == nil {
			t.Errorf("refused key %s was cached", tt.keyID)
		}
	}
}

// The owner's actor confirms the key (GoToSocial's keys live at URLs of their own), served as
// ld+json with any profile, and its key is the one taken.
func TestResolverKeyConfirmedByOwner(t *testing.T) {
	srv := newRemote(t)
	carol := srv.URL + "/users/carol"
	keyID := carol + "/main-key"
	srv.setTyped("/users/carol/main-key", LDContentType, map[string]any{"id": keyID, "owner": carol, "publicKeyPem": pubPEM(t)})
	srv.setTyped("/users/carol", "application/ld+json", goToSocialActor(carol, keyID, pubPEM(t)))
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)})
	key, owner, err := r.Key(context.Background(), keyID, false)
	if err != nil {
		t.Fatal(err)
	}
	if owner != carol || !key.(*rsa.PublicKey).Equal(&rsaKey(t).PublicKey) {
		t.Errorf("Key = %T of %s", key, owner)
	}
}

// Owner and key are compared by origin: an http:// key document cannot name an https:// owner on
// the same host, as an attacker on the path would answer it.
func TestResolverKeyOriginDowngrade(t *testing.T) {
	srv := newRemote(t)
	keyID := srv.URL + "/users/eve/main-key"
	secureOwner := "https://" + strings.TrimPrefix(srv.URL, "http://") + "/users/eve"
	srv.set("/users/eve/main-key", map[string]any{"id": keyID, "owner": secureOwner, "publicKeyPem": pubPEM(t)})
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Now()})
	_, owner, err := r.Key(context.Background(), keyID, false)
	if err == nil {
		t.Fatalf("an http:// key was taken as %s's", owner)
	}
	if !errors.Is(err, ErrKeyRefused) || !strings.Contains(err.Error(), "is on another origin") {
		t.Errorf("Key = %v, want a refusal: the owner is on another origin", err)
	}

	// Without private addresses allowed, an http:// key is not even fetched.
	strict := NewResolver(NewClient(ClientOptions{}), newMemCache(), testSigner(t), nil)
	_, _, err = strict.Key(context.Background(), "http://mastodon.example/users/a#main-key", false)
	if !errors.Is(err, ErrPlainHTTP) || !errors.Is(err, ErrKeyRefused) {
		t.Errorf("Key(http://…) = %v, want ErrPlainHTTP, refused", err)
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://a.example/users/x#main-key", "https://a.example/users/x", true},
		{"https://A.example/x", "https://a.EXAMPLE/y", true},
		{"https://a.example/x", "https://a.example:443/y", true},
		{"http://a.example:80/x", "http://a.example/y", true},
		{"HTTPS://a.example/x", "https://a.example/y", true},
		{"http://a.example/x", "https://a.example/y", false},
		{"https://a.example/x", "http://a.example:443/y", false},
		{"https://a.example/x", "https://a.example:8443/y", false},
		{"https://a.example/x", "https://b.example/x", false},
		{"https://a.example/x", "https://evil@a.example/x", true}, // userinfo is not the origin
		{"https://[::1]/x", "https://[::1]:443/y", true},
		{"/relative", "/relative", false},
		{"", "", false},
		{"https://a.example/x", "", false},
		{"%zz", "https://a.example/", false},
	}
	for _, tt := range tests {
		if got := sameOrigin(tt.a, tt.b); got != tt.want {
			t.Errorf("sameOrigin(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// A cached key is used for KeyTTL, then fetched again: a key its actor retired stops being accepted.
func TestResolverKeyTTL(t *testing.T) {
	srv := newRemote(t)
	alice := srv.URL + "/users/alice"
	srv.set("/users/alice", mastodonActor(alice, pubPEM(t)))
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	r := newTestResolver(t, newMemCache(), clock)
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		fetches int
	}{
		{0, 1},
		{KeyTTL - time.Second, 1},
		{time.Second, 2}, // a day old: fetched again
		{KeyTTL / 2, 2},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if _, _, err := r.Key(ctx, alice+"#main-key", false); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := srv.total(); got != s.fetches {
			t.Errorf("step %d: %d fetches, want %d", i, got, s.fetches)
		}
	}
	srv.set("/users/alice", "410") // the actor is gone, and nobody told this instance
	clock.Advance(KeyTTL)
	if _, _, err := r.Key(ctx, alice+"#main-key", false); !errors.Is(err, httpsign.ErrKeyNotFound) {
		t.Errorf("a day after its actor was deleted, Key = %v, want ErrKeyNotFound", err)
	}
	if KeyTTL != 24*time.Hour {
		t.Errorf("KeyTTL = %s", KeyTTL)
	}
}

// ForgetActor makes the next request signed with a deleted actor's key fetch it again, and find it
// gone; it leaves other actors' keys alone.
func TestResolverForgetActor(t *testing.T) {
	srv := newRemote(t)
	alice, bob := srv.URL+"/users/alice", srv.URL+"/users/bob"
	srv.set("/users/alice", mastodonActor(alice, pubPEM(t)))
	other := mastodonActor(alice, pubPEM(t))
	other["publicKey"] = []any{other["publicKey"], map[string]any{"id": alice + "#second-key", "owner": alice, "publicKeyPem": pubPEM(t)}}
	srv.set("/users/alice", other)
	srv.set("/users/bob", mastodonActor(bob, pubPEM(t)))
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	cache := newMemCache()
	r := newTestResolver(t, cache, clock)
	ctx := context.Background()
	for _, id := range []string{alice + "#main-key", alice + "#second-key", bob + "#main-key"} {
		if _, _, err := r.Key(ctx, id, false); err != nil {
			t.Fatal(err)
		}
	}
	srv.set("/users/alice", "410")
	before := srv.total()
	// The key that signed the Delete is given; bob's key is given too, and must stay: it is not alice's.
	if err := r.ForgetActor(ctx, alice, alice+"#second-key", bob+"#main-key"); err != nil {
		t.Fatal(err)
	}
	if srv.total() != before {
		t.Error("ForgetActor fetched something")
	}
	for _, id := range []string{alice + "#main-key", alice + "#second-key"} {
		if _, _, err := r.Key(ctx, id, false); !errors.Is(err, httpsign.ErrKeyNotFound) {
			t.Errorf("Key(%s) after ForgetActor = %v, want ErrKeyNotFound", id, err)
		}
	}
	before = srv.total()
	if _, owner, err := r.Key(ctx, bob+"#main-key", false); err != nil || owner != bob {
		t.Errorf("bob's key after alice was forgotten: %s, %v", owner, err)
	}
	if srv.total() != before {
		t.Error("bob's key was fetched again")
	}
	// A stale key is kept in a form every store keeps: a time in range, older than any TTL.
	if k, _ := cache.CachedKey(ctx, alice+"#main-key"); k.Fetched.IsZero() || clock.Now().Sub(k.Fetched) < KeyTTL {
		t.Errorf("alice's key is cached as fetched at %s", k.Fetched)
	}
	if err := r.ForgetActor(ctx, srv.URL+"/users/nobody"); err != nil {
		t.Errorf("ForgetActor of an actor with no cached key: %v", err)
	}
}

// Key's errors say which of three things happened, for the inbox to answer: could not fetch now
// (503, try later), does not exist (401, stop), refused (401). The cause is kept for the log, and the
// reason told to the sender names no host, port or remote answer.
func TestResolverKeyErrorKinds(t *testing.T) {
	srv := newRemote(t)
	srv.set("/users/gone", "410")
	srv.set("/users/broken", "500")
	srv.set("/users/orphan/main-key", map[string]any{"id": srv.URL + "/users/orphan/main-key", "owner": srv.URL + "/users/orphan", "publicKeyPem": pubPEM(t)})
	srv.set("/users/orphan", "404")
	srv.setTyped("/users/text", "text/plain", mastodonActor(srv.URL+"/users/text", pubPEM(t)))
	srv.set("/users/nokey", map[string]any{"id": srv.URL + "/users/nokey", "type": "Person", "inbox": srv.URL + "/i"})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/users/x#main-key"
	closed.Close()

	tests := []struct {
		keyID string
		kind  error
	}{
		{srv.URL + "/users/missing#main-key", httpsign.ErrKeyNotFound},
		{srv.URL + "/users/gone#main-key", httpsign.ErrKeyNotFound},
		{srv.URL + "/users/orphan/main-key", httpsign.ErrKeyNotFound},
		{srv.URL + "/users/broken#main-key", ErrKeyUnavailable},
		{closedURL, ErrKeyUnavailable},
		{srv.URL + "/users/text#main-key", ErrKeyRefused},
		{srv.URL + "/users/nokey#main-key", ErrKeyRefused},
	}
	kinds := []error{httpsign.ErrKeyNotFound, ErrKeyUnavailable, ErrKeyRefused}
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Now()})
	for _, tt := range tests {
		_, _, err := r.Key(context.Background(), tt.keyID, false)
		var ke *KeyError
		if !errors.As(err, &ke) {
			t.Errorf("Key(%s) = %v, want a *KeyError", tt.keyID, err)
			continue
		}
		for _, k := range kinds {
			if errors.Is(err, k) != (k == tt.kind) {
				t.Errorf("Key(%s) = %v; errors.Is(%v) = %v", tt.keyID, err, k, !(k == tt.kind))
			}
		}
		if ke.Temporary() != (tt.kind == ErrKeyUnavailable) {
			t.Errorf("Key(%s): Temporary() = %v", tt.keyID, ke.Temporary())
		}
		host := strings.TrimPrefix(srv.URL, "http://")
		if reason := ke.Reason(); strings.Contains(reason, "127.0.0.1") || strings.Contains(reason, host) || strings.Contains(reason, "answered") {
			t.Errorf("Key(%s): reason %q tells internals", tt.keyID, reason)
		}
		if ke.Err == nil || !strings.Contains(err.Error(), ke.Err.Error()) {
			t.Errorf("Key(%s): %q does not keep its cause", tt.keyID, err)
		}
	}
	// The causes stay reachable.
	if _, _, err := r.Key(context.Background(), srv.URL+"/users/broken#main-key", false); !errors.As(err, new(*StatusError)) {
		t.Errorf("a 500: %v, want a *StatusError inside", err)
	}
	if _, _, err := r.Key(context.Background(), srv.URL+"/users/text#main-key", false); !errors.As(err, new(*ContentTypeError)) {
		t.Errorf("text/plain: %v, want a *ContentTypeError inside", err)
	}
}

// Two hundred requests signed with one key on a slow server make one fetch, not two hundred.
func TestResolverCoalescesKeyFetches(t *testing.T) {
	var actorURL string
	srv := newBlockingServer(t, func(string) string { return mustJSON(t, mastodonActor(actorURL, pubPEM(t))) })
	actorURL = srv.URL + "/users/alice"
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Now()})
	const requests = 200
	var started, done sync.WaitGroup
	errs := make(chan error, requests)
	for range requests {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			_, _, err := r.Key(context.Background(), actorURL+"#main-key", false)
			errs <- err
		}()
	}
	started.Wait()
	time.Sleep(300 * time.Millisecond)
	srv.open()
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d requests with one key made %d fetches, want 1", requests, n)
	}
}

// Requests whose keys all point at one slow server tie up MaxFetchesPerHost fetches; the rest are told
// at once that the key could not be fetched, which the inbox answers with 503.
func TestResolverKeyFetchCapacity(t *testing.T) {
	srv := newBlockingServer(t, func(path string) string { return `{}` })
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Now()})
	r.client.slotWait = 50 * time.Millisecond
	const requests = 40
	errs := make(chan error, requests)
	for i := range requests {
		go func() {
			_, _, err := r.Key(context.Background(), srv.URL+"/users/"+string(rune('a'+i%26))+strings.Repeat("x", i/26)+"#main-key", false)
			errs <- err
		}()
	}
	for range requests - MaxFetchesPerHost {
		err := <-errs
		if !errors.Is(err, ErrFetchCapacity) || !errors.Is(err, ErrKeyUnavailable) {
			t.Errorf("past the cap: %v, want ErrFetchCapacity, unavailable", err)
		}
	}
	srv.open()
	for range MaxFetchesPerHost {
		<-errs
	}
	if most := srv.most.Load(); most > MaxFetchesPerHost {
		t.Errorf("%d fetches at once to one host", most)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
