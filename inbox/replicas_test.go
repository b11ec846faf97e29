package inbox_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"baton/federation"
	"baton/federation/httpsign"
	"baton/inbox"
	"baton/internal/redistest"
	"baton/store"
	redisstore "baton/store/redis"
)

// Two replicas on one Redis each hold a remote actor's key in memory. The actor rotates its key:
// a Create signed with the new one is accepted by either replica (the verification that fails with
// the key in memory refetches it, or finds it refetched in Redis), and after that one signed with the
// old key is refused by both.
func TestReplicasHealAfterKeyRotation(t *testing.T) {
	srv, err := redistest.Start(false)
	srv = redistest.Require(t, srv, err)
	t.Cleanup(srv.Stop)
	st, err := redisstore.Open(context.Background(), srv.URL(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	urls, err := federation.NewURLs(base)
	if err != nil {
		t.Fatal(err)
	}
	_, projectPEM, err := federation.NewRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateActor(context.Background(), store.Actor{Name: "xz", Kind: store.KindProject, RSAKeyPEM: projectPEM,
		Ed25519Seed: make([]byte, ed25519.SeedSize), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}

	remote := newRotatingActor(t)
	replicas := make([]http.Handler, 2)
	for i := range replicas {
		client := federation.NewClient(federation.ClientOptions{AllowPrivate: true})
		resolver := federation.NewResolver(client, inbox.KeyCache(st), federation.Signer{KeyID: urls.MainKey(""), Key: instanceKey()}, nil)
		replicas[i] = inbox.New(inbox.Options{Store: st, URLs: urls, Resolver: resolver, Log: slog.New(slog.DiscardHandler)}).Handler()
	}
	post := func(replica int, key *rsa.PrivateKey, id string) int {
		body, _ := json.Marshal(map[string]any{
			"@context": federation.ActivityStreamsContext, "id": remote.id + "/statuses/" + id + "/activity", "type": "Create",
			"actor": remote.id, "to": []string{federation.Public},
			"object": map[string]any{"id": remote.id + "/statuses/" + id, "type": "Note", "attributedTo": remote.id, "content": "hello"},
		})
		out, _ := http.NewRequest(http.MethodPost, urls.SharedInbox(), bytes.NewReader(body))
		out.Header.Set("Content-Type", federation.ContentType)
		if err := httpsign.Sign(out, body, remote.id+"#main-key", key, time.Now()); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, urls.SharedInbox(), bytes.NewReader(body))
		req.Header = out.Header.Clone()
		req.Header.Del("Host")
		w := httptest.NewRecorder()
		replicas[replica].ServeHTTP(w, req)
		return w.Code
	}

	oldKey := remote.key()
	for i := range replicas {
		if code := post(i, oldKey, fmt.Sprintf("before-%d", i)); code != http.StatusAccepted {
			t.Fatalf("replica %d, before the rotation: %d", i, code)
		}
	}
	newKey := remote.rotate(t)
	for i := range replicas {
		if code := post(i, newKey, fmt.Sprintf("after-%d", i)); code != http.StatusAccepted {
			t.Errorf("replica %d, signed with the new key: %d, want 202", i, code)
		}
	}
	for i := range replicas {
		if code := post(i, oldKey, fmt.Sprintf("old-%d", i)); code != http.StatusUnauthorized {
			t.Errorf("replica %d, signed with the old key after the rotation: %d, want 401", i, code)
		}
	}
}

// rotatingActor is a remote actor on loopback whose key can be replaced.
type rotatingActor struct {
	id   string
	mu   sync.Mutex
	priv *rsa.PrivateKey
}

func newRotatingActor(t *testing.T) *rotatingActor {
	a := &rotatingActor{}
	a.rotate(t)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pem, err := federation.PublicKeyPEM(a.key().Public())
		if err != nil || r.URL.Path != "/users/alice" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", federation.ContentType)
		json.NewEncoder(w).Encode(map[string]any{
			"@context": []string{federation.ActivityStreamsContext, "https://w3id.org/security/v1"},
			"id":       a.id, "type": "Person", "preferredUsername": "alice", "inbox": a.id + "/inbox",
			"publicKey": map[string]string{"id": a.id + "#main-key", "owner": a.id, "publicKeyPem": pem},
		})
	}))
	t.Cleanup(server.Close)
	a.id = server.URL + "/users/alice"
	return a
}

func (a *rotatingActor) key() *rsa.PrivateKey {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.priv
}

// rotate replaces the actor's key and returns the new one.
func (a *rotatingActor) rotate(t *testing.T) *rsa.PrivateKey {
	k, _, err := federation.NewRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.priv = k
	return k
}
