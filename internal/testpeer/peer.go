// Package testpeer is a fediverse server in miniature for tests: a real HTTP server on loopback that
// behaves towards Baton as Mastodon or GoToSocial do (shared/INTEROP.md). It serves actor documents and
// WebFinger, follows, unfollows and deletes its actors, and verifies every request it receives on its own,
// with github.com/go-fed/httpsig, github.com/gowebpki/jcs and github.com/mr-tron/base58 directly and none
// of Baton's code: a test that passes against it shows Baton speaks the protocol, not that Baton agrees
// with itself.
//
// Each Peer is one host (one httptest.Server) with its own RSA-2048 key per actor. Everything it receives
// is recorded: Received lists the verified inbox deliveries, Failures the refused ones, Fetches the GETs
// of its documents. It can be told to fail deliveries (FailNext) or to answer slowly (SetDelay).
package testpeer

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Dialect is the server a Peer imitates.
type Dialect int

// The dialects a Peer speaks (INTEROP.md).
const (
	// Mastodon: keyId ACTOR#main-key, a shared inbox, POSTs signed with rsa-sha256 over
	// "(request-target) host date digest content-type", Follow and Undo sent to the target's own inbox,
	// documents served to unsigned GETs.
	Mastodon Dialect = iota + 1
	// GoToSocial: keyId ACTOR/main-key (a document of its own), no shared inbox, every GET signed with
	// hs2019 over "(request-target) host date", POSTs over "(request-target) host date digest" with the
	// ld+json content type, Follow and Undo sent to the target's shared inbox when it has one; its actor
	// documents answer 401 to unsigned GETs.
	GoToSocial
)

