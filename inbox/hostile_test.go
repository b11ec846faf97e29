package inbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"baton/inbox"
	"baton/internal/hostile"
)

// An activity id is bound to its actor's origin: nobody can send another server's next id first
// and have the real activity dropped as a repeat.
func TestActivityIDOnActorsOrigin(t *testing.T) {
	e := newEnv(t, envOptions{})
	evil, victim := hostile.New(t), hostile.New(t)
	mallory, alice := evil.Actor("mallory"), victim.Actor("alice")

	for _, id := range []string{
		base + "/notices/7/activity", // an upstream's next Create
		alice.ID + "#delete",         // Mastodon's Delete of alice
		victim.NewID("follows"),
		"urn:uuid:0b9a1c7e-5d3c-4b59-9d0e-2c8f8f8f8f8f",
		evil.URL + "@victim.example/1", // userinfo: the host is victim.example
	} {
		a := e.post(mallory, "/inbox", hostile.Body(mallory.Activity("Like", id, base+"/notices/1")))
		want(t, "an activity with id "+id, a, http.StatusBadRequest, "is not on its actor's origin")
	}
	// mallory's own ids are hers to send.
	a := e.post(mallory, "/inbox", hostile.Body(mallory.Activity("Like", evil.NewID("likes"), base+"/notices/1")))
	want(t, "mallory's own Like", a, http.StatusAccepted)
}

// Ids are remembered per actor: one actor's id does not make another's activity a repeat, and an
// actor's own repeat is still one.
func TestSeenPerActor(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := hostile.New(t)
	mallory, alice := p.Actor("mallory"), p.Actor("alice")
	id := p.NewID("activities")
	want(t, "mallory's Like", e.post(mallory, "/inbox", hostile.Body(mallory.Activity("Like", id, base+"/notices/1"))), http.StatusAccepted)
	follow := hostile.Body(alice.Activity("Follow", id, base+"/users/xz"))
	a := e.post(alice, "/inbox", follow)
	if a.Status != http.StatusAccepted || a.Label != "accepted" {
		t.Fatalf("alice's Follow under an id mallory sent first: %d %s %s, want 202 accepted", a.Status, a.Label, a.Error)
	}
	if e.followers() != 1 {
		t.Fatalf("followers = %d, want alice", e.followers())
	}
	if a := e.post(alice, "/inbox", follow); a.Label != "duplicate" {
		t.Errorf("alice's Follow again: %d %s, want 202 duplicate", a.Status, a.Label)
	}
}

// An activity that changed nothing is not recorded as seen: sent again, it is ignored again, and no
// write was made for it. One that changed something is recorded, and its repeat is a duplicate.
func TestIgnoredActivitiesAreNotRecorded(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := hostile.New(t)
	mallory := p.Actor("mallory")
	like := hostile.Body(mallory.Activity("Like", mallory.NewID("likes"), base+"/notices/1"))
	for range 2 {
		if a := e.post(mallory, "/inbox", like); a.Status != http.StatusAccepted || a.Label != "ignored" {
			t.Fatalf("mallory's Like: %d %s %s, want 202 ignored each time", a.Status, a.Label, a.Error)
		}
	}
	var doc struct{ ID, Actor string }
	if err := json.Unmarshal(like, &doc); err != nil {
		t.Fatal(err)
	}
	if seen, err := e.store.Seen(context.Background(), doc.Actor+" "+doc.ID); err != nil || seen {
		t.Errorf("an ignored Like recorded as seen: %v, %v", seen, err)
	}
}

