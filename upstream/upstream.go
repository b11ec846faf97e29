// Package upstream is what a distro instance keeps of the projects it packages. It follows their
// project actors on other instances (as the instance actor, once per upstream however many packages
// come from it), verifies every notice they send down to each proof with keys fetched from their origin,
// judges each by this instance's own trust policy, mirrors those that pass, and has each package's
// actor re-announce them to the packagers who follow it. It reads an upstream's outbox to fill the gaps
// when deliveries were missed, and folds the mirrored notices into the state build tooling asks about.
package upstream

import (
	"context"
	"crypto"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"baton/federation"
	"baton/notice"
	"baton/refusal"
	"baton/store"
)

// Watcher follows upstreams and mirrors their notices.
type Watcher struct {
	store    store.Store
	urls     federation.URLs
	resolver *federation.Resolver
	actorKey func(context.Context, store.Actor) (crypto.Signer, error)
	policy   notice.Policy
	now      func() time.Time
	log      *slog.Logger
	metrics  *Metrics
	queued   func()
	tell     Tell
	names    *federation.Names

	// One upstream's notices are judged one at a time, each against those mirrored before it, so two
	// deliveries arriving together cannot both pass a check that only one of them could.
	locks      sync.Map // upstream actor id -> *sync.Mutex
	catchingUp sync.Map // upstream actor id -> true while a first catch-up runs
	reported   reportedRejections
}

// Options are what a Watcher is made of.
type Options struct {
	Store    store.Store
	URLs     federation.URLs
	Resolver *federation.Resolver
	// ActorKey is a local actor's RSA key, made when first needed (outbox.Outbox.ActorKey): package
	// actors' documents carry it.
	ActorKey func(context.Context, store.Actor) (crypto.Signer, error)
	Policy   notice.Policy // the trust policy upstream notices are judged by: this instance's own
	Now      func() time.Time
	Log      *slog.Logger
	Metrics  *Metrics
	Queued   func() // called after something was queued for delivery
	// Tell publishes a post of a package's own to its followers (outbox.Outbox.PublishNotice for the
	// package actor): what changed in a mirrored notice since it was announced, since the servers its
	// followers use never fetch a boosted status again. Nil tells nobody.
	Tell Tell
	// Names names the people of other instances (federation.NewNames); nil makes one of Resolver's.
	Names *federation.Names
}

// Tell publishes text as a notice of kind from the package actor pkg, signed with its key.
type Tell func(ctx context.Context, pkg string, kind notice.Kind, text string) error

// New makes a Watcher.
func New(o Options) *Watcher {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(prometheus.NewRegistry())
	}
	if o.Queued == nil {
		o.Queued = func() {}
	}
	if o.Tell == nil {
		o.Tell = func(context.Context, string, notice.Kind, string) error { return nil }
	}
	if o.Names == nil {
		o.Names = federation.NewNames(o.Resolver, o.Now)
	}
	return &Watcher{store: o.Store, urls: o.URLs, resolver: o.Resolver, actorKey: o.ActorKey, policy: o.Policy,
		now: o.Now, log: o.Log, metrics: o.Metrics, queued: o.Queued, tell: o.Tell, names: o.Names}
}

// Error is a notice refused, with the HTTP status that says why.
type Error = refusal.Error

func refuse(status int, format string, args ...any) error {
	return refusal.New(status, format, args...)
}

// lock serializes the judging of one upstream's notices.
func (w *Watcher) lock(upstream string) func() {
	m, _ := w.locks.LoadOrStore(upstream, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// ErrNotWatched is what Receive returns for an actor this instance does not follow as an upstream.
var ErrNotWatched = errors.New("not an upstream this instance watches")

// statusOf is the HTTP status for an error from this package.
func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return http.StatusInternalServerError
}

// PersonName is the name people read for a person of an upstream, by actor id: a local person's
// display name, else the name their actor gives (federation.Names).
func (w *Watcher) PersonName(ctx context.Context, id string) string {
	if local := w.urls.LocalActorName(id); local != "" {
		if a, err := w.store.Actor(ctx, local); err == nil {
			return a.ShownName()
		}
	}
	return w.names.Of(ctx, id)
}
