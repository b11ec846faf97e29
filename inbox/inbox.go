// Package inbox is what arrives. Every POST to an inbox has its Signature header checked before its
// body is read; its body is size-limited, alone and with all the bodies in flight; its HTTP signature
// is verified (the signer must be the activity's actor, and the activity's id on the actor's origin);
// its host is held to a rate; its id is checked against those its actor sent before; and then it is
// dispatched: Follow (answered with a queued Accept), Undo and Delete change the followers; Create and
// Update from a watched upstream go to the upstream watcher, as do Accept and Reject of the instance's
// follows; an Offer answering a call for stewards, and a reply to one, are verified and kept as its
// answers (offers.go); other activities are acknowledged and left alone.
package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"baton/federation"
	"baton/federation/httpsign"
	"baton/refusal"
	"baton/store"
	"baton/upstream"
)

// MaxBodyBytes is the largest activity an inbox reads.
const MaxBodyBytes = 1 << 20

// MaxBodyBytesInFlight caps the bytes of request bodies held by all inbox requests at once. Bodies
// arrive before anything in them can be verified, so without a cap a few hundred connections each
// sending a body one byte short of MaxBodyBytes hold a gigabyte; past it, requests are answered 503
// with Retry-After, as a busy server is.
const MaxBodyBytesInFlight = 64 << 20

// ActivitiesPerHostPerMinute is how many activities one remote host may deliver in a minute (a
// token bucket: bursts of that size, refilled evenly). A Mastodon server delivering to all of a
// popular project's followers' posts stays far below it; one actor sending Follow after Follow to
// fill the disk and the delivery queue does not.
const ActivitiesPerHostPerMinute = 300

// RetryLater is the Retry-After of answers that ask the sender to try again: the inbox is busy, or
// the store is not answering.
const RetryLater = 30 * time.Second

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
	upstreams    *upstream.Watcher
	endorsements Endorsements
	bodies       *byteBudget
	hosts        *hostLimiter
	locals       localActors
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
	// Endorsements, when set, admits endorsements people on other instances deliver (Add).
	Endorsements Endorsements
	// PerHostPerMinute is how many activities a remote host may deliver in a minute: 0 means
	// ActivitiesPerHostPerMinute, a negative number no limit (benchmarks).
	PerHostPerMinute int
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
	if o.PerHostPerMinute == 0 {
		o.PerHostPerMinute = ActivitiesPerHostPerMinute
	}
	return &Inbox{store: o.Store, urls: o.URLs, resolver: o.Resolver, now: o.Now, log: o.Log, metrics: o.Metrics, queued: o.Queued,
		upstreams: o.Upstreams, endorsements: o.Endorsements, bodies: newByteBudget(MaxBodyBytesInFlight, o.Metrics.bodyBytes),
		hosts: newHostLimiter(o.PerHostPerMinute), locals: localActors{store: o.Store}}
}

// verdict is how a request ended: its status, its reason (sent), the label it is counted under, and
// what only the log may see.
type verdict struct {
	status     int
	label      string
	reason     string
	err        error         // the cause, logged and never sent
	retryAfter time.Duration // sent as Retry-After when set
	seenMarked bool          // the activity's id was recorded as seen with what it changed
}

func accepted(label, reason string) verdict {
	return verdict{status: http.StatusAccepted, label: label, reason: reason}
}

// ignoredLabel marks an activity accepted that changed nothing: it is not recorded as seen.
const ignoredLabel = "ignored"

func ignored(reason string) verdict { return accepted(ignoredLabel, reason) }

func rejected(status int, label string, format string, args ...any) verdict {
	return verdict{status: status, label: label, reason: fmt.Sprintf(format, args...)}
}

// unavailable asks the sender to retry: what failed is on this side (the store, a fetch), and a
// 4xx would make Mastodon drop the activity for good.
func unavailable(label, reason string, err error) verdict {
	return verdict{status: http.StatusServiceUnavailable, label: label, reason: reason, err: err, retryAfter: RetryLater}
}

