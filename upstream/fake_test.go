package upstream

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	vocab "github.com/go-ap/activitypub"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
	"baton/store/sqlite"
)

// fakeUpstream is a foundation instance as a distro sees it over HTTP: project xz's actor (its key,
// genesis and stewards), its people's actors with their keys, its notices and its outbox. Any path can
// be made to fail, as an instance behind a broken proxy does.
type fakeUpstream struct {
	t    *testing.T
	srv  *httptest.Server
	urls federation.URLs
	key  ed25519.PrivateKey            // the project's proof key
	keys map[string]ed25519.PrivateKey // people's keys, by name

	mu       sync.Mutex
	genesis  notice.Genesis
	failing  map[string]int    // path -> the status answered instead of the document (200: an error page)
	notes    map[string][]byte // path -> a Note
	outbox   []json.RawMessage // Creates, newest first
	gets     map[string]int    // path -> GETs answered
	nextNote int64
	stewards []federation.StewardRef
	names    map[string]string // people's display names, by name
}

func newFakeUpstream(t *testing.T, people ...string) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{t: t, keys: map[string]ed25519.PrivateKey{}, failing: map[string]int{}, notes: map[string][]byte{},
		gets: map[string]int{}, nextNote: 1}
	_, f.key, _ = ed25519.GenerateKey(rand.Reader)
	for _, p := range people {
		_, f.keys[p], _ = ed25519.GenerateKey(rand.Reader)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	var err error
	if f.urls, err = federation.NewURLs(f.srv.URL); err != nil {
		t.Fatal(err)
	}
	f.genesis = notice.Genesis{Project: "xz", Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	return f
}

func (f *fakeUpstream) actor(name string) string { return f.urls.Actor(name) }

// setMaintainers is the foundation's admin naming the project's first maintainers.
func (f *fakeUpstream) setMaintainers(names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.genesis.Maintainers = nil
	for _, n := range names {
		f.genesis.Maintainers = append(f.genesis.Maintainers, f.actor(n))
	}
}

// fail makes path answer status (200: a page that is not the document) until heal.
func (f *fakeUpstream) fail(path string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[path] = status
}

func (f *fakeUpstream) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.failing)
}

// fetched counts the GETs of path answered so far.
func (f *fakeUpstream) fetched(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets[path]
}

func (f *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.gets[r.URL.Path]++
	status, failing := f.failing[r.URL.Path]
	genesis := f.genesis
	stewards := append([]federation.StewardRef{}, f.stewards...)
	note := f.notes[r.URL.Path]
	outbox := append([]json.RawMessage(nil), f.outbox...)
	f.mu.Unlock()
	if failing {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		io.WriteString(w, "<html><body>Bad gateway</body></html>")
		return
	}
	var doc []byte
	var err error
	switch name, _ := strings.CutPrefix(r.URL.Path, "/users/"); {
	case r.URL.Path == "/users/xz":
		doc, err = f.urls.ActorDocument(federation.ActorProfile{Name: "xz", Username: "xz", Type: vocab.ServiceType,
			RSAPublicPEM: "-", ProofKey: f.key.Public().(ed25519.PublicKey), Genesis: &genesis, Stewards: stewards})
	case r.URL.Path == "/users/xz/outbox":
		doc, err = federation.OrderedCollectionPage(f.urls.Outbox("xz"), f.urls.Outbox("xz"), "", outbox)
	case f.keys[name] != nil:
		f.mu.Lock()
		shown := f.names[name]
		f.mu.Unlock()
		doc, err = f.urls.ActorDocument(federation.ActorProfile{Name: name, Username: name, DisplayName: shown, Type: vocab.PersonType, RSAPublicPEM: "-",
			SigningKeys: []federation.SigningKey{{Key: f.keys[name].Public().(ed25519.PublicKey)}}})
	case note != nil:
		doc = note
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/activity+json")
	w.Write(doc)
}

// publish makes a notice of xz with a statement signed by each of signers (the first is its author),
// signed by the project, served at its id and listed first in the outbox; it returns the Note.
func (f *fakeUpstream) publish(n notice.Notice, published time.Time, signers ...string) []byte {
	f.t.Helper()
	n.Project = "xz"
	n.Author = f.actor(signers[0])
	stmt, err := federation.StatementDocument(fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", f.nextNote), f.actor("xz"), n)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, s := range signers {
		key := f.keys[s]
		if stmt, err = proof.Sign(stmt, key, f.urls.PersonKey(s, key.Public().(ed25519.PublicKey)), published); err != nil {
			f.t.Fatal(err)
		}
	}
	return f.add(federation.NoteFields{Actor: "xz", ContentHTML: "<p>" + n.Text + "</p>", Published: published, Public: true,
		Kind: string(n.Kind), Since: n.Since, Until: n.Until, Statement: stmt}, published)
}

// add signs a Note as the project and serves it.
func (f *fakeUpstream) add(fields federation.NoteFields, published time.Time) []byte {
	f.t.Helper()
	f.mu.Lock()
	fields.ID = f.nextNote
	f.nextNote++
	f.mu.Unlock()
	note, err := f.urls.NoteDocument(fields)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.serveNote(fields.ID, f.sign(note), published)
}

// sign signs a Note as the project.
func (f *fakeUpstream) sign(note []byte) []byte {
	f.t.Helper()
	signed, err := proof.Sign(note, f.key, f.urls.ProofKey("xz"), time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return signed
}

func (f *fakeUpstream) serveNote(id int64, note []byte, published time.Time) []byte {
	f.t.Helper()
	create, err := f.urls.CreateDocument(id, "xz", true, nil, note, published)
	if err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notes[fmt.Sprintf("/notices/%d", id)] = note
	f.outbox = append([]json.RawMessage{create}, f.outbox...)
	return note
}

// hiatus is a notice by author.
func hiatus(text string) notice.Notice {
	return notice.Notice{Kind: notice.Hiatus, Text: text, Until: time.Date(2099, 3, 1, 0, 0, 0, 0, time.UTC)}
}

// logBuffer collects a Watcher's log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// distro is a distro instance's watcher on a store of its own, as after a start on that store.
type distro struct {
	*Watcher
	store store.Store
	log   *logBuffer
	told  *toldPosts
}

// toldPosts are the posts a distro's package actors published about changes (Options.Tell).
type toldPosts struct {
	mu    sync.Mutex
	posts []string // "PACKAGE KIND: TEXT"
}

func (p *toldPosts) tell(_ context.Context, pkg string, kind notice.Kind, text string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, pkg+" "+string(kind)+": "+text)
	return nil
}

func (p *toldPosts) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.posts...)
}

