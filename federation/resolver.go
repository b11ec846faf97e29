package federation

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"baton/federation/httpsign"
)

// RemoteActor is what Baton needs of a remote actor: where to deliver, and its keys.
type RemoteActor struct {
	ID          string
	Type        string
	Username    string
	Inbox       string
	SharedInbox string
	Keys        []RemoteKey
}

// RemoteKey is a public key published by a remote actor.
type RemoteKey struct {
	KeyID   string
	Owner   string
	PEM     string
	Fetched time.Time
}

// ErrKeyNotCached is what a KeyCache returns for a key it does not have.
var ErrKeyNotCached = errors.New("key not cached")

// KeyCache keeps remote keys between requests (the store, in a running instance).
type KeyCache interface {
	CachedKey(ctx context.Context, keyID string) (RemoteKey, error)
	CacheKey(ctx context.Context, k RemoteKey) error
}

// Resolver fetches remote actors and keys with signed GETs, and caches keys.
type Resolver struct {
	client *Client
	cache  KeyCache
	signer Signer // the instance actor: GoToSocial and secure-mode Mastodon answer 401 to unsigned GETs
	now    func() time.Time

	// A verification that fails with a cached key refetches it, at most once per refreshInterval per
	// key, so a stream of forged requests cannot make Baton hammer a remote server.
	mu          sync.Mutex
	lastRefresh map[string]time.Time

	handles handleCache // WebFinger answers
}

// refreshInterval is how soon a key may be refetched again.
const refreshInterval = time.Minute

// NewResolver makes a Resolver.
func NewResolver(client *Client, cache KeyCache, signer Signer, now func() time.Time) *Resolver {
	if now == nil {
		now = time.Now
	}
	return &Resolver{client: client, cache: cache, signer: signer, now: now, lastRefresh: map[string]time.Time{}}
}

// Actor fetches the actor document at id. Its id must be the URL fetched: an actor cannot speak for
// another URL.
func (r *Resolver) Actor(ctx context.Context, id string) (RemoteActor, error) {
	body, from, err := r.client.Get(ctx, stripFragment(id), Accept, r.signer)
	if err != nil {
		return RemoteActor{}, fmt.Errorf("fetch actor %s: %w", id, err)
	}
	a, err := ParseActor(body)
	if err != nil {
		return RemoteActor{}, fmt.Errorf("actor %s: %w", id, err)
	}
	if a.ID != stripFragment(id) {
		return RemoteActor{}, fmt.Errorf("actor %s: document has id %q", id, a.ID)
	}
	if !sameHost(a.ID, from) {
		return RemoteActor{}, fmt.Errorf("actor %s: served by %s, another host", id, from)
	}
	return a, nil
}

// Key returns the public key keyID names and the actor that owns it, from the cache unless refresh is
// set (then it refetches, rate-limited). It has the shape of httpsign.KeyResolver.
func (r *Resolver) Key(ctx context.Context, keyID string, refresh bool) (crypto.PublicKey, string, error) {
	if !refresh || !r.mayRefresh(keyID) {
		k, err := r.cache.CachedKey(ctx, keyID)
		if err == nil {
			return parseRemoteKey(k)
		}
		if !errors.Is(err, ErrKeyNotCached) {
			return nil, "", err
		}
	}
	k, err := r.fetchKey(ctx, keyID)
	if err != nil {
		return nil, "", err
	}
	pub, owner, err := parseRemoteKey(k)
	if err != nil {
		return nil, "", err // not cached: the next request fetches again, and may find it fixed
	}
	if err := r.cache.CacheKey(ctx, k); err != nil {
		return nil, "", err
	}
	return pub, owner, nil
}

func (r *Resolver) mayRefresh(keyID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if last, ok := r.lastRefresh[keyID]; ok && now.Sub(last) < refreshInterval {
		return false
	}
	r.lastRefresh[keyID] = now
	if len(r.lastRefresh) > 10000 { // forget old entries rather than grow without bound
		for id, t := range r.lastRefresh {
			if now.Sub(t) >= refreshInterval {
				delete(r.lastRefresh, id)
			}
		}
	}
	return true
}

func parseRemoteKey(k RemoteKey) (crypto.PublicKey, string, error) {
	pub, err := ParsePublicKeyPEM(k.PEM)
	if err != nil {
		return nil, "", fmt.Errorf("key %s: %w", k.KeyID, err)
	}
	return pub, k.Owner, nil
}