// A POST's signature must cover where it was sent: (request-target), host, date and digest, and the
// host must be this instance's. Refused before any key is fetched.
func TestSignatureCoversWhereItWent(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := hostile.New(t)
	mallory := p.Actor("mallory")
	like := func() []byte {
		return hostile.Body(mallory.Activity("Like", mallory.NewID("likes"), base+"/notices/1"))
	}
	tests := []struct {
		name   string
		opts   []hostile.Option
		status int
		why    string
	}{
		{"over date and digest only", []hostile.Option{hostile.SignedHeaders("date", "digest")}, 401, "(request-target) must be signed on POST"},
		{"without host", []hostile.Option{hostile.SignedHeaders("(request-target)", "date", "digest")}, 401, "Host must be signed on POST"},
		{"without (request-target)", []hostile.Option{hostile.SignedHeaders("host", "date", "digest")}, 401, "(request-target) must be signed on POST"},
		{"without digest", []hostile.Option{hostile.SignedHeaders("(request-target)", "host", "date")}, 401, "Digest must be signed on POST"},
		{"for another host", []hostile.Option{hostile.SignedFor("https://mastodon.example/inbox")}, 401, `signed for host "mastodon.example"`},
		{"for this host with its port", []hostile.Option{hostile.SignedFor("https://notices.example.org:443/inbox")}, 202, ""},
		{"keyId not a URL", []hostile.Option{hostile.KeyID("acct:mallory@" + p.Host)}, 400, "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := p.Fetches("mallory")
			a := e.post(mallory, "/inbox", like(), tt.opts...)
			want(t, tt.name, a, tt.status, tt.why)
			if tt.status >= 400 && p.Fetches("mallory") != before {
				t.Errorf("the key was fetched for a request refused from its headers")
			}
		})
	}
	// Signed for another path: the signature does not verify.
	a := e.post(mallory, "/inbox", like(), hostile.SignedFor(base+"/users/xz/inbox"))
	want(t, "signed for another path", a, http.StatusUnauthorized, "signature does not verify")
}

// Bodies are read only after the headers passed, and all bodies in flight hold at most
// MaxBodyBytesInFlight: past it the inbox answers 503 with Retry-After.
func TestBodiesInFlightAreCapped(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := hostile.New(t)
	mallory := p.Actor("mallory")
	body := hostile.Padded(mallory.Follow(base+"/users/xz"), inbox.MaxBodyBytes)

	// Unsigned, or too large: answered without a byte read.
	for _, tt := range []struct {
		name   string
		opts   []hostile.Option
		status int
	}{
		{"unsigned", []hostile.Option{hostile.Unsigned()}, http.StatusUnauthorized},
		{"stale", []hostile.Option{hostile.Dated(e.now().Add(-3 * time.Hour))}, http.StatusUnauthorized},
		{"malformed signature", []hostile.Option{hostile.Signature(`keyId="x`)}, http.StatusBadRequest},
		{"over 1 MiB", []hostile.Option{hostile.BodyFrom(hostile.Hold(body), inbox.MaxBodyBytes+1)}, http.StatusRequestEntityTooLarge},
	} {
		held := hostile.Hold(body)
		req := mallory.Post(base+"/inbox", body, append([]hostile.Option{hostile.Dated(e.now()), hostile.BodyFrom(held, int64(len(body)))}, tt.opts...)...)
		done := make(chan answer, 1)
		go func() { done <- e.send(req) }()
		select {
		case a := <-done:
			if a.Status != tt.status {
				t.Errorf("%s: %d %s, want %d", tt.name, a.Status, a.Error, tt.status)
			}
		case <-time.After(30 * time.Second):
			held.Release()
			t.Fatalf("%s: the inbox is reading the body of a request it could refuse from its headers", tt.name)
		}
		select {
		case <-held.Reading():
			t.Errorf("%s: the body was read", tt.name)
		default:
		}
		held.Release()
	}

	// Signed requests whose bodies are held one byte short: the cap's worth are read, the rest are
	// turned away at once.
	fit := int(inbox.MaxBodyBytesInFlight / inbox.MaxBodyBytes)
	const over = 8
	answers := make(chan answer, fit+over)
	var helds []*hostile.Held
	for range fit + over {
		req, held := mallory.HeldPost(base+"/inbox", body, hostile.Dated(e.now()))
		helds = append(helds, held)
		go func() { answers <- e.send(req) }()
	}
	release := func() {
		for _, h := range helds {
			h.Release()
		}
	}
	defer release()
	for i := range over {
		select {
		case a := <-answers:
			if a.Status != http.StatusServiceUnavailable || a.RetryAfter == "" {
				t.Fatalf("answer %d while the cap is held: %d (Retry-After %q) %s, want 503 with Retry-After", i, a.Status, a.RetryAfter, a.Error)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("after %d answers, %d requests are all still reading: bodies in flight are not capped", i, fit+over-i)
		}
	}
	if got := e.metric("baton_inbox_body_bytes_in_flight", nil); got != inbox.MaxBodyBytesInFlight {
		t.Errorf("bytes in flight = %v, want the cap %d", got, inbox.MaxBodyBytesInFlight)
	}
	if got := e.metric("baton_inbox_busy_total", nil); got != over {
		t.Errorf("busy = %v, want %d", got, over)
	}
	release()
	for range fit {
		if a := <-answers; a.Status != http.StatusBadRequest {
			t.Errorf("a held body whose sender hung up: %d %s, want 400", a.Status, a.Error)
		}
	}
	if got := e.metric("baton_inbox_body_bytes_in_flight", nil); got != 0 {
		t.Errorf("bytes in flight after every request ended = %v, want 0", got)
	}

	// A body of unknown length (chunked) is read too, and gives back all it reserved.
	like := hostile.Body(mallory.Activity("Like", mallory.NewID("likes"), base+"/notices/1"))
	a := e.post(mallory, "/inbox", like, hostile.BodyFrom(bytes.NewReader(like), -1))
	want(t, "a chunked Like", a, http.StatusAccepted)
	if got := e.metric("baton_inbox_body_bytes_in_flight", nil); got != 0 {
		t.Errorf("bytes in flight after a chunked request = %v, want 0", got)
	}
}

// Ids and URLs longer than MaxIDBytes are refused, naming the field.
func TestLongIDsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := hostile.New(t)
	mallory := p.Actor("mallory")
	long := hostile.LongURL(mallory.ID, inbox.MaxIDBytes+1)
	tests := []struct {
		field string
		doc   map[string]any
	}{
		{"id", mallory.Activity("Follow", long, base+"/users/xz")},
		{"actor", map[string]any{"id": mallory.NewID("follows"), "type": "Follow", "actor": long, "object": base + "/users/xz"}},
		{"object", mallory.Activity("Like", mallory.NewID("likes"), hostile.LongURL(base, inbox.MaxIDBytes+1))},
		{"object.object", mallory.Activity("Undo", mallory.NewID("undos"), map[string]any{
			"id": mallory.NewID("follows"), "type": "Follow", "actor": mallory.ID, "object": hostile.LongURL(base, inbox.MaxIDBytes+1)})},
	}
	for _, tt := range tests {
		a := e.post(mallory, "/inbox", hostile.Body(tt.doc))
		want(t, tt.field+" too long", a, http.StatusBadRequest, fmt.Sprintf("%s is longer than %d bytes", tt.field, inbox.MaxIDBytes))
	}
	ok := hostile.LongURL(mallory.ID+"/follows", inbox.MaxIDBytes)
	want(t, "an id of exactly MaxIDBytes", e.post(mallory, "/inbox", hostile.Body(mallory.Activity("Follow", ok, base+"/users/xz"))), http.StatusAccepted)
}

