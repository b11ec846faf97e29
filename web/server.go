// Package web is Baton's HTTP surface: the ActivityPub documents and WebFinger and NodeInfo for other
// servers, the project and notice pages and Atom feeds for people, the JSON API for admins and tools
// (token-authenticated where it changes anything), and /metrics for Prometheus. Inbox POSTs are handed
// to the inbox package.
package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"baton/federation"
	"baton/ledger"
	"baton/outbox"
	"baton/record"
	"baton/refusal"
	"baton/store"
	"baton/upstream"
)

// Server serves every route of an instance.
type Server struct {
	store                store.Store
	urls                 federation.URLs
	outbox               *outbox.Outbox
	ledger               *ledger.Ledger // projects' records, as the outbox publishes them
	inbox                http.Handler
	gatherer             prometheus.Gatherer
	now                  func() time.Time
	log                  *slog.Logger
	version              string
	tokenHash            []byte // SHA-256 of the admin token
	instanceRSAPublicPEM string
	// peopleMu serializes the admin's changes to people, keys and roles, so that checks such as "not
	// the last key in use" still hold when the change is made.
	peopleMu sync.Mutex
	// upstreams is the watcher of a distro instance's upstreams; nil where none is configured.
	upstreams *upstream.Watcher
	// adminFailures slows down guessing the admin token.
	adminFailures *failureLimiter
	pictures      *pictures // actors' avatars and headers, drawn once
	// resolver fetches from other instances (calls answered, track records); nil in tests that need none.
	resolver *federation.Resolver
	records  *record.Gatherer
}

// Options are what a Server is made of.
type Options struct {
	Store                store.Store
	URLs                 federation.URLs
	Outbox               *outbox.Outbox
	Inbox                http.Handler
	Gatherer             prometheus.Gatherer // served at /metrics; nil when metrics have a listener of their own
	Now                  func() time.Time
	Log                  *slog.Logger
	Version              string
	AdminTokenHash       []byte
	InstancePublicKeyPEM string
	Upstreams            *upstream.Watcher
	Resolver             *federation.Resolver
}

// New makes a Server.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	s := &Server{store: o.Store, urls: o.URLs, outbox: o.Outbox, ledger: o.Outbox.Ledger(), inbox: o.Inbox, gatherer: o.Gatherer,
		now: o.Now, log: o.Log, version: o.Version, tokenHash: o.AdminTokenHash, instanceRSAPublicPEM: o.InstancePublicKeyPEM,
		upstreams: o.Upstreams, adminFailures: newFailureLimiter(o.Now), pictures: newPictures(), resolver: o.Resolver}
	if o.Resolver != nil {
		s.records = record.New(o.Resolver)
	}
	return s
}

