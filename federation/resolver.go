package federation

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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

// KeyTTL is how long a fetched key is used before it is fetched again. A day, as Mastodon counts a
// remote account as possibly stale after a day: a key its actor retired or replaced stops being
// accepted within a day even when nobody tells this instance, and a busy sender costs one fetch a day.
const KeyTTL = 24 * time.Hour

// staleFetched is the fetch time a key is cached with once its actor is deleted: older than any
// KeyTTL, so the next request signed with it fetches it again, and within the range every store
// keeps (the zero time is not: its Unix nanoseconds overflow).
var staleFetched = time.Unix(0, 0).UTC()

// The kinds of KeyError. A key that does not exist (its document, or its owner's actor, answers 404
// or 410) is of kind httpsign.ErrKeyNotFound, which Verify answers with 401 and the sender stops
// retrying.
var (
	// ErrKeyUnavailable: the key or its owner's actor could not be fetched now (network, timeout,
	// the remote's other answers, ErrFetchCapacity, the cache). The sender should try again later: 503.
	ErrKeyUnavailable = errors.New("could not fetch the key; try again later")
	// ErrKeyRefused: the key was fetched and cannot be trusted: not served as ActivityPub, over plain
	// http, from another origin, not listed by its owner's actor, or unreadable. Trying again will not
	// help: 401.
	ErrKeyRefused = errors.New("the key is refused: it must be served as ActivityPub over https and listed by its owner's actor")
)

// KeyError is why Key returned no key. Error tells all, for the log; Reason tells only the kind, in
// words safe for whoever sent the request: no internal host or port, no remote's answer.
// errors.Is matches its Kind and its cause; errors.As finds a *StatusError or *ContentTypeError in it.
type KeyError struct {
	KeyID string
	Kind  error // ErrKeyUnavailable, httpsign.ErrKeyNotFound or ErrKeyRefused
	Err   error // the cause
}

func (e *KeyError) Error() string {
	what := "could not be fetched"
	switch e.Kind {
	case httpsign.ErrKeyNotFound:
		what = "does not exist"
	case ErrKeyRefused:
		what = "refused"
	}
	return fmt.Sprintf("key %s %s: %v", e.KeyID, what, e.Err)
}

func (e *KeyError) Unwrap() []error { return []error{e.Kind, e.Err} }

// Reason is what the sender of a request signed with the key may be told.
func (e *KeyError) Reason() string {
	if e.Kind == httpsign.ErrKeyNotFound {
		return "the key does not exist"
	}
	return e.Kind.Error()
}

// Temporary reports whether the same request may succeed later.
func (e *KeyError) Temporary() bool { return e.Kind == ErrKeyUnavailable }

// refusedError marks an error about a document that was fetched but cannot be used: it is not the
// document asked for, not of its kind, from another origin, or unreadable. Fetching it again will
// not help.
type refusedError struct{ error }

func (e refusedError) Unwrap() error { return e.error }

func refused(format string, args ...any) error { return refusedError{fmt.Errorf(format, args...)} }

// keyErrorKind sorts why a key could not be had: 404 and 410 say it does not exist; a document
// refused for what it is (its type, scheme, size, address or contents) stays refused; anything else
// (network, timeout, the remote's other statuses, the fetch capacity) may pass later.
func keyErrorKind(err error) error {
	var status *StatusError
	var ctype *ContentTypeError
	var bad refusedError
	switch {
	case errors.As(err, &status) && (status.Status == http.StatusNotFound || status.Status == http.StatusGone):
		return httpsign.ErrKeyNotFound
	case errors.As(err, &bad), errors.As(err, &ctype), errors.Is(err, ErrPlainHTTP), errors.Is(err, ErrPrivateAddress),
		errors.Is(err, ErrResponseTooLarge), errors.Is(err, ErrNotHTTPURL):
		return ErrKeyRefused
	}
	return ErrKeyUnavailable
}

func keyError(keyID string, err error) *KeyError {
	return &KeyError{KeyID: keyID, Kind: keyErrorKind(err), Err: err}
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
	keys    *keyMemo    // parsed keys, in front of cache
}

// refreshInterval is how soon a key may be refetched again.
const refreshInterval = time.Minute

// NewResolver makes a Resolver.
func NewResolver(client *Client, cache KeyCache, signer Signer, now func() time.Time) *Resolver {
	if now == nil {
		now = time.Now
	}
	return &Resolver{client: client, cache: cache, signer: signer, now: now, lastRefresh: map[string]time.Time{},
		keys: newKeyMemo(MaxKeysInMemory)}
}