// A Follow padded to the limit is answered with an Accept that embeds only what identifies it.
func TestAcceptEmbedsTrimmedFollow(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := hostile.New(t)
	mallory := p.Actor("mallory")
	follow := mallory.Follow(base + "/users/xz")
	want(t, "a padded Follow", e.post(mallory, "/users/xz/inbox", hostile.Padded(follow, inbox.MaxBodyBytes)), http.StatusAccepted)
	queued := e.queued()
	if len(queued) != 1 {
		t.Fatalf("%d deliveries queued, want the Accept", len(queued))
	}
	body := queued[0].Activity.Body
	if len(body) > 4096 {
		t.Errorf("the Accept is %d bytes", len(body))
	}
	var accept struct {
		Type   string
		Object map[string]any
	}
	if err := json.Unmarshal(body, &accept); err != nil {
		t.Fatal(err)
	}
	wantObject := map[string]any{"id": follow["id"], "type": "Follow", "actor": mallory.ID, "object": base + "/users/xz"}
	if accept.Type != "Accept" || fmt.Sprint(accept.Object) != fmt.Sprint(wantObject) {
		t.Errorf("the Accept is %s of %.300v, want an Accept of %v", accept.Type, accept.Object, wantObject)
	}
	if queued[0].Inbox != mallory.Inbox {
		t.Errorf("the Accept goes to %s, want %s", queued[0].Inbox, mallory.Inbox)
	}
}