func (d Dialect) String() string {
	switch d {
	case Mastodon:
		return "Mastodon"
	case GoToSocial:
		return "GoToSocial"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// Media types.
const (
	ActivityJSON = "application/activity+json"
	LDJSON       = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	JRDJSON      = "application/jrd+json"
	// Public is the ActivityStreams Public collection.
	Public    = "https://www.w3.org/ns/activitystreams#Public"
	asContext = "https://www.w3.org/ns/activitystreams"
)

// accept is what each dialect sends when it fetches an ActivityPub document.
func (d Dialect) accept() string {
	if d == GoToSocial {
		return LDJSON + ",application/activity+json"
	}
	return "application/activity+json, application/ld+json"
}

// contentType is what each dialect sends its POSTs with.
func (d Dialect) contentType() string {
	if d == GoToSocial {
		return LDJSON
	}
	return ActivityJSON
}

// Actor is one account on a Peer.
type Actor struct {
	Name  string
	ID    string // URL/users/NAME
	KeyID string // ID#main-key (Mastodon) or ID/main-key (GoToSocial)
	Inbox string // ID/inbox
	key   *rsa.PrivateKey
	pem   string
}

// Peer is a fediverse server in miniature. Its methods are safe for concurrent use.
type Peer struct {
	Dialect Dialect
	URL     string // http://127.0.0.1:PORT, no trailing slash
	Host    string // 127.0.0.1:PORT

	srv    *httptest.Server
	client *http.Client
	now    func() time.Time
	order  []string // actor names, in the order given; the first signs the peer's fetches

	mu         sync.Mutex
	actors     map[string]*Actor
	deleted    map[string]bool
	received   []Delivery
	failures   []Delivery
	refused    []Delivery // deliveries answered with an injected failure
	fetches    []Fetch
	attempts   int
	abandoned  int
	failStatus int
	failLeft   int
	delay      time.Duration
	keys       map[string]cachedKey
	follows    map[string]*Follow
	onReceive  func(*Peer, Delivery)
	keepKeys   bool
	unchecked  bool
}

type cachedKey struct {
	key   *rsa.PublicKey
	owner string
}

// New starts a Peer speaking dialect with one actor per name (at least one), on a loopback port; it is
// closed when the test ends.
func New(t testing.TB, dialect Dialect, names ...string) *Peer {
	t.Helper()
	p, err := Start(dialect, names...)
	if err != nil {
		t.Fatalf("testpeer: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// Start is New without a testing.TB: the caller must Close the Peer.
func Start(dialect Dialect, names ...string) (*Peer, error) {
	return StartWith(Options{Dialect: dialect, Names: names})
}

// Options are how StartWith starts a Peer: for load runs, which start hundreds of peers, each on an
// address of its own, and count what they receive rather than keep it.
type Options struct {
	Dialect Dialect
	Names   []string // one actor per name, at least one
	// Addr is the address to listen on, e.g. 127.0.0.7:0; "" is a free port on 127.0.0.1.
	Addr string
	// Key signs for every actor when set; otherwise each actor gets an RSA-2048 key of its own.
	Key *rsa.PrivateKey
	// Received, when set, is called with every verified delivery, which the peer then does not keep:
	// Received and Accepted see nothing.
	Received func(*Peer, Delivery)
	// KeepLookedUpKeys keeps the key of an actor looked up (Lookup, FetchActor) for verifying what it
	// sends, as Mastodon stores an account it resolves: no second fetch.
	KeepLookedUpKeys bool
	// UncheckedFetches serves a signed GET without checking its signature, as Mastodon does outside
	// secure mode (a GoToSocial peer still checks what it requires).
	UncheckedFetches bool
}

// StartWith starts a Peer as o says: the caller must Close it.
func StartWith(o Options) (*Peer, error) {
	dialect, names := o.Dialect, o.Names
	if dialect != Mastodon && dialect != GoToSocial {
		return nil, fmt.Errorf("unknown dialect %v", dialect)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("a peer needs at least one actor")
	}
	p := &Peer{
		Dialect:   dialect,
		now:       time.Now,
		actors:    map[string]*Actor{},
		deleted:   map[string]bool{},
		keys:      map[string]cachedKey{},
		follows:   map[string]*Follow{},
		onReceive: o.Received,
		keepKeys:  o.KeepLookedUpKeys,
		unchecked: o.UncheckedFetches,
	}
	keys := make([]*rsa.PrivateKey, len(names))
	for i, name := range names {
		if name == "" || strings.ContainsAny(name, "/#?@ ") {
			return nil, fmt.Errorf("actor name %q", name)
		}
		key := o.Key
		if key == nil {
			var err error
			if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
				return nil, err
			}
		}
		keys[i] = key
	}
	p.srv = httptest.NewUnstartedServer(p.routes())
	if o.Addr != "" {
		p.srv.Listener.Close()
		l, err := net.Listen("tcp", o.Addr)
		if err != nil {
			return nil, err
		}
		p.srv.Listener = l
	}
	p.srv.Start()
	u, _ := url.Parse(p.srv.URL)
	p.URL, p.Host = p.srv.URL, u.Host
	p.client = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second, ResponseHeaderTimeout: 15 * time.Second,
	}}
	for i, name := range names {
		if _, dup := p.actors[name]; dup {
			p.Close()
			return nil, fmt.Errorf("actor %q given twice", name)
		}
		der, err := x509.MarshalPKIXPublicKey(&keys[i].PublicKey)
		if err != nil {
			p.Close()
			return nil, err
		}
		a := &Actor{Name: name, ID: p.URL + "/users/" + name, key: keys[i],
			pem: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
		a.Inbox = a.ID + "/inbox"
		if dialect == GoToSocial {
			a.KeyID = a.ID + "/main-key"
		} else {
			a.KeyID = a.ID + "#main-key"
		}
		p.actors[name] = a
		p.order = append(p.order, name)
	}
	return p, nil
}

// Close stops the server.
func (p *Peer) Close() {
	p.srv.Close()
	if t, ok := p.client.Transport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
}

// Actor returns the actor called name, or nil.
func (p *Peer) Actor(name string) *Actor {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.actors[name]
}

// ActorID is the id of the actor called name.
func (p *Peer) ActorID(name string) string { return p.URL + "/users/" + name }

// SharedInbox is the peer's shared inbox, "" in the GoToSocial dialect (which has none).
func (p *Peer) SharedInbox() string {
	if p.Dialect == GoToSocial {
		return ""
	}
	return p.URL + "/inbox"
}

// DeliveryInbox is where a server should deliver to the actor called name: the shared inbox when the
// dialect has one.
func (p *Peer) DeliveryInbox(name string) string {
	if s := p.SharedInbox(); s != "" {
		return s
	}
	return p.ActorID(name) + "/inbox"
}

// NewID mints a fresh activity id on this peer, in the actor's namespace.
func (p *Peer) NewID(actorName, kind string) string {
	return p.ActorID(actorName) + "/" + kind + "/" + randomHex(8)
}

// FailNext makes the next n inbox deliveries fail with status (for retry tests); n = 0 stops failing.
func (p *Peer) FailNext(n, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failLeft, p.failStatus = n, status
}

// SetDelay makes every inbox POST wait d before it is verified, recorded and answered. A delivery whose
// sender hangs up during the wait is not recorded (Abandoned counts it): it was never acknowledged, so
// the sender owes it again.
func (p *Peer) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Received lists the verified deliveries, in the order they arrived.
func (p *Peer) Received() []Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Delivery(nil), p.received...)
}

// ReceivedOfType lists the verified deliveries of activities of type typ.
func (p *Peer) ReceivedOfType(typ string) []Delivery {
	var out []Delivery
	for _, d := range p.Received() {
		if d.Type == typ {
			out = append(out, d)
		}
	}
	return out
}

// Failures lists the requests the peer refused: inbox POSTs and signed GETs that did not verify.
func (p *Peer) Failures() []Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Delivery(nil), p.failures...)
}