// Actor fetches the actor document at id. Its id must be the URL fetched, served from that URL's
// origin: an actor cannot speak for another URL. Within a request handled with a context from
// WithFetchedActors, an actor fetched to confirm the request's key is not fetched again.
func (r *Resolver) Actor(ctx context.Context, id string) (RemoteActor, error) {
	if a, ok := fetchedActors(ctx).get(stripFragment(id)); ok {
		return a, nil
	}
	body, from, err := r.client.Get(ctx, stripFragment(id), Accept, r.signer)
	if err != nil {
		return RemoteActor{}, fmt.Errorf("fetch actor %s: %w", id, err)
	}
	return actorFrom(id, body, from)
}

// actorFrom reads the actor document fetched for id from the URL that answered.
func actorFrom(id string, body []byte, from string) (RemoteActor, error) {
	a, err := ParseActor(body)
	if err != nil {
		return RemoteActor{}, refused("actor %s: %w", id, err)
	}
	if a.ID != stripFragment(id) {
		return RemoteActor{}, refused("actor %s: document has id %q", id, a.ID)
	}
	if !sameOrigin(a.ID, from) {
		return RemoteActor{}, refused("actor %s: served by %s, another origin", id, from)
	}
	return a, nil
}

// Key returns the public key keyID names and the actor that owns it, from the cache while it is
// younger than KeyTTL and refresh is not set (with refresh, it refetches, rate-limited). Parsed keys
// are held in memory and read from the cache again after KeyRecheck, or at once with refresh. It has
// the shape of httpsign.KeyResolver; its errors are *KeyError.
func (r *Resolver) Key(ctx context.Context, keyID string, refresh bool) (crypto.PublicKey, string, error) {
	if !refresh {
		if k, ok := r.keys.fresh(keyID, r.now()); ok {
			return k.pub, k.Owner, nil
		}
	}
	k, ok, err := r.cachedKey(ctx, keyID, refresh)
	if err != nil {
		return nil, "", err
	}
	if ok {
		if pub, err := r.keys.parsed(k); err == nil {
			r.keys.put(k, pub, r.now())
			return pub, k.Owner, nil
		}
	}
	k, pub, err := r.fetchKey(ctx, keyID)
	if err != nil {
		return nil, "", err // not cached: the next request fetches again, and may find it fixed
	}
	if err := r.cache.CacheKey(ctx, k); err != nil {
		return nil, "", &KeyError{KeyID: keyID, Kind: ErrKeyUnavailable, Err: err}
	}
	r.keys.put(k, pub, r.now())
	return pub, k.Owner, nil
}

// cachedKey returns the cached copy of keyID, and whether it may be used: not when it is older than
// KeyTTL, nor when refresh asks for a fresh one and the key was not refreshed in the last
// refreshInterval.
func (r *Resolver) cachedKey(ctx context.Context, keyID string, refresh bool) (RemoteKey, bool, error) {
	if refresh && r.mayRefresh(keyID) {
		return RemoteKey{}, false, nil
	}
	k, err := r.cache.CachedKey(ctx, keyID)
	if errors.Is(err, ErrKeyNotCached) {
		return RemoteKey{}, false, nil
	}
	if err != nil {
		return RemoteKey{}, false, &KeyError{KeyID: keyID, Kind: ErrKeyUnavailable, Err: err}
	}
	return k, r.now().Sub(k.Fetched) < KeyTTL, nil
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

// ForgetActor marks the cached keys of a deleted actor stale, so that the next request signed with one
// fetches it again, and finds it gone. The cache is read by key id, so the keys marked are those given
// (the key that signed the Delete) and those at the ids servers give their actors' keys: ACTOR#main-key
// (Mastodon and most others), ACTOR/main-key (GoToSocial) and the actor's own id. Any other key of
// the actor is fetched again at the latest KeyTTL after it was last fetched.
func (r *Resolver) ForgetActor(ctx context.Context, actorID string, keyIDs ...string) error {
	actorID = stripFragment(actorID)
	ids := append([]string{actorID + "#main-key", actorID + "/main-key", actorID}, keyIDs...)
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if err := r.markStale(ctx, actorID, id); err != nil {
			return fmt.Errorf("forget the keys of %s: %w", actorID, err)
		}
	}
	return nil
}

// markStale marks keyID stale if it is cached as owned by actorID: one actor's Delete says nothing
// of another's keys.
func (r *Resolver) markStale(ctx context.Context, actorID, keyID string) error {
	k, err := r.cache.CachedKey(ctx, keyID)
	switch {
	case errors.Is(err, ErrKeyNotCached):
		return nil
	case err != nil:
		return err
	case k.Owner != actorID:
		return nil
	}
	k.Fetched = staleFetched
	if err := r.cache.CacheKey(ctx, k); err != nil {
		return err
	}
	r.keys.forget(keyID)
	return nil
}

