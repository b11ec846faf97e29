package federation

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	vocab "github.com/go-ap/activitypub"

	"baton/federation/proof"
	"baton/notice"
)

// What a distro instance needs to follow a project on another instance and judge its notices itself:
// the project's first maintainers and signing keys (its genesis), the stewards of its instance, and
// every key its people and the project sign with. A project actor publishes the first two in Baton's
// terms genesis and stewards (docs/federation.md); keys are assertionMethod Multikeys on each actor.

// StewardRef is a steward of an instance, since when: an audit of a past date counts only the
// stewards of that date.
type StewardRef struct {
	ID    string    `json:"id"`
	Since time.Time `json:"since"`
}

// genesisJSON is a project's genesis on the wire.
type genesisJSON struct {
	Since       time.Time       `json:"since"`
	Added       time.Time       `json:"added,omitzero"` // when the instance took the project on, if after since
	Maintainers []string        `json:"maintainers"`
	Keys        []signingKeyRef `json:"keys,omitempty"`
}

// signingKeyRef is a release-signing key on the wire, as statements write it.
type signingKeyRef struct {
	Fingerprint string `json:"fingerprint"`
	KeyType     string `json:"keyType"`
	Holder      string `json:"holder,omitempty"`
}

func genesisOnWire(g notice.Genesis) genesisJSON {
	out := genesisJSON{Since: g.Since.UTC(), Maintainers: g.Maintainers}
	if g.Added.After(g.Since) {
		out.Added = g.Added.UTC()
	}
	for _, k := range g.Keys {
		out.Keys = append(out.Keys, signingKeyRef{Fingerprint: k.Fingerprint, KeyType: string(k.Type), Holder: k.Holder})
	}
	if out.Maintainers == nil {
		out.Maintainers = []string{}
	}
	return out
}

func (g genesisJSON) genesis(project string) notice.Genesis {
	out := notice.Genesis{Project: project, Since: g.Since, Added: g.Added, Maintainers: g.Maintainers}
	for _, k := range g.Keys {
		out.Keys = append(out.Keys, notice.SigningKey{Fingerprint: k.Fingerprint, Type: notice.KeyType(k.KeyType), Holder: k.Holder})
	}
	return out
}

// AssertionKey is an Ed25519 key an actor lists in assertionMethod.
type AssertionKey struct {
	ID         string // the verification method: ACTOR#FRAGMENT
	Controller string
	Multibase  string
	Key        ed25519.PublicKey
	Revoked    time.Time // zero while in use
}

// assertionMethodJSON is one assertionMethod entry.
type assertionMethodJSON struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
	Revoked            string `json:"revoked"`
}

// parseAssertionKeys reads the Ed25519 Multikeys an actor controls; entries of other types, other
// controllers or unreadable keys are left out, not fatal: the actor may list keys Baton does not use.
func parseAssertionKeys(actorID string, raw json.RawMessage) []AssertionKey {
	var entries []json.RawMessage
	if json.Unmarshal(raw, &entries) != nil {
		entries = []json.RawMessage{raw}
	}
	var out []AssertionKey
	for _, entry := range entries {
		var m assertionMethodJSON
		if json.Unmarshal(entry, &m) != nil { // a key by reference, or of a shape Baton does not read
			continue
		}
		if m.Type != "Multikey" || m.Controller != actorID || stripFragment(m.ID) != actorID {
			continue
		}
		key, err := proof.DecodeMultikey(m.PublicKeyMultibase)
		if err != nil {
			continue
		}
		k := AssertionKey{ID: m.ID, Controller: m.Controller, Multibase: m.PublicKeyMultibase, Key: key}
		if m.Revoked != "" {
			if k.Revoked, err = time.Parse(time.RFC3339, m.Revoked); err != nil {
				continue // a revocation that cannot be read must not leave the key looking valid
			}
		}
		out = append(out, k)
	}
	return out
}

// UpstreamActor is a Baton project actor on another instance, as a distro follows it.
type UpstreamActor struct {
	RemoteActor
	Outbox   string
	Keys     []AssertionKey // the project's own keys, which sign its Notes
	Genesis  notice.Genesis
	Stewards []StewardRef
}