// Refused lists the deliveries answered with a failure injected by FailNext.
func (p *Peer) Refused() []Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Delivery(nil), p.refused...)
}

// Attempts counts every POST to an inbox, whatever its outcome.
func (p *Peer) Attempts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attempts
}

// Abandoned counts the deliveries whose sender went away while the peer delayed its answer.
func (p *Peer) Abandoned() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.abandoned
}

// Fetches lists the GETs of the peer's documents (actors, keys, collections, WebFinger).
func (p *Peer) Fetches() []Fetch {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Fetch(nil), p.fetches...)
}

// Delivery is one POST to one of the peer's inboxes.
type Delivery struct {
	Path   string      // the inbox: "/inbox" or "/users/NAME/inbox"
	Header http.Header // as received, with Host
	Body   []byte      // as received
	At     time.Time

	// From the body, when it is an activity.
	ID     string
	Type   string
	Actor  string
	Object json.RawMessage
	// ObjectID is the object's id: the object itself when it is a reference, or its id field.
	ObjectID string

	// From the signature, when it verified.
	KeyID  string
	Signer string // the key's owner

	Status int   // what the peer answered
	Err    error // why the request was refused; nil when it verified
}

// ObjectField reads one member of the activity's object when it is embedded ("" otherwise).
func (d Delivery) ObjectField(name string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(d.Object, &m) != nil {
		return ""
	}
	return idOf(m[name])
}

// Fetch is one GET of one of the peer's documents.
type Fetch struct {
	Path   string
	Accept string
	Signed bool   // a Signature header came with it
	KeyID  string // the keyId it was signed with
	Signer string // the key's owner, when the signature verified
	Err    error  // why the signature did not verify (signed GETs), or why a GoToSocial peer refused it
	Status int
}

// Wait polls cond every 10ms until it holds or timeout passes, and reports whether it held.
func Wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitReceived waits until at least n verified deliveries match, and returns those that do.
func (p *Peer) WaitReceived(timeout time.Duration, n int, match func(Delivery) bool) ([]Delivery, bool) {
	var got []Delivery
	ok := Wait(timeout, func() bool {
		got = got[:0]
		for _, d := range p.Received() {
			if match == nil || match(d) {
				got = append(got, d)
			}
		}
		return len(got) >= n
	})
	return got, ok
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// idOf reads a reference: an id string, or an object with an id.
func idOf(raw json.RawMessage) string {
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
