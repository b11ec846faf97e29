package inbox_test

// The inbox as a hostile peer meets it: an Inbox over a SQLite store with a project "xz", on
// https://notices.example.org, a resolver that fetches keys from loopback, and internal/hostile's
// peers sending to its handler directly.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"baton/federation"
	"baton/inbox"
	"baton/internal/hostile"
	"baton/outbox"
	"baton/store"
	"baton/store/sqlite"
)

const base = "https://notices.example.org"

// instanceKey is made once: RSA key generation is slow.
var instanceKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, _, err := federation.NewRSAKey()
	if err != nil {
		panic(err)
	}
	return k
})

// env is one instance under attack.
type env struct {
	t       *testing.T
	store   *flakyStore
	urls    federation.URLs
	handler http.Handler
	reg     *prometheus.Registry
	logs    *syncBuffer
	clock   atomic.Int64 // Unix nanoseconds
}

// envOptions change how an env is made.
type envOptions struct {
	refusePrivate bool // the resolver refuses loopback, as in production
	endorsements  bool // admit endorsements from other instances, through an outbox on the same store
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, store: &flakyStore{Store: st}, reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	e.clock.Store(time.Now().UnixNano())
	e.urls, err = federation.NewURLs(base)
	if err != nil {
		t.Fatal(err)
	}
	_, pem, err := federation.NewRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	err = st.CreateActor(context.Background(), store.Actor{Name: "xz", Kind: store.KindProject, RSAKeyPEM: pem,
		Ed25519Seed: make([]byte, ed25519.SeedSize), Created: e.now()})
	if err != nil {
		t.Fatal(err)
	}
	client := federation.NewClient(federation.ClientOptions{AllowPrivate: !o.refusePrivate})
	resolver := federation.NewResolver(client, inbox.KeyCache(st), federation.Signer{KeyID: e.urls.MainKey(""), Key: instanceKey()}, e.now)
	opts := inbox.Options{Store: e.store, URLs: e.urls, Resolver: resolver, Now: e.now,
		Log: slog.New(slog.NewJSONHandler(e.logs, nil)), Metrics: inbox.NewMetrics(e.reg, e.store)}
	if o.endorsements {
		opts.Endorsements = outbox.New(outbox.Options{Store: st, URLs: e.urls, Client: client, Now: e.now, Resolver: resolver})
	}
	in := inbox.New(opts)
	mux := http.NewServeMux()
	mux.Handle("POST /inbox", in.Handler())
	mux.Handle("POST /users/{name}/inbox", in.Handler())
	e.handler = mux
	return e
}

func (e *env) now() time.Time { return time.Unix(0, e.clock.Load()) }

func (e *env) advance(d time.Duration) { e.clock.Add(int64(d)) }

// answer is the inbox's answer to one request.
type answer struct {
	Status     int
	RetryAfter string
	Label      string `json:"status"`
	Error      string `json:"error"`
	Detail     string `json:"detail"`
}

// send hands req to the inbox as a server would, and reads the answer.
func (e *env) send(req *http.Request) answer {
	e.t.Helper()
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, hostile.ServerSide(req))
	a := answer{Status: w.Code, RetryAfter: w.Header().Get("Retry-After")}
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		e.t.Fatalf("the inbox answered %d with no JSON: %s", w.Code, w.Body)
	}
	return a
}

// post sends an activity by actor to an inbox path of the instance, signed as the options say,
// dated by the instance's clock.
func (e *env) post(actor *hostile.Actor, path string, body []byte, opts ...hostile.Option) answer {
	e.t.Helper()
	return e.send(actor.Post(base+path, body, append([]hostile.Option{hostile.Dated(e.now())}, opts...)...))
}

// want fails unless a has the status and its error or detail contains each of why.
func want(t *testing.T, what string, a answer, status int, why ...string) {
	t.Helper()
	if a.Status != status {
		t.Fatalf("%s: answered %d %s%s, want %d", what, a.Status, a.Error, a.Label, status)
	}
	for _, w := range why {
		if !bytes.Contains([]byte(a.Error+a.Detail), []byte(w)) {
			t.Errorf("%s: answer %q does not say %q", what, a.Error+a.Detail, w)
		}
	}
}

// followers counts xz's followers.
func (e *env) followers() int {
	n, err := e.store.Store.CountFollowers(context.Background(), "xz")
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// queued lists what is queued for delivery.
func (e *env) queued() []store.Delivery {
	d, err := e.store.Store.Claim(context.Background(), e.now().Add(time.Hour), 1000, time.Minute)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// metric reads a counter or gauge of the instance, summed over its labels that match.
func (e *env) metric(name string, labels map[string]string) float64 {
	e.t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// flakyStore is a store that can be made to fail, as Redis does during an outage.
type flakyStore struct {
	store.Store
	down        atomic.Bool
	followsDown atomic.Bool // AcceptFollow alone fails
}

var errOutage = errors.New("dial tcp 10.0.0.9:6379: connect: connection refused")

func (s *flakyStore) Actor(ctx context.Context, name string) (store.Actor, error) {
	if s.down.Load() {
		return store.Actor{}, errOutage
	}
	return s.Store.Actor(ctx, name)
}

func (s *flakyStore) AcceptFollow(ctx context.Context, f store.Follower, accept store.Activity, seen string) error {
	if s.down.Load() || s.followsDown.Load() {
		return errOutage
	}
	return s.Store.AcceptFollow(ctx, f, accept, seen)
}

func (s *flakyStore) Seen(ctx context.Context, id string) (bool, error) {
	if s.down.Load() {
		return false, errOutage
	}
	return s.Store.Seen(ctx, id)
}

// syncBuffer is a log that goroutines may write at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// entries are the log's lines with msg.
func (b *syncBuffer) entries(msg string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(b.buf.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}
