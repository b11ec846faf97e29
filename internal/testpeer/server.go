package testpeer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// maxBody is the largest delivery the peer reads, as Mastodon.
const maxBody = 1 << 20

func (p *Peer) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/webfinger", p.webfinger)
	mux.HandleFunc("GET /users/{name}", p.actorDocument)
	mux.HandleFunc("GET /users/{name}/main-key", p.keyDocument)
	mux.HandleFunc("GET /users/{name}/{collection}", p.collection)
	mux.HandleFunc("POST /users/{name}/inbox", p.inbox)
	mux.HandleFunc("POST /inbox", func(w http.ResponseWriter, r *http.Request) {
		if p.Dialect == GoToSocial { // GoToSocial has no shared inbox
			writeError(w, http.StatusNotFound, "404 page not found")
			return
		}
		p.inbox(w, r)
	})
	return mux
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func writeDoc(w http.ResponseWriter, contentType string, doc any) {
	w.Header().Set("Content-Type", contentType)
	json.NewEncoder(w).Encode(doc)
}

// liveActor returns the actor named in the path, answering 404 (unknown) or 410 (deleted) otherwise.
func (p *Peer) liveActor(w http.ResponseWriter, name string) *Actor {
	p.mu.Lock()
	a, gone := p.actors[name], p.deleted[name]
	p.mu.Unlock()
	switch {
	case a == nil:
		writeError(w, http.StatusNotFound, "no actor "+name)
		return nil
	case gone:
		writeError(w, http.StatusGone, "actor "+name+" was deleted")
		return nil
	}
	return a
}