// fetchKey fetches the document keyID points at, an actor with the key in publicKey (Mastodon's
// ACTOR#main-key) or a document of its own (GoToSocial's ACTOR/main-key), and confirms the key with
// its owner's actor. A key document only names an owner, and anyone able to place a file on the
// owner's host could write one: only the owner's actor says which keys are its own. The two fetches
// share one FetchTimeout, so that a verification stays well inside an inbox request's time.
func (r *Resolver) fetchKey(ctx context.Context, keyID string) (RemoteKey, crypto.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	docURL := stripFragment(keyID)
	body, from, err := r.client.Get(ctx, docURL, Accept, r.signer)
	if err != nil {
		return RemoteKey{}, nil, keyError(keyID, err)
	}
	owner, err := keyOwner(keyID, body, from)
	if err != nil {
		return RemoteKey{}, nil, keyError(keyID, err)
	}
	var actor RemoteActor
	if owner == docURL { // the key lives in its owner's actor, fetched already
		actor, err = actorFrom(owner, body, from)
	} else {
		actor, err = r.Actor(ctx, owner)
	}
	if err != nil {
		return RemoteKey{}, nil, keyError(keyID, fmt.Errorf("its owner: %w", err))
	}
	k, pub, err := confirmKey(actor, keyID)
	if err != nil {
		return RemoteKey{}, nil, keyError(keyID, err)
	}
	k.Fetched = r.now()
	fetchedActors(ctx).put(actor)
	return k, pub, nil
}

// WithFetchedActors returns ctx carrying a note of the actors fetched to confirm keys while one
// request is handled: when the request then needs its actor (a Follow records the follower's inboxes),
// the document fetched moments before serves, and a Follow signed with a key not seen before costs one
// signed GET, not two. Nothing carries over to another request.
func WithFetchedActors(ctx context.Context) context.Context {
	return context.WithValue(ctx, fetchedActorsKey{}, &actorNote{})
}

type fetchedActorsKey struct{}

// actorNote holds the actors fetched while one request is handled; a nil one holds nothing.
type actorNote struct {
	mu     sync.Mutex
	actors map[string]RemoteActor
}

func fetchedActors(ctx context.Context) *actorNote {
	n, _ := ctx.Value(fetchedActorsKey{}).(*actorNote)
	return n
}

func (n *actorNote) put(a RemoteActor) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.actors == nil {
		n.actors = map[string]RemoteActor{}
	}
	n.actors[a.ID] = a
}

func (n *actorNote) get(id string) (RemoteActor, bool) {
	if n == nil {
		return RemoteActor{}, false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	a, ok := n.actors[id]
	return a, ok
}

// keyOwner reads which actor the document fetched for keyID says owns it. Owner and key must share
// one origin, the one that served the document: otherwise any server could publish a key "owned" by
// someone else's actor, or answer for it after a redirect, and an http:// key could speak for an
// https:// actor.
func keyOwner(keyID string, body []byte, from string) (string, error) {
	if !sameOrigin(keyID, from) {
		return "", refused("served by %s, another origin", from)
	}
	k, err := findKey(body, keyID)
	if err != nil {
		return "", refusedError{err}
	}
	if k.Owner == "" {
		return "", refused("its document names no owner")
	}
	if !sameOrigin(keyID, k.Owner) {
		return "", refused("owner %s is on another origin", k.Owner)
	}
	return stripFragment(k.Owner), nil
}

// confirmKey finds keyID among the keys actor lists (publicKey, one or a list), and reads it.
func confirmKey(actor RemoteActor, keyID string) (RemoteKey, crypto.PublicKey, error) {
	i := slices.IndexFunc(actor.Keys, func(k RemoteKey) bool { return k.KeyID == keyID })
	if i < 0 {
		return RemoteKey{}, nil, refused("its owner's actor %s does not list it", actor.ID)
	}
	listed := actor.Keys[i]
	if listed.Owner != "" && listed.Owner != actor.ID {
		return RemoteKey{}, nil, refused("its owner's actor %s lists it as owned by %s", actor.ID, listed.Owner)
	}
	pub, err := ParsePublicKeyPEM(listed.PEM)
	if err != nil {
		return RemoteKey{}, nil, refusedError{err}
	}
	return RemoteKey{KeyID: keyID, Owner: actor.ID, PEM: listed.PEM}, pub, nil
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
		return RemoteKey{}, fmt.Errorf("document is not JSON: %w", err)
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
	return RemoteKey{}, errors.New("the document at its URL does not publish it")
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

// IsHTTPURL reports whether s is an http(s) URL with a host.
func IsHTTPURL(s string) bool { return isHTTPURL(s) }

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// sameOrigin reports whether two URLs share scheme, host and port (the default port counting as given):
// a document speaks only for its own origin, and an http:// one never for an https:// one.
func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Hostname() != "" && strings.EqualFold(ua.Scheme, ub.Scheme) &&
		strings.EqualFold(ua.Hostname(), ub.Hostname()) && port(ua) == port(ub)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

func stripFragment(s string) string {
	before, _, _ := strings.Cut(s, "#")
	return before
}