// One host delivers at most ActivitiesPerHostPerMinute a minute; past it, 429 with Retry-After, and
// other hosts are not held back.
func TestRateLimitPerHost(t *testing.T) {
	e := newEnv(t, envOptions{})
	p, other := hostile.New(t), hostile.New(t)
	actors := []*hostile.Actor{p.Actor("mallory"), p.Actor("mallet")} // one host, two actors
	like := func(a *hostile.Actor) []byte {
		return hostile.Body(a.Activity("Like", a.NewID("likes"), base+"/notices/1"))
	}
	for i := range inbox.ActivitiesPerHostPerMinute {
		a := actors[i%2]
		if got := e.post(a, "/inbox", like(a)); got.Status != http.StatusAccepted {
			t.Fatalf("activity %d of the host: %d %s", i, got.Status, got.Error)
		}
	}
	a := e.post(actors[0], "/inbox", like(actors[0]))
	want(t, "one activity more", a, http.StatusTooManyRequests, fmt.Sprintf("more than %d activities a minute from %s", inbox.ActivitiesPerHostPerMinute, p.Host))
	if a.RetryAfter == "" {
		t.Errorf("429 without Retry-After")
	}
	o := other.Actor("alice")
	want(t, "another host meanwhile", e.post(o, "/inbox", like(o)), http.StatusAccepted)
	e.advance(time.Minute)
	want(t, "a minute later", e.post(actors[1], "/inbox", like(actors[1])), http.StatusAccepted)
}

// A store that fails is not a store that says "no such actor": the sender is told to retry.
func TestStoreErrorsAreRetried(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := hostile.New(t)
	alice := p.Actor("alice")
	want(t, "a Follow of an actor that does not exist", e.post(alice, "/users/nobody/inbox", hostile.Body(alice.Follow(base+"/users/nobody"))),
		http.StatusNotFound, `no actor "nobody"`)
	e.store.down.Store(true)
	for _, path := range []string{"/users/xz/inbox", "/inbox"} {
		a := e.post(alice, path, hostile.Body(alice.Follow(base+"/users/xz")))
		want(t, "a Follow to "+path+" during an outage", a, http.StatusServiceUnavailable, "try again later")
		if a.RetryAfter == "" {
			t.Errorf("503 without Retry-After")
		}
		if strings.Contains(a.Error, "10.0.0.9") {
			t.Errorf("the answer names the store's address: %s", a.Error)
		}
	}
	e.store.down.Store(false)
	want(t, "the Follow after the outage", e.post(alice, "/users/xz/inbox", hostile.Body(alice.Follow(base+"/users/xz"))), http.StatusAccepted)
	if e.followers() != 1 {
		t.Errorf("followers = %d, want 1", e.followers())
	}
}

// A Follow whose follower and Accept could not be stored is not remembered as handled either: the
// sender's retry is handled as new, and then it has both.
func TestFollowStoredWholeOrRetried(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := hostile.New(t)
	alice := p.Actor("alice")
	follow := hostile.Body(alice.Follow(base + "/users/xz"))
	e.store.followsDown.Store(true)
	want(t, "a Follow the store could not take", e.post(alice, "/users/xz/inbox", follow), http.StatusServiceUnavailable, "try again later")
	if e.followers() != 0 || len(e.queued()) != 0 {
		t.Fatalf("after the failed Follow: %d followers, %d queued, want none", e.followers(), len(e.queued()))
	}
	e.store.followsDown.Store(false)
	if a := e.post(alice, "/users/xz/inbox", follow); a.Status != http.StatusAccepted || a.Label != "accepted" {
		t.Fatalf("the same Follow again: %d %s %s, want 202 accepted", a.Status, a.Label, a.Error)
	}
	if e.followers() != 1 || len(e.queued()) != 1 {
		t.Fatalf("after the retry: %d followers, %d queued, want 1 and its Accept", e.followers(), len(e.queued()))
	}
	if a := e.post(alice, "/users/xz/inbox", follow); a.Label != "duplicate" {
		t.Errorf("the Follow a third time: %d %s, want 202 duplicate", a.Status, a.Label)
	}
}

// Why a key or an actor could not be fetched stays in the log: the sender learns only that it could
// not be.
func TestFetchErrorsNotEchoed(t *testing.T) {
	e := newEnv(t, envOptions{refusePrivate: true})
	p := hostile.New(t)
	mallory := p.Actor("mallory")
	a := e.post(mallory, "/inbox", hostile.Body(mallory.Follow(base+"/users/xz")))
	// A key on a private address is refused for good (401: no retrying), with a reason that names no
	// dial error; the cause is in the log.
	want(t, "a key on a private address", a, http.StatusUnauthorized)
	if !strings.Contains(a.Error, "the key is refused") || strings.Contains(a.Error, "dial") || a.RetryAfter != "" {
		t.Errorf("answer %q (Retry-After %q), want the key refused, without the cause", a.Error, a.RetryAfter)
	}
	logged := e.logs.entries("inbox refused")
	if len(logged) != 1 || logged[0]["err"] == nil {
		t.Errorf("the log does not keep the cause: %v", logged)
	}

	// The follower's actor cannot be fetched once the key is cached.
	e = newEnv(t, envOptions{})
	want(t, "a Like, to cache the key", e.post(mallory, "/inbox", hostile.Body(mallory.Activity("Like", mallory.NewID("likes"), base+"/notices/1"))), http.StatusAccepted)
	p.Answer("mallory", http.StatusInternalServerError)
	a = e.post(mallory, "/inbox", hostile.Body(mallory.Follow(base+"/users/xz")))
	want(t, "a Follow by an actor whose document fails", a, http.StatusServiceUnavailable)
	if a.Error != "could not fetch the follower's actor" || strings.Contains(a.Error, p.Host) {
		t.Errorf("answer %q, want %q", a.Error, "could not fetch the follower's actor")
	}
}