func (p *Peer) webfinger(w http.ResponseWriter, r *http.Request) {
	p.checkFetch(r, false)
	resource := r.URL.Query().Get("resource")
	rest, ok := strings.CutPrefix(resource, "acct:")
	name, host, _ := strings.Cut(rest, "@")
	if !ok || !strings.EqualFold(host, p.Host) {
		writeError(w, http.StatusNotFound, "no such resource")
		return
	}
	a := p.liveActor(w, strings.ToLower(name))
	if a == nil {
		return
	}
	writeDoc(w, JRDJSON, map[string]any{
		"subject": "acct:" + a.Name + "@" + p.Host,
		"aliases": []string{a.ID},
		"links": []map[string]string{
			{"rel": "self", "type": ActivityJSON, "href": a.ID},
			{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": a.ID},
		},
	})
}

// actorDocument serves an actor; GoToSocial answers 401 unless the GET is validly signed.
func (p *Peer) actorDocument(w http.ResponseWriter, r *http.Request) {
	if !p.checkFetch(r, p.Dialect == GoToSocial) {
		writeError(w, http.StatusUnauthorized, "signature required")
		return
	}
	a := p.liveActor(w, r.PathValue("name"))
	if a == nil {
		return
	}
	doc := map[string]any{
		"@context":                  []any{asContext, "https://w3id.org/security/v1"},
		"id":                        a.ID,
		"type":                      "Person",
		"preferredUsername":         a.Name,
		"name":                      a.Name + " on a " + p.Dialect.String() + " test peer",
		"inbox":                     a.Inbox,
		"outbox":                    a.ID + "/outbox",
		"followers":                 a.ID + "/followers",
		"following":                 a.ID + "/following",
		"url":                       a.ID,
		"manuallyApprovesFollowers": false,
		"publicKey":                 map[string]string{"id": a.KeyID, "owner": a.ID, "publicKeyPem": a.pem},
	}
	if p.Dialect == Mastodon {
		doc["endpoints"] = map[string]string{"sharedInbox": p.URL + "/inbox"}
	}
	writeDoc(w, ActivityJSON, doc)
}

// keyDocument serves GoToSocial's ACTOR/main-key to unsigned GETs: the actor reduced to its id,
// username and key, as GoToSocial does.
func (p *Peer) keyDocument(w http.ResponseWriter, r *http.Request) {
	p.checkFetch(r, false)
	if p.Dialect != GoToSocial {
		writeError(w, http.StatusNotFound, "404 page not found")
		return
	}
	a := p.liveActor(w, r.PathValue("name"))
	if a == nil {
		return
	}
	writeDoc(w, ActivityJSON, map[string]any{
		"@context":          []any{asContext, "https://w3id.org/security/v1"},
		"id":                a.ID,
		"type":              "Person",
		"preferredUsername": a.Name,
		"publicKey":         map[string]string{"id": a.KeyID, "owner": a.ID, "publicKeyPem": a.pem},
	})
}

// collection serves an empty outbox, followers or following.
func (p *Peer) collection(w http.ResponseWriter, r *http.Request) {
	if !p.checkFetch(r, p.Dialect == GoToSocial) {
		writeError(w, http.StatusUnauthorized, "signature required")
		return
	}
	a := p.liveActor(w, r.PathValue("name"))
	if a == nil {
		return
	}
	c := r.PathValue("collection")
	if c != "outbox" && c != "followers" && c != "following" {
		writeError(w, http.StatusNotFound, "404 page not found")
		return
	}
	writeDoc(w, ActivityJSON, map[string]any{"@context": asContext, "id": a.ID + "/" + c,
		"type": "OrderedCollection", "totalItems": 0})
}

// checkFetch records a GET and verifies its signature when it has one. It reports false when required
// is set and the GET is not validly signed.
func (p *Peer) checkFetch(r *http.Request, required bool) bool {
	f := Fetch{Path: r.URL.Path, Accept: r.Header.Get("Accept"), Signed: r.Header.Get("Signature") != "", Status: http.StatusOK}
	if f.Signed && (required || !p.unchecked) {
		sig, err := p.verifySignature(r.Context(), r, nil, []string{"(request-target)", "host", "date"})
		f.KeyID, f.Signer, f.Err = sig.keyID, sig.owner, err
	} else if required {
		f.Err = errors.New("GET is not signed")
	}
	ok := !required || f.Err == nil
	if !ok {
		f.Status = http.StatusUnauthorized
	}
	p.mu.Lock()
	p.fetches = append(p.fetches, f)
	if f.Err != nil && f.Signed {
		p.failures = append(p.failures, Delivery{Path: r.URL.Path, Header: headerWithHost(r), KeyID: f.KeyID,
			Status: f.Status, Err: fmt.Errorf("GET %s: %w", r.URL.Path, f.Err), At: p.now()})
	}
	p.mu.Unlock()
	return ok
}

// inbox verifies a delivery on its own, records it, and answers 202 (or why it was refused).
func (p *Peer) inbox(w http.ResponseWriter, r *http.Request) {
	d := Delivery{Path: r.URL.Path, Header: headerWithHost(r), At: p.now()}
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	d.Body = body

	p.mu.Lock()
	p.attempts++
	injected, delay := p.failLeft > 0, p.delay
	if injected {
		p.failLeft--
		d.Status = p.failStatus
		p.refused = append(p.refused, d)
	}
	p.mu.Unlock()
	// A slow server: the delivery counts only if the sender is still there to hear the answer, so a
	// sender that dies while waiting must deliver it again.
	if !sleep(r.Context(), delay) {
		p.mu.Lock()
		p.abandoned++
		p.mu.Unlock()
		return
	}
	if injected {
		writeError(w, d.Status, "failing on purpose")
		return
	}

	status, err := p.checkDelivery(r, body, readErr, &d)
	d.Status = status
	p.mu.Lock()
	switch {
	case err != nil:
		d.Err = err
		p.failures = append(p.failures, d)
	case p.onReceive == nil:
		p.received = append(p.received, d)
	}
	p.mu.Unlock()
	if err == nil && p.onReceive != nil {
		p.onReceive(p, d)
	}
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// checkDelivery is what a receiving server checks of a POST before it believes it, and the status it
// answers when it does not.
func (p *Peer) checkDelivery(r *http.Request, body []byte, readErr error, d *Delivery) (int, error) {
	if name := r.PathValue("name"); name != "" {
		p.mu.Lock()
		a, gone := p.actors[name], p.deleted[name]
		p.mu.Unlock()
		if a == nil || gone {
			return http.StatusNotFound, fmt.Errorf("no actor %q here", name)
		}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/activity+json" && mt != "application/ld+json") {
		status := http.StatusUnsupportedMediaType
		if p.Dialect == GoToSocial {
			status = http.StatusNotAcceptable
		}
		return status, fmt.Errorf("Content-Type %q is not an ActivityPub type", r.Header.Get("Content-Type"))
	}
	if readErr != nil {
		return http.StatusBadRequest, fmt.Errorf("reading the body: %w", readErr)
	}
	if len(body) > maxBody {
		return http.StatusRequestEntityTooLarge, errors.New("body larger than 1 MiB")
	}
	var doc struct {
		ID     string          `json:"id"`
		Type   json.RawMessage `json:"type"`
		Actor  json.RawMessage `json:"actor"`
		Object json.RawMessage `json:"object"`
	}
	parseErr := json.Unmarshal(body, &doc)
	d.ID, d.Type, d.Actor, d.Object, d.ObjectID = doc.ID, firstString(doc.Type), idOf(doc.Actor), doc.Object, idOf(doc.Object)
	sig, err := p.verifySignature(r.Context(), r, body, []string{"(request-target)", "host", "date", "digest"})
	d.KeyID, d.Signer = sig.keyID, sig.owner
	if err != nil {
		if errors.Is(err, errKeyUnavailable) {
			return http.StatusServiceUnavailable, err
		}
		return http.StatusUnauthorized, err
	}
	if parseErr != nil {
		return http.StatusBadRequest, fmt.Errorf("body is not a JSON object: %w", parseErr)
	}
	if d.Actor == "" || d.ID == "" || d.Type == "" {
		return http.StatusBadRequest, errors.New("activity without id, type or actor")
	}
	if d.Actor != sig.owner {
		return http.StatusUnauthorized, fmt.Errorf("signed by %s (key %s), but the activity's actor is %s", sig.owner, sig.keyID, d.Actor)
	}
	return http.StatusAccepted, nil
}

func headerWithHost(r *http.Request) http.Header {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Host", r.Host)
	return h
}

// sleep waits d, and reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// firstString reads a string, or the first string of an array.
func firstString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		return list[0]
	}
	return ""
}