// ParseUpstreamActor reads a project actor document and what Baton publishes on it. An actor without
// a genesis is not a Baton project: there is nothing to fold its notices from.
func ParseUpstreamActor(body []byte) (UpstreamActor, error) {
	a, err := ParseActor(body)
	if err != nil {
		return UpstreamActor{}, err
	}
	var doc struct {
		Outbox          string          `json:"outbox"`
		AssertionMethod json.RawMessage `json:"assertionMethod"`
		Genesis         *genesisJSON    `json:"genesis"`
		Stewards        []StewardRef    `json:"stewards"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return UpstreamActor{}, err
	}
	if doc.Genesis == nil {
		return UpstreamActor{}, fmt.Errorf("actor %s is not a Baton project: it publishes no genesis", a.ID)
	}
	u := UpstreamActor{RemoteActor: a, Outbox: doc.Outbox, Keys: parseAssertionKeys(a.ID, doc.AssertionMethod),
		Genesis: doc.Genesis.genesis(a.Username), Stewards: doc.Stewards}
	if _, ok := u.ProofKey(); !ok {
		return UpstreamActor{}, fmt.Errorf("actor %s lists no Ed25519 key in use to sign its notices with", a.ID)
	}
	if !isHTTPURL(u.Outbox) || !sameOrigin(u.Outbox, a.ID) {
		return UpstreamActor{}, fmt.Errorf("actor %s has no outbox on its own host", a.ID)
	}
	if err := validGenesis(u.Genesis); err != nil {
		return UpstreamActor{}, fmt.Errorf("actor %s: its genesis: %w", a.ID, err)
	}
	return u, nil
}

// validGenesis checks a genesis as notice.Genesis.ValidateOpen does: a project whose instance has not
// named its maintainers yet has none, and is followed all the same.
func validGenesis(g notice.Genesis) error { return g.ValidateOpen() }

// ProofKey is the key a project signs its notices with: its #ed25519-key when listed and not revoked,
// else the first key in use. False when every key is revoked.
func (u UpstreamActor) ProofKey() (AssertionKey, bool) {
	var first *AssertionKey
	for i, k := range u.Keys {
		if !k.Revoked.IsZero() {
			continue
		}
		if strings.HasSuffix(k.ID, "#ed25519-key") {
			return k, true
		}
		if first == nil {
			first = &u.Keys[i]
		}
	}
	if first == nil {
		return AssertionKey{}, false
	}
	return *first, true
}

// Fetch GETs a document with a signed request and returns it; the URL that answered must be on
// rawURL's origin: a document speaks only for the origin it came from.
func (r *Resolver) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	body, from, err := r.client.Get(ctx, rawURL, Accept, r.signer)
	if err != nil {
		return nil, err
	}
	if !sameOrigin(rawURL, from) {
		return nil, fmt.Errorf("%s: served by %s, another origin", rawURL, from)
	}
	return body, nil
}

// UpstreamActor fetches a project actor on another instance. Its keys are trusted from the first
// fetch on, so it must come over HTTPS: plain HTTP only where private addresses are allowed (tests,
// local setups).
func (r *Resolver) UpstreamActor(ctx context.Context, id string) (UpstreamActor, error) {
	if strings.HasPrefix(id, "http://") && !r.client.allowPrivate {
		return UpstreamActor{}, fmt.Errorf("actor %s: an upstream is followed over https only", id)
	}
	body, err := r.Fetch(ctx, id)
	if err != nil {
		return UpstreamActor{}, fmt.Errorf("fetch actor %s: %w", id, err)
	}
	u, err := ParseUpstreamActor(body)
	if err != nil {
		return UpstreamActor{}, err
	}
	if u.ID != id {
		return UpstreamActor{}, fmt.Errorf("actor %s: document has id %q", id, u.ID)
	}
	return u, nil
}

// AssertionKeys fetches the Ed25519 keys an actor signs objects with, revoked ones included.
func (r *Resolver) AssertionKeys(ctx context.Context, actorID string) ([]AssertionKey, error) {
	p, err := r.RemotePerson(ctx, actorID)
	return p.Keys, err
}

// RemotePerson is a person on another instance as their own actor, served by their origin, says:
// the keys they sign statements with, and since when they are a steward of their instance (zero if
// they are not one).
type RemotePerson struct {
	ID           string
	Keys         []AssertionKey
	StewardSince time.Time
}

// RemotePerson fetches the actor actorID from its origin. A steward date that cannot be read makes
// no steward.
func (r *Resolver) RemotePerson(ctx context.Context, actorID string) (RemotePerson, error) {
	body, err := r.Fetch(ctx, actorID)
	if err != nil {
		return RemotePerson{}, fmt.Errorf("fetch actor %s: %w", actorID, err)
	}
	var doc struct {
		ID              string          `json:"id"`
		AssertionMethod json.RawMessage `json:"assertionMethod"`
		StewardSince    string          `json:"stewardSince"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.ID != actorID {
		return RemotePerson{}, fmt.Errorf("%s is not the actor document it should be", actorID)
	}
	p := RemotePerson{ID: actorID, Keys: parseAssertionKeys(actorID, doc.AssertionMethod)}
	if t, err := time.Parse(time.RFC3339, doc.StewardSince); err == nil {
		p.StewardSince = t.UTC()
	}
	return p, nil
}

// LookupHandle finds the actor id behind "name@host" (a leading @ and "acct:" are allowed) with
// WebFinger. An actor URL is returned as it is.
func (r *Resolver) LookupHandle(ctx context.Context, handle string) (string, error) {
	if isHTTPURL(handle) {
		return handle, nil
	}
	resource := "acct:" + strings.TrimPrefix(strings.TrimPrefix(handle, "acct:"), "@")
	name, host, err := ParseAcct(resource)
	if err != nil {
		return "", fmt.Errorf("%q is neither a handle (name@host) nor an actor URL", handle)
	}
	if id, ok := r.handles.get(name+"@"+host, r.now()); ok {
		return id, nil
	}
	wf := url.URL{Scheme: r.schemeFor(host), Host: host, Path: "/.well-known/webfinger",
		RawQuery: url.Values{"resource": {"acct:" + name + "@" + host}}.Encode()}
	body, err := r.Fetch(ctx, wf.String())
	if err != nil {
		return "", fmt.Errorf("webfinger %s@%s: %w", name, host, err)
	}
	var jrd WebFinger
	if err := json.Unmarshal(body, &jrd); err != nil {
		return "", fmt.Errorf("webfinger %s@%s: not a JRD document", name, host)
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && IsActivityMediaType(l.Type) && isHTTPURL(l.Href) {
			r.handles.put(name+"@"+host, l.Href, r.now())
			return l.Href, nil
		}
	}
	return "", fmt.Errorf("webfinger %s@%s: no ActivityPub actor among its links", name, host)
}

// handleCache remembers what WebFinger answered for a while: importing a watch list maps many packages
// to one upstream, and asking its instance once is enough.
type handleCache struct {
	mu      sync.Mutex
	entries map[string]handleEntry
}

type handleEntry struct {
	actor   string
	fetched time.Time
}

// The cache's bounds: answers are kept for handleTTL, and at most handleCacheSize of them.
const (
	handleTTL       = 10 * time.Minute
	handleCacheSize = 100_000
)

func (c *handleCache) get(handle string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[handle]
	if !ok || now.Sub(e.fetched) > handleTTL {
		return "", false
	}
	return e.actor, true
}

func (c *handleCache) put(handle, actor string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= handleCacheSize {
		c.entries = map[string]handleEntry{}
	}
	c.entries[handle] = handleEntry{actor: actor, fetched: now}
}

// schemeFor is https, as acct: addresses mean, except for a loopback or private address when private
// addresses are allowed: that is a test or a local setup, which serves plain HTTP.
func (r *Resolver) schemeFor(host string) string {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if addr, err := netip.ParseAddr(h); r.client.allowPrivate && (h == "localhost" || err == nil && IsPrivateAddress(addr)) {
		return "http"
	}
	return "https"
}

// CollectionPage is one page of an OrderedCollection (or the collection itself, with its first page).
type CollectionPage struct {
	Items []json.RawMessage
	First string // on a collection: its first page
	Next  string // on a page: the page after it
}

// ParseCollectionPage reads an OrderedCollection or one of its pages; first and next may be links or
// embedded pages (only their ids are kept).
func ParseCollectionPage(body []byte) (CollectionPage, error) {
	var doc struct {
		Type         json.RawMessage   `json:"type"`
		OrderedItems []json.RawMessage `json:"orderedItems"`
		Items        []json.RawMessage `json:"items"`
		First        json.RawMessage   `json:"first"`
		Next         json.RawMessage   `json:"next"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return CollectionPage{}, fmt.Errorf("collection: %w", err)
	}
	switch FirstType(doc.Type) {
	case "OrderedCollection", "OrderedCollectionPage", "Collection", "CollectionPage":
	default:
		return CollectionPage{}, errors.New("collection: not a collection")
	}
	items := doc.OrderedItems
	if items == nil {
		items = doc.Items
	}
	return CollectionPage{Items: items, First: ReferenceID(doc.First), Next: ReferenceID(doc.Next)}, nil
}

// FollowDocument is a Follow of a remote actor by a local one ("" is the instance actor).
func (u URLs) FollowDocument(actor, followID, object string) ([]byte, error) {
	follow := vocab.FollowNew(vocab.ID(followID), vocab.IRI(object))
	follow.Actor = vocab.IRI(u.actorOrInstance(actor))
	return document(follow, ActivityStreamsContext, map[string]any{"object": object, "to": []string{object}})
}

// UndoDocument takes back an activity a local actor sent, embedding it as it was sent.
func (u URLs) UndoDocument(actor, undoID string, activity json.RawMessage, to string) ([]byte, error) {
	if !json.Valid(activity) {
		return nil, errors.New("undo: the activity is not JSON")
	}
	undo := vocab.UndoNew(vocab.ID(undoID), nil)
	undo.Actor = vocab.IRI(u.actorOrInstance(actor))
	return document(undo, ActivityStreamsContext, map[string]any{"object": activity, "to": []string{to}})
}

// AnnounceDocument boosts another server's object to a local actor's followers, publicly. Only the
// object's id is sent: Mastodon refetches an announced object from its origin anyway, and the origin's
// copy is the one whose proofs count.
func (u URLs) AnnounceDocument(actor, announceID, object string, published time.Time) ([]byte, error) {
	announce := vocab.AnnounceNew(vocab.ID(announceID), vocab.IRI(object))
	announce.Actor = vocab.IRI(u.Actor(actor))
	announce.Published = published.UTC().Truncate(time.Second)
	to, cc := u.addressing(actor, true, nil)
	return document(announce, ActivityStreamsContext, map[string]any{"object": object, "to": to, "cc": cc})
}

// SameOrigin reports whether two URLs share scheme, host and port: a document speaks only for its own
// origin, and an http:// URL never stands for an https:// one.
func SameOrigin(a, b string) bool { return sameOrigin(a, b) }