// Handler serves POSTs to the inbox of the local actor named in the path ({name}), or to the shared
// inbox when the pattern has no {name}.
func (ib *Inbox) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, v := ib.handle(r, r.PathValue("name"))
		ib.metrics.requests.WithLabelValues(typeLabel(a.Type), v.label).Inc()
		ib.logVerdict(r, a, v)
		writeVerdict(w, v)
	})
}

func writeVerdict(w http.ResponseWriter, v verdict) {
	w.Header().Set("Content-Type", "application/json")
	if v.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((v.retryAfter+time.Second-1)/time.Second)))
	}
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

// logVerdict logs every refusal with its reason and cause: who was refused and why is what an
// operator asks first. A failure of this instance is an error, a busy or unreachable peer a warning,
// a refused request information.
func (ib *Inbox) logVerdict(r *http.Request, a activity, v verdict) {
	if v.status < 400 {
		return
	}
	level := slog.LevelInfo
	switch {
	case v.label == "unavailable":
		level = slog.LevelError
	case v.status >= 500:
		level = slog.LevelWarn
	}
	attrs := []any{"status", v.status, "verdict", v.label, "reason", clip(v.reason), "type", clip(a.Type),
		"activity", clip(a.ID), "actor", clip(a.Actor), "remote", r.RemoteAddr}
	if v.err != nil {
		attrs = append(attrs, "err", v.err.Error())
	}
	ib.log.Log(r.Context(), level, "inbox refused", attrs...)
}

// clip keeps what a sender chose short in the log.
func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// handle checks and dispatches one request and says how it ended, with the activity as far as it
// was read. Everything that needs no body comes first, so that a request that could never be
// accepted costs neither memory nor a fetch.
func (ib *Inbox) handle(r *http.Request, target string) (activity, verdict) {
	ctx := federation.WithFetchedActors(r.Context()) // a Follow's actor, fetched for its key, is not fetched twice
	signed, v, ok := ib.checkRequest(r)
	if !ok {
		return activity{}, v
	}
	if v, ok := ib.checkTarget(ctx, target); !ok {
		return activity{}, v
	}
	body, release, v, ok := ib.readBody(r)
	if !ok {
		return activity{}, v
	}
	defer release()
	a, err := parseActivity(body)
	if err != nil {
		return activity{}, rejected(http.StatusBadRequest, "malformed", "%v", err)
	}
	if v, ok := checkActivity(a); !ok {
		return a, v
	}
	return a, ib.verified(ctx, signed, body, a, target)
}

// checkRequest refuses what can be refused from the headers alone: the content type, a Signature
// header that cannot verify (shape, algorithm, signed headers, Date, keyId), and a request made for
// another host. It returns the prechecked signature, verified once the body is read.
func (ib *Inbox) checkRequest(r *http.Request) (*httpsign.Prechecked, verdict, bool) {
	if ct := r.Header.Get("Content-Type"); !federation.IsActivityMediaType(ct) {
		return nil, rejected(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"Content-Type %q is not an ActivityPub type (application/activity+json or application/ld+json)", clip(ct)), false
	}
	signed, err := httpsign.Precheck(r, ib.now())
	if err != nil {
		return nil, signatureVerdict(err), false
	}
	if !ib.isOwnHost(r.Host) {
		return nil, rejected(http.StatusUnauthorized, "wrong_host",
			"the request is signed for host %q, and this instance is %q", clip(r.Host), ib.urls.Base.Host), false
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, rejected(http.StatusRequestEntityTooLarge, "too_large", "body is larger than %d bytes", MaxBodyBytes), false
	}
	return signed, verdict{}, true
}

// isOwnHost reports whether host, a request's Host, names this instance: a signature made for
// another server's inbox must not be accepted here, though it verifies. The scheme's default port
// may be written or left out.
func (ib *Inbox) isOwnHost(host string) bool {
	return strings.EqualFold(withoutDefaultPort(host, ib.urls.Base.Scheme), withoutDefaultPort(ib.urls.Base.Host, ib.urls.Base.Scheme))
}

func withoutDefaultPort(host, scheme string) string {
	switch {
	case scheme == "https":
		return strings.TrimSuffix(host, ":443")
	case scheme == "http":
		return strings.TrimSuffix(host, ":80")
	}
	return host
}

