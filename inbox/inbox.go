// Package inbox is what arrives: every POST to an inbox is size-limited, its HTTP signature verified
// (the signer must be the activity's actor), its id checked against those already handled, and then
// dispatched: Follow (answered with a queued Accept), Undo and Delete change the followers; Create and
// Update from a watched upstream go to the upstream watcher, as do Accept and Reject of the instance's
// follows; other activities are acknowledged and left alone.
package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"baton/federation"
	"baton/federation/httpsign"
	"baton/store"
	"baton/upstream"
)

// MaxBodyBytes is the largest activity an inbox reads.
const MaxBodyBytes = 1 << 20

// Inbox handles POSTs to the shared inbox and to each actor's inbox.
type Inbox struct {
	store    store.Store
	urls     federation.URLs
	resolver *federation.Resolver
	now      func() time.Time
	log      *slog.Logger
	metrics  *Metrics
	queued   func() // called after something was queued for delivery
	// upstreams mirrors notices from the project actors this instance follows; nil on an instance
	// that follows none.
	upstreams *upstream.Watcher
}

// Options are what an Inbox is made of.
type Options struct {
	Store    store.Store
	URLs     federation.URLs
	Resolver *federation.Resolver
	Now      func() time.Time
	Log      *slog.Logger
	Metrics  *Metrics
	Queued   func()
	// Upstreams, when set, receives Creates and Updates from followed project actors and the answers
	// to the instance's follows.
	Upstreams *upstream.Watcher
}

// New makes an Inbox.
func New(o Options) *Inbox {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil, o.Store)
	}
	if o.Queued == nil {
		o.Queued = func() {}
	}
	return &Inbox{store: o.Store, urls: o.URLs, resolver: o.Resolver, now: o.Now, log: o.Log, metrics: o.Metrics, queued: o.Queued,
		upstreams: o.Upstreams}
}

// verdict is how a request ended: its status, its reason, and the label it is counted under.
type verdict struct {
	status int
	label  string
	reason string
}

func accepted(label, reason string) verdict { return verdict{http.StatusAccepted, label, reason} }

func rejected(status int, label string, format string, args ...any) verdict {
	return verdict{status, label, fmt.Sprintf(format, args...)}
}

// Handler serves POSTs to the inbox of the local actor named in the path ({name}), or to the shared
// inbox when the pattern has no {name}.
func (ib *Inbox) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		typ, v := ib.handle(r, r.PathValue("name"))
		ib.metrics.requests.WithLabelValues(typeLabel(typ), v.label).Inc()
		writeVerdict(w, v)
	})
}

func writeVerdict(w http.ResponseWriter, v verdict) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(v.status)
	body := map[string]string{}
	if v.status >= 400 {
		body["error"] = v.reason
	} else {
		body["status"] = v.label
		if v.reason != "" {
			body["detail"] = v.reason
		}
	}
	json.NewEncoder(w).Encode(body)
}

// handle checks and dispatches one request and says how it ended, with the activity's type when known.
func (ib *Inbox) handle(r *http.Request, target string) (string, verdict) {
	ctx := r.Context()
	if target != "" {
		if _, err := ib.store.Actor(ctx, target); err != nil {
			return "", rejected(http.StatusNotFound, "unknown_actor", "no actor %q on this instance", target)
		}
	}
	if ct := r.Header.Get("Content-Type"); !federation.IsActivityMediaType(ct) {
		return "", rejected(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"Content-Type %q is not an ActivityPub type (application/activity+json or application/ld+json)", ct)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return "", rejected(http.StatusBadRequest, "malformed", "reading the body: %v", err)
	}
	if len(body) > MaxBodyBytes {
		return "", rejected(http.StatusRequestEntityTooLarge, "too_large", "body is larger than %d bytes", MaxBodyBytes)
	}
	a, parseErr := parseActivity(body)
	signer, err := httpsign.Verify(ctx, r, body, ib.now(), ib.resolver.Key)
	if err != nil {
		if parseErr == nil && ib.isGoneActorDelete(ctx, a, err) {
			return a.Type, ib.removeActor(ctx, a.Actor)
		}
		return a.Type, signatureVerdict(err)
	}
	if parseErr != nil {
		return "", rejected(http.StatusBadRequest, "malformed", "%v", parseErr)
	}
	if signer.Owner != a.Actor {
		return a.Type, rejected(http.StatusUnauthorized, "signer_not_actor",
			"signed by %s (key %s), but the activity's actor is %s", signer.Owner, signer.KeyID, a.Actor)
	}
	return a.Type, ib.handleOnce(ctx, a, target)
}