// HashToken is how admin tokens are stored: only their SHA-256.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Handler routes every request.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// For servers.
	mux.HandleFunc("GET /.well-known/webfinger", s.webfinger)
	mux.HandleFunc("GET /.well-known/host-meta", s.hostMeta)
	mux.HandleFunc("GET /.well-known/nodeinfo", s.nodeinfoLinks)
	mux.HandleFunc("GET /nodeinfo/{version}", s.nodeinfo)
	mux.HandleFunc("GET /actor", s.instanceActor)
	mux.HandleFunc("GET /actor/{collection}", s.instanceCollection)
	mux.HandleFunc("GET /users/{name}/outbox", s.outboxCollection)
	mux.HandleFunc("GET /users/{name}/featured", s.featuredCollection)
	mux.HandleFunc("GET /users/{name}/avatar.png", s.avatar)
	mux.HandleFunc("GET /users/{name}/timeline.svg", s.timelineSVG)
	mux.HandleFunc("GET /users/{name}/header.png", s.header)
	mux.HandleFunc("GET /users/{name}/featured_tags", s.featuredTagsCollection)
	mux.HandleFunc("GET /users/{name}/followers", s.followersCollection)
	mux.HandleFunc("GET /users/{name}/following", s.followingCollection)
	mux.HandleFunc("GET /notices/{id}/activity", s.noticeActivity)
	mux.Handle("POST /inbox", s.inbox)
	mux.Handle("POST /actor/inbox", s.inbox)
	mux.Handle("POST /users/{name}/inbox", s.inbox)
	// For people and servers at the same URL.
	mux.HandleFunc("GET /users/{name}", s.actor)
	mux.HandleFunc("GET /notices/{id}", s.notice)
	// For people.
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /users/{name}/feed.atom", s.feed)
	mux.HandleFunc("GET /tags/{tag}", s.tag)
	mux.HandleFunc("GET /static/style.css", s.style)
	// For tools and operators.
	mux.HandleFunc("GET /api/v1/projects", s.listProjects)
	mux.HandleFunc("GET /api/v1/projects/{name}", s.getProject)
	mux.HandleFunc("POST /api/v1/projects", s.admin(s.createProject))
	mux.HandleFunc("POST /api/v1/projects/{name}/notices", s.admin(s.postNotice))
	// Maintainers' signed statements, and the state they add up to.
	mux.HandleFunc("POST /api/v1/projects/{name}/statements", s.postStatement)
	mux.HandleFunc("GET /api/v1/projects/{name}/state", s.getState)
	mux.HandleFunc("GET /api/v1/notices/{id}", s.getNoticeAPI)
	mux.HandleFunc("GET /api/v1/notices/{id}/delivery", s.admin(s.noticeDelivery))
	mux.HandleFunc("POST /api/v1/notices/{id}/endorsements", s.postEndorsement)
	mux.HandleFunc("POST /api/v1/endorsements", s.postRemoteEndorsement)
	mux.HandleFunc("POST /api/v1/stewards/notices", s.stewardNotices)
	// Confidential relief cases: sealed on participants' machines, each request signed by its sender.
	mux.HandleFunc("POST /api/v1/relief/cases", s.openCase)
	mux.HandleFunc("GET /api/v1/relief/cases", s.admin(s.listCases))
	mux.HandleFunc("POST /api/v1/relief/cases/{id}/messages", s.replyCase)
	mux.HandleFunc("POST /api/v1/relief/cases/{id}/share", s.shareCase)
	mux.HandleFunc("POST /api/v1/relief/cases/{id}/close", s.closeCase)
	mux.HandleFunc("POST /api/v1/relief/read", s.readCases)
	mux.HandleFunc("GET /relief/{id}", s.admin(s.caseMetadata))
	// People and their keys.
	mux.HandleFunc("POST /api/v1/people", s.admin(s.createPerson))
	mux.HandleFunc("GET /api/v1/people/{name}", s.getPerson)
	mux.HandleFunc("POST /api/v1/people/{name}/keys", s.admin(s.addPersonKey))
	mux.HandleFunc("POST /api/v1/people/{name}/keys/revoke", s.admin(s.revokePersonKey))
	mux.HandleFunc("GET /api/v1/projects/{name}/maintainers", s.listMaintainers)
	mux.HandleFunc("POST /api/v1/projects/{name}/maintainers", s.admin(s.addMaintainer))
	mux.HandleFunc("GET /api/v1/stewards", s.listStewards)
	mux.HandleFunc("GET /api/v1/watches", s.listWatches)
	mux.HandleFunc("POST /api/v1/watches", s.admin(s.postWatch))
	mux.HandleFunc("DELETE /api/v1/watches/{name}", s.admin(s.deleteWatch))
	mux.HandleFunc("GET /api/v1/packages/{name}/state", s.getPackageState)
	mux.HandleFunc("POST /api/v1/stewards", s.admin(s.addSteward))
	s.callRoutes(mux)
	if s.gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	return s.logRequests(mux)
}

// admin lets a request through only with the admin token as a bearer token.
func (s *Server) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		addr := clientAddr(r)
		if tooManyFailures(w, s.adminFailures.blocked(addr)) {
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" { // not a guess: nothing to count
			writeError(w, http.StatusUnauthorized, "this needs the admin token: Authorization: Bearer TOKEN")
			return
		}
		if len(s.tokenHash) == 0 || subtle.ConstantTimeCompare(HashToken(token), s.tokenHash) != 1 {
			s.adminFailures.fail(addr)
			writeError(w, http.StatusForbidden, "the token is not this instance's admin token")
			return
		}
		next(w, r)
	}
}

// logRequests logs each request at debug level, and errors at warn.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r)
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		s.log.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration", time.Since(start).Round(time.Microsecond), "user_agent", r.UserAgent())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encoding the answer failed")
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// writeError answers {"error": message}, the form Mastodon's errors take.
func writeError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": message})
}

// writeActivity answers an ActivityPub document, varying on Accept since HTML lives at the same URL.
func writeActivity(w http.ResponseWriter, doc []byte) {
	w.Header().Set("Content-Type", federation.ContentType)
	w.Header().Set("Vary", "Accept")
	w.Write(doc)
}

// storeError answers an error from below: a refusal with its status and reason, 404 for what does not
// exist, 500 (logged) otherwise.
func (s *Server) storeError(w http.ResponseWriter, err error, what string) {
	if r, ok := refusal.As(err); ok {
		// A refusal says what the sender did wrong; its cause, if any, is for the log alone.
		if r.Err != nil {
			s.log.Info("refused", "what", what, "status", r.Status, "err", r)
		}
		writeError(w, r.Status, r.Reason)
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, what+" not found")
		return
	}
	s.log.Error("store", "what", what, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}