// checkTarget finds the local actor whose inbox was posted to. Only a store that says there is no
// such actor is a 404: any other error is the store failing, and a 404 would make the sender drop
// the activity for good.
func (ib *Inbox) checkTarget(ctx context.Context, target string) (verdict, bool) {
	if target == "" {
		return verdict{}, true
	}
	found, err := ib.locals.exist(ctx, target)
	switch {
	case err != nil:
		return ib.storeFailed(err), false
	case !found:
		return rejected(http.StatusNotFound, "unknown_actor", "no actor %q on this instance", clip(target)), false
	}
	return verdict{}, true
}

// localActors remembers which local actors exist. No actor is ever deleted, so one found once exists
// from then on, and the store is asked about a name once rather than at every activity posted to it.
// Only names found are kept: what a sender makes up costs a lookup each time, and no memory.
type localActors struct {
	store store.Actors
	found sync.Map // name -> struct{}
}

// exist reports whether the local actor called name exists.
func (l *localActors) exist(ctx context.Context, name string) (bool, error) {
	if _, ok := l.found.Load(name); ok {
		return true, nil
	}
	_, err := l.store.Actor(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	l.found.Store(name, struct{}{})
	return true, nil
}

// readBody reads the body within MaxBodyBytes and within the bytes all inbox requests may hold at
// once. A body of unknown length reserves MaxBodyBytes while it is read, and keeps what it turned
// out to hold. release gives the reservation back.
func (ib *Inbox) readBody(r *http.Request) (body []byte, release func(), v verdict, ok bool) {
	size := r.ContentLength
	if size < 0 {
		size = MaxBodyBytes
	}
	if !ib.bodies.take(size) {
		ib.metrics.busy.Inc()
		return nil, nil, verdict{status: http.StatusServiceUnavailable, label: "busy",
			reason: "too many requests at once; try again later", retryAfter: RetryLater}, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, size+1))
	switch {
	case err != nil:
		ib.bodies.give(size)
		return nil, nil, verdict{status: http.StatusBadRequest, label: "malformed", reason: "could not read the body", err: err}, false
	case len(body) > MaxBodyBytes:
		ib.bodies.give(size)
		return nil, nil, rejected(http.StatusRequestEntityTooLarge, "too_large", "body is larger than %d bytes", MaxBodyBytes), false
	}
	held := min(size, int64(len(body)))
	ib.bodies.give(size - held)
	return body, func() { ib.bodies.give(held) }, verdict{}, true
}

// verified verifies the signature of a parsed activity, then dispatches it unless its host has
// sent too many.
func (ib *Inbox) verified(ctx context.Context, signed *httpsign.Prechecked, body []byte, a activity, target string) verdict {
	signer, err := signed.Verify(ctx, body, ib.now(), ib.resolver.Key)
	if err != nil {
		if ib.isGoneActorDelete(ctx, a, err) {
			return ib.removeActor(ctx, a.Actor)
		}
		return signatureVerdict(err)
	}
	if signer.Owner != a.Actor {
		return rejected(http.StatusUnauthorized, "signer_not_actor",
			"signed by %s (key %s), but the activity's actor is %s", clip(signer.Owner), clip(signer.KeyID), clip(a.Actor))
	}
	if wait := ib.hosts.take(hostOf(a.Actor), ib.now()); wait > 0 {
		return verdict{status: http.StatusTooManyRequests, label: "rate_limited", retryAfter: wait,
			reason: fmt.Sprintf("more than %d activities a minute from %s", ib.hosts.perMinute, hostOf(a.Actor))}
	}
	return ib.handleOnce(ctx, a, target)
}

