// Package hostile is a fediverse peer that attacks, for tests. A Peer is one host on loopback that
// publishes actors and their keys as any server does, with documents that can be bent (an inbox on
// another host, an actor that is gone, a key that answers 500); its actors build the requests a
// hostile server sends: signatures over too few headers or made for another host, ids on other
// origins or of absurd lengths, bodies padded to the limit or held open one byte short.
//
// It signs with github.com/go-fed/httpsig directly and uses none of Baton's code, so a request it
// builds is what a stranger would send, not what Baton would agree with. Requests are client-side
// (*http.Request for an http.Client); ServerSide turns one into what a handler receives, for tests
// that call a handler directly.
package hostile

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// ActivityStreams terms the builders write.
const (
	ASContext = "https://www.w3.org/ns/activitystreams"
	Public    = "https://www.w3.org/ns/activitystreams#Public"
	// ContentType is what Mastodon posts activities with.
	ContentType = "application/activity+json"
)

// Peer is one hostile host. Its actors share one RSA key: who signs is said by the keyId, and a
// test that needs a wrong key names another Peer's actor.
type Peer struct {
	URL  string // http://127.0.0.1:PORT, no trailing slash
	Host string // 127.0.0.1:PORT

	srv *httptest.Server
	key *rsa.PrivateKey
	pem string

	mu      sync.Mutex
	edits   map[string]func(doc map[string]any)
	status  map[string]int
	fetches map[string]int
}

// New starts a Peer on a loopback port; it is closed when the test ends.
func New(t testing.TB) *Peer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p := &Peer{key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		edits: map[string]func(map[string]any){}, status: map[string]int{}, fetches: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	u, _ := url.Parse(p.srv.URL)
	p.URL, p.Host = p.srv.URL, u.Host
	return p
}

// Actor is the actor called name on this peer; any name exists.
func (p *Peer) Actor(name string) *Actor {
	id := p.URL + "/users/" + name
	return &Actor{ID: id, KeyID: id + "#main-key", Inbox: id + "/inbox", SharedInbox: p.URL + "/inbox", Key: p.key}
}

// EditActor changes the document the peer serves for the actor called name, after it is built.
func (p *Peer) EditActor(name string, edit func(doc map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.edits[name] = edit
}

// Answer makes every GET of the actor called name (and of its key) answer status instead: 404 or
// 410 for an actor that is gone, 500 for a server that fails. 0 serves the document again.
func (p *Peer) Answer(name string, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status[name] = status
}

// Fetches counts the GETs of the actor called name.
func (p *Peer) Fetches(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fetches[name]
}

// serve answers GET /users/NAME with the actor's document, which carries its key.
func (p *Peer) serve(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/users/")
	if r.Method != http.MethodGet || !ok || name == "" || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	p.mu.Lock()
	p.fetches[name]++
	status, edit := p.status[name], p.edits[name]
	p.mu.Unlock()
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	doc := p.Actor(name).document(name, p.pem)
	if edit != nil {
		edit(doc)
	}
	w.Header().Set("Content-Type", ContentType)
	json.NewEncoder(w).Encode(doc)
}

// NewID is a fresh id on the peer's origin, as its server would mint one.
func (p *Peer) NewID(kind string) string { return p.URL + "/" + kind + "/" + randomHex(8) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