// fetchKey fetches the document keyID points at: an actor with the key in publicKey (Mastodon's
// ACTOR#main-key) or a key document of its own (GoToSocial's ACTOR/main-key).
func (r *Resolver) fetchKey(ctx context.Context, keyID string) (RemoteKey, error) {
	body, from, err := r.client.Get(ctx, stripFragment(keyID), Accept, r.signer)
	var status *StatusError
	if errors.As(err, &status) && (status.Status == http.StatusNotFound || status.Status == http.StatusGone) {
		return RemoteKey{}, fmt.Errorf("fetch key %s: %w (%w)", keyID, httpsign.ErrKeyNotFound, err)
	}
	if err != nil {
		return RemoteKey{}, fmt.Errorf("fetch key %s: %w", keyID, err)
	}
	k, err := findKey(body, keyID)
	if err != nil {
		return RemoteKey{}, err
	}
	// A key speaks for its owner only when both live on the host that served it; otherwise any
	// server could publish a key "owned" by someone else's actor, or answer for it after a redirect.
	if !sameHost(k.KeyID, k.Owner) {
		return RemoteKey{}, fmt.Errorf("key %s: owner %s is on another host", keyID, k.Owner)
	}
	if !sameHost(k.KeyID, from) {
		return RemoteKey{}, fmt.Errorf("key %s: served by %s, another host", keyID, from)
	}
	k.Fetched = r.now()
	return k, nil
}

// findKey looks for keyID in a fetched document.
func findKey(body []byte, keyID string) (RemoteKey, error) {
	var doc struct {
		ID           string          `json:"id"`
		Owner        string          `json:"owner"`
		PublicKeyPem string          `json:"publicKeyPem"`
		PublicKey    json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return RemoteKey{}, fmt.Errorf("key %s: document is not JSON: %w", keyID, err)
	}
	if doc.PublicKeyPem != "" && doc.ID == keyID {
		return RemoteKey{KeyID: keyID, Owner: doc.Owner, PEM: doc.PublicKeyPem}, nil
	}
	for _, k := range parsePublicKeys(doc.PublicKey) {
		if k.KeyID == keyID {
			if k.Owner == "" {
				k.Owner = doc.ID
			}
			return k, nil
		}
	}
	return RemoteKey{}, fmt.Errorf("key %s: the document at its URL does not publish it", keyID)
}

// publicKeyJSON is one entry of publicKey.
type publicKeyJSON struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// parsePublicKeys reads publicKey, which is an object or an array of them.
func parsePublicKeys(raw json.RawMessage) []RemoteKey {
	var list []publicKeyJSON
	if err := json.Unmarshal(raw, &list); err != nil {
		var one publicKeyJSON
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		list = []publicKeyJSON{one}
	}
	out := make([]RemoteKey, 0, len(list))
	for _, k := range list {
		if k.ID != "" && k.PublicKeyPem != "" {
			out = append(out, RemoteKey{KeyID: k.ID, Owner: k.Owner, PEM: k.PublicKeyPem})
		}
	}
	return out
}

// ParseActor reads a remote actor document. Only what delivery and verification need is kept.
func ParseActor(body []byte) (RemoteActor, error) {
	var doc struct {
		ID                string          `json:"id"`
		Type              json.RawMessage `json:"type"`
		PreferredUsername string          `json:"preferredUsername"`
		Inbox             string          `json:"inbox"`
		Endpoints         struct {
			SharedInbox string `json:"sharedInbox"`
		} `json:"endpoints"`
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return RemoteActor{}, fmt.Errorf("not a JSON actor document: %w", err)
	}
	a := RemoteActor{ID: doc.ID, Type: FirstType(doc.Type), Username: doc.PreferredUsername, Inbox: doc.Inbox,
		SharedInbox: doc.Endpoints.SharedInbox, Keys: parsePublicKeys(doc.PublicKey)}
	switch a.Type {
	case "Application", "Group", "Organization", "Person", "Service":
	default:
		return RemoteActor{}, fmt.Errorf("type %q is not an actor type", a.Type)
	}
	if !isHTTPURL(a.ID) || !isHTTPURL(a.Inbox) {
		return RemoteActor{}, errors.New("actor has no http(s) id or inbox")
	}
	if a.SharedInbox != "" && !isHTTPURL(a.SharedInbox) {
		a.SharedInbox = ""
	}
	return a, nil
}

// FirstType reads an ActivityStreams type, which is a string or an array of strings: the first one.
func FirstType(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		return list[0]
	}
	return ""
}

// ReferenceID reads a reference to an object: its id, given as a string or as an embedded object.
func ReferenceID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.ID
	}
	return ""
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}

func stripFragment(s string) string {
	before, _, _ := strings.Cut(s, "#")
	return before
}