// handleOnce dispatches an activity unless it was handled before, and records it only once handled,
// so a request that failed half-way is handled again when the sender retries. Ids are remembered per
// actor: an id seen from one actor says nothing about another's.
func (ib *Inbox) handleOnce(ctx context.Context, a activity, target string) verdict {
	seen, err := ib.store.Seen(ctx, seenKey(a))
	if err != nil {
		return ib.storeFailed(err)
	}
	if seen {
		return accepted("duplicate", "activity "+a.ID+" was handled before")
	}
	v := ib.dispatch(ctx, a, target)
	// An activity that changed nothing (ignored: an actor deleted elsewhere, a Note of someone this
	// instance does not watch) is not recorded: handling it again changes nothing either, and the
	// floods an instance meets (a deleted account's Delete sent to every server that knew it) then
	// cost no durable write each.
	if v.status < 300 && !v.seenMarked && v.label != ignoredLabel {
		if err := ib.store.MarkSeen(ctx, seenKey(a), ib.now()); err != nil {
			return ib.storeFailed(err)
		}
	}
	return v
}

// seenKey is what the seen set remembers of an activity: its actor and its id.
func seenKey(a activity) string { return a.Actor + " " + a.ID }

// storeFailed is the answer when the store (or anything else on this side) fails: the sender should
// try again, and learns nothing of why.
func (ib *Inbox) storeFailed(err error) verdict {
	return unavailable("unavailable", "temporarily unavailable; try again later", err)
}

// signatureVerdict turns a verification error into the answer Mastodon gives (INTEROP.md). Only the
// refusal's Reason is sent: its cause (a dial error, an address, a remote status) is for the log.
func signatureVerdict(err error) verdict {
	e, ok := refusal.As(err)
	if !ok {
		return verdict{status: http.StatusUnauthorized, label: "bad_signature", reason: "signature does not verify", err: err}
	}
	v := verdict{status: e.Status, label: "bad_signature", reason: e.Reason, err: e.Err}
	switch e.Status {
	case http.StatusBadRequest:
		v.label = "malformed_signature"
	case http.StatusServiceUnavailable:
		v.label, v.retryAfter = "key_unavailable", RetryLater
	}
	return v
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
	case "Follow", "Undo", "Accept", "Reject", "Delete", "Create", "Update", "Announce", "Like", "Move", "Block", "Flag", "Add", "Remove", "Offer":
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

// byteBudget is a semaphore counted in bytes: what the inbox's bodies may hold at once. It never
// waits: a request that does not fit is turned away, since a sender that is told to retry later
// costs less than one that holds a connection while it waits.
type byteBudget struct {
	mu    sync.Mutex
	used  int64
	limit int64
	gauge interface{ Add(float64) }
}

func newByteBudget(limit int64, gauge interface{ Add(float64) }) *byteBudget {
	return &byteBudget{limit: limit, gauge: gauge}
}

// take reserves n bytes, or reports false when they do not fit.
func (b *byteBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.limit {
		return false
	}
	b.used += n
	b.gauge.Add(float64(n))
	return true
}

// give returns n bytes taken before.
func (b *byteBudget) give(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	b.gauge.Add(-float64(n))
}

// hostLimiter is a token bucket per remote host, in memory: each replica limits what reaches it.
type hostLimiter struct {
	perMinute int // negative: no limit
	mu        sync.Mutex
	buckets   map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was counted
}

// maxBuckets bounds the hosts remembered: past it, hosts whose bucket has refilled are forgotten,
// which changes nothing for them.
const maxBuckets = 10000

func newHostLimiter(perMinute int) *hostLimiter {
	return &hostLimiter{perMinute: perMinute, buckets: map[string]*bucket{}}
}

// take spends a token of host's, and returns 0, or how long until one is there.
func (l *hostLimiter) take(host string, now time.Time) time.Duration {
	if l.perMinute < 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(host, now)
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.rate() * float64(time.Second))
	}
	b.tokens--
	return 0
}

// bucket is host's bucket, refilled up to now.
func (l *hostLimiter) bucket(host string, now time.Time) *bucket {
	b, ok := l.buckets[host]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.forgetFull(now)
		}
		b = &bucket{tokens: float64(l.perMinute), at: now}
		l.buckets[host] = b
	}
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = min(float64(l.perMinute), b.tokens+elapsed*l.rate())
		b.at = now
	}
	return b
}

// rate is tokens a second.
func (l *hostLimiter) rate() float64 { return float64(l.perMinute) / 60 }

func (l *hostLimiter) forgetFull(now time.Time) {
	for host, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate() >= float64(l.perMinute) {
			delete(l.buckets, host)
		}
	}
}