var testSigner = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key
})

type noKeyCache struct{}

func (noKeyCache) CachedKey(context.Context, string) (federation.RemoteKey, error) {
	return federation.RemoteKey{}, federation.ErrKeyNotCached
}
func (noKeyCache) CacheKey(context.Context, federation.RemoteKey) error { return nil }

// newDistro runs a distro on a new store.
func newDistro(t *testing.T) *distro {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return startDistro(t, st)
}

// startDistro runs a distro on st: a new process, which remembers only what st holds.
func startDistro(t *testing.T, st store.Store) *distro {
	t.Helper()
	urls, err := federation.NewURLs("https://distro.example")
	if err != nil {
		t.Fatal(err)
	}
	client := federation.NewClient(federation.ClientOptions{AllowPrivate: true})
	resolver := federation.NewResolver(client, noKeyCache{}, federation.Signer{KeyID: urls.MainKey(""), Key: testSigner()}, nil)
	logs, told := &logBuffer{}, &toldPosts{}
	w := New(Options{Store: st, URLs: urls, Resolver: resolver, Policy: notice.DefaultPolicy(),
		Log: slog.New(slog.NewTextHandler(logs, nil)), Tell: told.tell})
	return &distro{Watcher: w, store: st, log: logs, told: told}
}

// follow has the distro follow the fake's xz as it is now, without the background catch-up of Watch.
func (d *distro) follow(t *testing.T, f *fakeUpstream) store.Upstream {
	t.Helper()
	up, followed, err := d.followUpstream(t.Context(), f.actor("xz"))
	if err != nil || !followed {
		t.Fatalf("follow %s: %v, %v", f.actor("xz"), followed, err)
	}
	return up
}

// deliver is the fake's delivery of a Note to the distro's inbox.
func (d *distro) deliver(t *testing.T, f *fakeUpstream, note []byte) (Outcome, error) {
	t.Helper()
	return d.Receive(t.Context(), f.actor("xz"), note)
}

// mirrored lists the ids of the notices the distro mirrored of xz.
func (d *distro) mirrored(t *testing.T, f *fakeUpstream) []string {
	t.Helper()
	ms, err := d.store.MirroredNotices(t.Context(), f.actor("xz"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// rejected lists what the distro keeps of xz's refused notices.
func (d *distro) rejected(t *testing.T, f *fakeUpstream) []store.RejectedNotice {
	t.Helper()
	rs, err := d.store.RejectedNotices(t.Context(), f.actor("xz"))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// wantStatus checks that err is a refusal with status whose reason says each of why.
func wantStatus(t *testing.T, what string, err error, status int, why ...string) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("%s: %v (%T), want a refusal with status %d", what, err, err, status)
	}
	if e.Status != status {
		t.Fatalf("%s: %d %s, want %d", what, e.Status, e.Error(), status)
	}
	for _, w := range why {
		if !strings.Contains(e.Reason, w) {
			t.Errorf("%s: the reason %q does not say %q", what, e.Reason, w)
		}
	}
}

func noteIDOf(t *testing.T, note []byte) string {
	t.Helper()
	id := noteID(note)
	if id == "" {
		t.Fatalf("a Note without an id: %s", note)
	}
	return id
}
