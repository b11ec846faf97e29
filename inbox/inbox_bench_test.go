package inbox_test

// Benchmarks of the inbox: signed activities from remote actors whose keys are already cached (the
// store is the key cache), handed to the Inbox's http.Handler one after another or from 16 goroutines
// at once. Requests are signed before the timer starts: signing is the sender's work. The store is
// SQLite in a temporary directory, or Redis (a redis-server of its own, started by internal/redistest
// with appendfsync everysec): the first level of the name, store=sqlite or store=redis. They run only
// with -bench; BENCHMARKS.md at the repository root has the commands and the results.
//
// Besides ns/op they report activities/s and the median and 99th percentile of the time the handler
// took per request (p50-ms, p99-ms).

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
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/federation"
	"baton/federation/httpsign"
	"baton/inbox"
	"baton/internal/redistest"
	"baton/store"
	redisstore "baton/store/redis"
	"baton/store/sqlite"
)

// remoteActors is how many remote actors send the activities, each with its own cached key.
const remoteActors = 16

// BenchmarkInbox measures two kinds of traffic: Creates of Notes from actors this instance does not
// watch (verified, checked against the ids seen, acknowledged; ignored, so not recorded: no write),
// and Follows of the local project alternating with their Undos (a Follow also fetches the follower's actor document, stores the
// follower and queues an Accept; an Undo removes the follower).
func BenchmarkInbox(b *testing.B) {
	for _, backend := range []string{"sqlite", "redis"} {
		b.Run("store="+backend, func(b *testing.B) {
			for _, kind := range []string{"create", "follow-undo"} {
				b.Run(kind, func(b *testing.B) {
					b.Run("serial", func(b *testing.B) { benchInbox(b, backend, kind, 0) })
					b.Run("parallel-16", func(b *testing.B) { benchInbox(b, backend, kind, 16) })
				})
			}
		})
	}
}

func benchInbox(b *testing.B, backend, kind string, goroutines int) {
	env := newInboxEnv(b, backend)
	reqs := env.signAll(b, kind, b.N)
	handler := env.inbox.Handler()
	took := make([]time.Duration, b.N)
	var failures atomic.Int64
	var firstFailure atomic.Value
	serve := func(i int) {
		w := httptest.NewRecorder()
		start := time.Now()
		handler.ServeHTTP(w, reqs[i])
		took[i] = time.Since(start)
		if w.Code != http.StatusAccepted {
			if failures.Add(1) == 1 {
				firstFailure.Store(fmt.Sprintf("request %d answered %d: %s", i, w.Code, w.Body.String()))
			}
		}
	}

	b.ResetTimer()
	if goroutines == 0 {
		for i := range b.N {
			serve(i)
		}
	} else {
		var next atomic.Int64
		b.SetParallelism(max(1, goroutines/runtimeProcs()))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				serve(int(next.Add(1) - 1))
			}
		})
	}
	b.StopTimer()

	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed; the first: %s", n, b.N, firstFailure.Load())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "activities/s")
	slices.Sort(took)
	b.ReportMetric(percentile(took, 0.50).Seconds()*1000, "p50-ms")
	b.ReportMetric(percentile(took, 0.99).Seconds()*1000, "p99-ms")
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// inboxEnv is an Inbox over a real store with a project "xz", a resolver with a real client, and a
// remote server on loopback publishing the remote actors and their key.
type inboxEnv struct {
	store  store.Store
	urls   federation.URLs
	inbox  *inbox.Inbox
	remote string          // http://127.0.0.1:PORT
	key    *rsa.PrivateKey // every remote actor's key
}

func newInboxEnv(b *testing.B, backend string) *inboxEnv {
	b.Helper()
	ctx := context.Background()
	st := openBenchStore(b, backend)
	urls, err := federation.NewURLs("https://notices.example.org")
	if err != nil {
		b.Fatal(err)
	}
	_, projectPEM, err := federation.NewRSAKey()
	if err != nil {
		b.Fatal(err)
	}
	err = st.CreateActor(ctx, store.Actor{Name: "xz", Kind: store.KindProject, RSAKeyPEM: projectPEM,
		Ed25519Seed: make([]byte, ed25519.SeedSize), Created: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	instanceKey, _, err := federation.NewRSAKey()
	if err != nil {
		b.Fatal(err)
	}
	remoteKey, _, err := federation.NewRSAKey()
	if err != nil {
		b.Fatal(err)
	}
	pub, err := federation.PublicKeyPEM(remoteKey.Public())
	if err != nil {
		b.Fatal(err)
	}

	env := &inboxEnv{store: st, urls: urls, key: remoteKey}
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, "/users/")
		if !ok || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		id := env.remote + "/users/" + name
		w.Header().Set("Content-Type", federation.ContentType)
		json.NewEncoder(w).Encode(map[string]any{
			"@context":          []string{federation.ActivityStreamsContext, "https://w3id.org/security/v1"},
			"id":                id,
			"type":              "Person",
			"preferredUsername": name,
			"inbox":             id + "/inbox",
			"endpoints":         map[string]string{"sharedInbox": env.remote + "/inbox"},
			"publicKey":         map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": pub},
		})
	}))
	b.Cleanup(remote.Close)
	env.remote = remote.URL

	client := federation.NewClient(federation.ClientOptions{AllowPrivate: true})
	resolver := federation.NewResolver(client, inbox.KeyCache(st),
		federation.Signer{KeyID: urls.MainKey(""), Key: instanceKey}, nil)
	// Every remote actor is on one host, which sends far more than a host may in a minute: the limit
	// is off, as the benchmark measures the handling of what is let through.
	env.inbox = inbox.New(inbox.Options{Store: st, URLs: urls, Resolver: resolver, Log: slog.New(slog.DiscardHandler),
		PerHostPerMinute: -1})

	// Warm the key cache: the first request from each actor fetches its key and stores it.
	handler := env.inbox.Handler()
	for a := range remoteActors {
		req := env.signed(a, env.create(a, "warm"))
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		if w.Code != http.StatusAccepted {
			b.Fatalf("warming the key cache: %d %s", w.Code, w.Body.String())
		}
	}
	return env
}