// A follower whose inbox or shared inbox is on another origin is refused: nothing is recorded, and
// no Accept is aimed at someone else's server.
func TestFollowerInboxOnAnotherOrigin(t *testing.T) {
	for _, field := range []string{"inbox", "sharedInbox"} {
		t.Run(field, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			p := hostile.New(t)
			p.EditActor("mallory", func(doc map[string]any) {
				if field == "inbox" {
					doc["inbox"] = "https://victim.example/users/admin/inbox"
				} else {
					doc["endpoints"] = map[string]string{"sharedInbox": "https://victim.example/inbox"}
				}
			})
			mallory := p.Actor("mallory")
			a := e.post(mallory, "/users/xz/inbox", hostile.Body(mallory.Follow(base+"/users/xz")))
			want(t, "a Follow by an actor with a foreign "+field, a, http.StatusUnprocessableEntity, "is not on its actor's origin")
			if n, q := e.followers(), len(e.queued()); n != 0 || q != 0 {
				t.Errorf("after the refusal: %d followers, %d deliveries queued; want none", n, q)
			}
		})
	}
}

// Every refusal is logged with its reason.
func TestRefusalsLoggedWithReason(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := hostile.New(t)
	mallory := p.Actor("mallory")
	e.post(mallory, "/inbox", hostile.Body(mallory.Activity("Like", base+"/notices/9/activity", base+"/notices/1")))
	e.post(mallory, "/inbox", []byte(`{}`), hostile.Unsigned())
	logged := e.logs.entries("inbox refused")
	var reasons []string
	for _, l := range logged {
		reasons = append(reasons, fmt.Sprint(l["status"], " ", l["reason"]))
	}
	if len(reasons) != 2 || !strings.Contains(reasons[0], "400 activity id") || !strings.Contains(reasons[1], "401 request is not signed") ||
		!slices.ContainsFunc(logged, func(l map[string]any) bool { return l["actor"] == mallory.ID }) {
		t.Errorf("logged refusals: %q (%v)", reasons, logged)
	}
}

// An endorsement's Add must name a notice of this instance and carry a statement: one that names none
// is refused, one about another instance's notice is left alone, one about a notice that does not
// exist is a 404, and one that is no statement is refused with the reason.
func TestEndorsementAddRefusals(t *testing.T) {
	e := newEnv(t, envOptions{endorsements: true})
	p := hostile.New(t)
	mallory := p.Actor("mallory")
	add := func(target any, object any) []byte {
		doc := mallory.Activity("Add", p.NewID("adds"), object)
		if target != nil {
			doc["target"] = target
		}
		doc["id"] = mallory.NewID("adds")
		return hostile.Body(doc)
	}
	statement := map[string]any{"id": "urn:uuid:1", "type": "Statement"}
	want(t, "an Add without a target", e.post(mallory, "/users/xz/inbox", add(nil, statement)), http.StatusUnprocessableEntity, "names no notice")
	want(t, "an Add of a URL", e.post(mallory, "/users/xz/inbox", add(base+"/notices/1", "urn:uuid:1")), http.StatusUnprocessableEntity, "carries no statement")
	if a := e.post(mallory, "/users/xz/inbox", add("https://elsewhere.example/notices/1", statement)); a.Status != http.StatusAccepted || a.Label != "ignored" {
		t.Errorf("an Add to another instance's notice: %d %s, want 202 ignored", a.Status, a.Label)
	}
	want(t, "an Add to a notice that does not exist", e.post(mallory, "/users/xz/inbox", add(base+"/notices/9", statement)), http.StatusNotFound, "no notice")
}