// handleOnce dispatches an activity unless it was handled before, and records it only once handled,
// so a request that failed half-way is handled again when the sender retries.
func (ib *Inbox) handleOnce(ctx context.Context, a activity, target string) verdict {
	seen, err := ib.store.Seen(ctx, a.ID)
	if err != nil {
		return ib.internal(a, err)
	}
	if seen {
		return accepted("duplicate", "activity "+a.ID+" was handled before")
	}
	v := ib.dispatch(ctx, a, target)
	if v.status < 300 {
		if err := ib.store.MarkSeen(ctx, a.ID, ib.now()); err != nil {
			return ib.internal(a, err)
		}
	}
	return v
}

func (ib *Inbox) internal(a activity, err error) verdict {
	ib.log.Error("inbox", "activity", a.ID, "type", a.Type, "err", err)
	return rejected(http.StatusInternalServerError, "error", "internal error; try again later")
}

// signatureVerdict turns a verification error into the answer Mastodon gives (INTEROP.md).
func signatureVerdict(err error) verdict {
	var e *httpsign.Error
	if !errors.As(err, &e) {
		return rejected(http.StatusUnauthorized, "bad_signature", "%v", err)
	}
	label := "bad_signature"
	switch e.Status {
	case http.StatusBadRequest:
		label = "malformed_signature"
	case http.StatusServiceUnavailable:
		label = "key_unavailable"
	}
	reason := e.Reason
	if e.Err != nil {
		reason += ": " + e.Err.Error()
	}
	return rejected(e.Status, label, "%s", reason)
}

// isGoneActorDelete recognises the last words of a deleted actor: a Delete of itself whose key can no
// longer be fetched, sent by an actor that is indeed gone (its own URL answers 404 or 410 now). Nothing
// can verify the signature, and nothing needs to: all it can do is remove follows that could only fail
// from now on. Who sent it does not matter, since the actor's own server says it is gone.
func (ib *Inbox) isGoneActorDelete(ctx context.Context, a activity, err error) bool {
	if a.Type != "Delete" || a.Object.ID != a.Actor || !errors.Is(err, httpsign.ErrKeyNotFound) {
		return false
	}
	_, fetchErr := ib.resolver.Actor(ctx, a.Actor)
	var status *federation.StatusError
	return errors.As(fetchErr, &status) && (status.Status == http.StatusNotFound || status.Status == http.StatusGone)
}

// typeLabel bounds the type label to the activity types Baton knows.
func typeLabel(t string) string {
	switch t {
	case "Follow", "Undo", "Accept", "Reject", "Delete", "Create", "Update", "Announce", "Like", "Move", "Block", "Flag", "Add", "Remove":
		return t
	case "":
		return "none"
	}
	return "other"
}

// SeenFor is how long handled activity ids are remembered: longer than any sender retries a delivery
// (Mastodon gives up after about three days), and far longer than a signature stays valid.
const SeenFor = 7 * 24 * time.Hour

// ForgetOldActivities drops remembered activity ids older than SeenFor, every hour until ctx ends, so
// the table of seen ids stays bounded.
func (ib *Inbox) ForgetOldActivities(ctx context.Context) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		n, err := ib.store.ForgetSeen(ctx, ib.now().Add(-SeenFor))
		if err != nil && ctx.Err() == nil {
			ib.log.Error("forget old activity ids", "err", err)
		} else if n > 0 {
			ib.log.Info("forgot old activity ids", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