// openBenchStore opens an empty store of the kind named, closed when the benchmark ends.
func openBenchStore(b *testing.B, backend string) store.Store {
	b.Helper()
	var st interface {
		store.Store
		Close() error
	}
	var err error
	switch backend {
	case "sqlite":
		st, err = sqlite.Open(b.TempDir())
	case "redis":
		srv, startErr := redistest.StartWith(redistest.EverySec...)
		srv = redistest.Require(b, srv, startErr)
		b.Cleanup(srv.Stop)
		st, err = redisstore.Open(context.Background(), srv.URL(0))
	default:
		b.Fatalf("no backend %q", backend)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func (e *inboxEnv) actor(a int) string { return fmt.Sprintf("%s/users/a%d", e.remote, a) }

// create is a Create of a Note by actor a.
func (e *inboxEnv) create(a int, id string) []byte {
	actor := e.actor(a)
	return mustJSON(map[string]any{
		"@context": federation.ActivityStreamsContext,
		"id":       actor + "/statuses/" + id + "/activity",
		"type":     "Create",
		"actor":    actor,
		"to":       []string{federation.Public},
		"object": map[string]any{
			"id": actor + "/statuses/" + id, "type": "Note", "attributedTo": actor, "to": []string{federation.Public},
			"content": "<p>Has anyone else seen the release tarball differ from the tag?</p>",
		},
	})
}

// follow is a Follow of the project by actor a.
func (e *inboxEnv) follow(a int, id string) map[string]any {
	actor := e.actor(a)
	return map[string]any{
		"@context": federation.ActivityStreamsContext,
		"id":       actor + "/follows/" + id,
		"type":     "Follow",
		"actor":    actor,
		"object":   e.urls.Actor("xz"),
	}
}

// undo is an Undo of follow, embedding it as Mastodon does.
func (e *inboxEnv) undo(a int, id string, follow map[string]any) []byte {
	actor := e.actor(a)
	return mustJSON(map[string]any{
		"@context": federation.ActivityStreamsContext,
		"id":       actor + "/undos/" + id,
		"type":     "Undo",
		"actor":    actor,
		"object":   follow,
	})
}

// signAll makes n requests of a kind, signed by their actors, on every P at once.
func (e *inboxEnv) signAll(b *testing.B, kind string, n int) []*http.Request {
	b.Helper()
	bodies := make([][]byte, n)
	actors := make([]int, n)
	for i := range n {
		switch kind {
		case "create":
			actors[i] = i % remoteActors
			bodies[i] = e.create(actors[i], fmt.Sprint(i))
		case "follow-undo":
			pair := i / 2
			actors[i] = pair % remoteActors
			follow := e.follow(actors[i], fmt.Sprint(pair))
			if i%2 == 0 {
				bodies[i] = mustJSON(follow)
			} else {
				bodies[i] = e.undo(actors[i], fmt.Sprint(pair), follow)
			}
		default:
			b.Fatalf("unknown kind %q", kind)
		}
	}
	reqs := make([]*http.Request, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range runtimeProcs() {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				reqs[i] = e.signed(actors[i], bodies[i])
			}
		})
	}
	wg.Wait()
	return reqs
}

// signed is a POST of body to the shared inbox, signed by actor a as Mastodon signs, in the form a
// server hands its handler (Host in req.Host, not in the header map).
func (e *inboxEnv) signed(a int, body []byte) *http.Request {
	out, err := http.NewRequest(http.MethodPost, e.urls.SharedInbox(), bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	out.Header.Set("Content-Type", federation.ContentType)
	if err := httpsign.Sign(out, body, e.actor(a)+"#main-key", e.key, time.Now()); err != nil {
		panic(err)
	}
	req := httptest.NewRequest(http.MethodPost, e.urls.SharedInbox(), bytes.NewReader(body))
	req.Header = out.Header.Clone()
	req.Header.Del("Host")
	req.RemoteAddr = "127.0.0.1:40000"
	return req
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}
