package testpeer

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// StatusError is an answer outside 2xx.
type StatusError struct {
	Method, URL string
	Status      int
	Body        []byte
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), clip(e.Body))
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// fetcher is the actor whose key signs the peer's GETs: the first one named.
func (p *Peer) fetcher() *Actor {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.actors[p.order[0]]
}

// sign signs req as the dialect does, with go-fed: the Host and Date headers are set (Date from date),
// then go-fed adds Digest (of digestOf, normally the body; nil for a GET) and Signature.
func (p *Peer) sign(req *http.Request, a *Actor, date time.Time, digestOf []byte) error {
	return p.signAs(req, a, a.KeyID, date, digestOf)
}

// signAs is sign with a keyId of the caller's choice.
func (p *Peer) signAs(req *http.Request, a *Actor, keyID string, date time.Time, digestOf []byte) error {
	req.Host = req.URL.Host
	req.Header.Set("Host", req.URL.Host)
	req.Header.Set("Date", date.UTC().Format(http.TimeFormat))
	req.Header.Del("Digest")
	req.Header.Del("Signature")
	var headers []string
	switch {
	case req.Method == http.MethodPost && p.Dialect == Mastodon:
		headers = []string{httpsig.RequestTarget, "host", "date", "digest", "content-type"}
	case req.Method == http.MethodPost:
		headers = []string{httpsig.RequestTarget, "host", "date", "digest"}
	case p.Dialect == Mastodon:
		headers = []string{httpsig.RequestTarget, "host", "date", "accept"}
	default:
		headers = []string{httpsig.RequestTarget, "host", "date"}
	}
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return err
	}
	if req.Method == http.MethodPost && digestOf == nil {
		digestOf = []byte{}
	}
	if err := signer.SignRequest(a.key, keyID, req, digestOf); err != nil {
		return err
	}
	if p.Dialect == Mastodon { // go-fed always writes hs2019; Mastodon writes rsa-sha256
		req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1))
	}
	return nil
}

// get fetches rawURL, signed by the peer's first actor when signed is set, and returns the body and
// its Content-Type.
func (p *Peer) get(ctx context.Context, rawURL, accept string, signed bool) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "testpeer ("+p.Dialect.String()+"; +"+p.URL+"/)")
	if signed {
		if err := p.sign(req, p.fetcher(), p.now(), nil); err != nil {
			return nil, "", err
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode/100 != 2 {
		return nil, "", &StatusError{Method: http.MethodGet, URL: rawURL, Status: resp.StatusCode, Body: body}
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// Get fetches an ActivityPub document as the dialect does (GoToSocial signs every GET; Mastodon signs
// its lookups) and returns its body.
func (p *Peer) Get(ctx context.Context, rawURL string) ([]byte, error) {
	body, _, err := p.get(ctx, rawURL, p.Dialect.accept(), true)
	return body, err
}

// RemoteActor is an actor document another server serves, as the peer read and checked it.
type RemoteActor struct {
	ID                string
	Type              string
	PreferredUsername string
	Inbox             string
	SharedInbox       string // "" when the actor names none
	Followers         string
	KeyID             string
	PublicKey         *rsa.PublicKey
	ContentType       string
	Raw               []byte
}

// DeliveryInbox is where activities for this actor go: its shared inbox when it has one.
func (a *RemoteActor) DeliveryInbox() string {
	if a.SharedInbox != "" {
		return a.SharedInbox
	}
	return a.Inbox
}

// Lookup finds an account by its address ("@name@host:port") as a user's search does: WebFinger with
// Accept application/jrd+json, then the actor document its self link names.
func (p *Peer) Lookup(ctx context.Context, handle string) (*RemoteActor, error) {
	name, host, ok := strings.Cut(strings.TrimPrefix(handle, "@"), "@")
	if !ok || name == "" || host == "" {
		return nil, fmt.Errorf("lookup %q: want @name@host", handle)
	}
	acct := "acct:" + name + "@" + host
	wfURL := "http://" + host + "/.well-known/webfinger?resource=" + url.QueryEscape(acct)
	body, ct, err := p.get(ctx, wfURL, "application/jrd+json, application/json", p.Dialect == GoToSocial)
	if err != nil {
		return nil, fmt.Errorf("webfinger %s: %w", acct, err)
	}
	if mt, _, _ := mime.ParseMediaType(ct); mt != JRDJSON && mt != "application/json" {
		return nil, fmt.Errorf("webfinger %s: Content-Type %q, want application/jrd+json", acct, ct)
	}
	var jrd struct {
		Subject string `json:"subject"`
		Links   []struct {
			Rel  string `json:"rel"`
			Type string `json:"type"`
			Href string `json:"href"`
		} `json:"links"`
	}
	if err := json.Unmarshal(body, &jrd); err != nil {
		return nil, fmt.Errorf("webfinger %s: %w", acct, err)
	}
	if !strings.EqualFold(jrd.Subject, acct) {
		return nil, fmt.Errorf("webfinger %s: subject is %q", acct, jrd.Subject)
	}
	var self string
	for _, l := range jrd.Links {
		if mt, _, _ := mime.ParseMediaType(l.Type); l.Rel == "self" && (mt == "application/activity+json" || mt == "application/ld+json") {
			self = l.Href
		}
	}
	if self == "" {
		return nil, fmt.Errorf("webfinger %s: no self link of an ActivityPub type", acct)
	}
	return p.FetchActor(ctx, self)
}

// FetchActor fetches and checks an actor document: an ActivityPub Content-Type, an actor type, an id
// equal to the URL fetched, an http(s) inbox, a publicKey owned by the actor with an RSA key, and an
// http(s) endpoints.sharedInbox when there is one.
func (p *Peer) FetchActor(ctx context.Context, id string) (*RemoteActor, error) {
	body, ct, err := p.get(ctx, id, p.Dialect.accept(), true)
	if err != nil {
		return nil, fmt.Errorf("fetch actor: %w", err)
	}
	if mt, _, _ := mime.ParseMediaType(ct); mt != "application/activity+json" && mt != "application/ld+json" {
		return nil, fmt.Errorf("actor %s: Content-Type %q is not an ActivityPub type", id, ct)
	}
	var doc struct {
		Context           json.RawMessage `json:"@context"`
		ID                string          `json:"id"`
		Type              json.RawMessage `json:"type"`
		PreferredUsername string          `json:"preferredUsername"`
		Inbox             string          `json:"inbox"`
		Followers         string          `json:"followers"`
		Endpoints         *struct {
			SharedInbox string `json:"sharedInbox"`
		} `json:"endpoints"`
		PublicKey *struct {
			ID           string `json:"id"`
			Owner        string `json:"owner"`
			PublicKeyPem string `json:"publicKeyPem"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("actor %s: %w", id, err)
	}
	a := &RemoteActor{ID: doc.ID, Type: firstString(doc.Type), PreferredUsername: doc.PreferredUsername,
		Inbox: doc.Inbox, Followers: doc.Followers, ContentType: ct, Raw: body}
	var errs []error
	if !strings.Contains(string(doc.Context), asContext) {
		errs = append(errs, errors.New("@context lacks ActivityStreams"))
	}
	switch a.Type {
	case "Application", "Group", "Organization", "Person", "Service":
	default:
		errs = append(errs, fmt.Errorf("type %q is not an actor type", a.Type))
	}
	if a.ID != id {
		errs = append(errs, fmt.Errorf("id %q is not the URL fetched", a.ID))
	}
	if a.PreferredUsername == "" {
		errs = append(errs, errors.New("no preferredUsername"))
	}
	if !isHTTPURL(a.Inbox) {
		errs = append(errs, fmt.Errorf("inbox %q is not an http(s) URL", a.Inbox))
	}
	if doc.Endpoints != nil {
		a.SharedInbox = doc.Endpoints.SharedInbox
		if a.SharedInbox != "" && !isHTTPURL(a.SharedInbox) {
			errs = append(errs, fmt.Errorf("endpoints.sharedInbox %q is not an http(s) URL", a.SharedInbox))
		}
	}
	if doc.PublicKey == nil {
		errs = append(errs, errors.New("no publicKey"))
	} else {
		a.KeyID = doc.PublicKey.ID
		if doc.PublicKey.Owner != a.ID {
			errs = append(errs, fmt.Errorf("publicKey.owner %q is not the actor", doc.PublicKey.Owner))
		}
		if a.PublicKey, err = parseRSAPublicKey(doc.PublicKey.PublicKeyPem); err != nil {
			errs = append(errs, fmt.Errorf("publicKey: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("actor %s: %w", id, err)
	}
	if p.keepKeys {
		p.mu.Lock()
		p.keys[a.KeyID] = cachedKey{key: a.PublicKey, owner: a.ID}
		p.mu.Unlock()
	}
	return a, nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// PostOptions shape a raw POST. The zero value is a delivery as the dialect sends it, signed by the
// peer's first actor.
type PostOptions struct {
	As          string      // the actor whose key signs; "" is the peer's first actor
	Unsigned    bool        // send no Signature (and no Digest)
	ContentType string      // default: the dialect's
	Date        time.Time   // the signed Date; default now
	DigestOf    []byte      // sign a Digest of these bytes instead of the body's
	KeyID       string      // claim this keyId instead of the signing actor's own
	Header      http.Header // extra headers, set before signing
}

// Response is an answer to a raw POST.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// ErrorMessage is the "error" member of a JSON error answer, "" when there is none.
func (r *Response) ErrorMessage() string {
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Error
}

// Post sends body to target as the options say, and returns the answer whatever its status: for
// hostile tests.
func (p *Peer) Post(ctx context.Context, target string, body []byte, o PostOptions) (*Response, error) {
	req, err := p.NewPost(ctx, target, body, o)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: answer}, nil
}

// NewPost makes the request Post sends, signed as the options say, for a caller to send itself: a
// load test signs its requests before it measures.
func (p *Peer) NewPost(ctx context.Context, target string, body []byte, o PostOptions) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	ct := o.ContentType
	if ct == "" {
		ct = p.Dialect.contentType()
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Accept", p.Dialect.accept())
	req.Header.Set("User-Agent", "testpeer ("+p.Dialect.String()+"; +"+p.URL+"/)")
	for k, vs := range o.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if !o.Unsigned {
		name := o.As
		if name == "" {
			name = p.order[0]
		}
		a := p.Actor(name)
		if a == nil {
			return nil, fmt.Errorf("no actor %q on this peer", name)
		}
		date := o.Date
		if date.IsZero() {
			date = p.now()
		}
		digestOf := o.DigestOf
		if digestOf == nil {
			digestOf = body
		}
		keyID := o.KeyID
		if keyID == "" {
			keyID = a.KeyID
		}
		if err := p.signAs(req, a, keyID, date, digestOf); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// deliver POSTs an activity signed by the actor, and wants a 2xx answer.
func (p *Peer) deliver(ctx context.Context, actor, inbox string, activity any) ([]byte, error) {
	body, err := json.Marshal(activity)
	if err != nil {
		return nil, err
	}
	resp, err := p.Post(ctx, inbox, body, PostOptions{As: actor})
	if err != nil {
		return nil, err
	}
	if resp.Status/100 != 2 {
		return nil, &StatusError{Method: http.MethodPost, URL: inbox, Status: resp.Status, Body: resp.Body}
	}
	return body, nil
}

// Follow is a Follow the peer sent.
type Follow struct {
	ID     string
	Actor  string // the follower, an actor of this peer
	Object string // the followed actor
	Inbox  string // where it was sent
	Body   []byte // exactly as sent
	name   string
	target *RemoteActor
}

// Follow makes the actor called actorName follow target, sending the Follow where the dialect sends
// it: Mastodon to the target's own inbox, GoToSocial to its shared inbox when it has one.
func (p *Peer) Follow(ctx context.Context, actorName string, target *RemoteActor) (*Follow, error) {
	a := p.Actor(actorName)
	if a == nil {
		return nil, fmt.Errorf("no actor %q on this peer", actorName)
	}
	f := &Follow{Actor: a.ID, Object: target.ID, name: actorName, target: target, Inbox: p.inboxFor(target)}
	if p.Dialect == GoToSocial {
		f.ID = a.ID + "/follow/" + randomHex(13)
	} else {
		f.ID = p.URL + "/" + randomHex(16)
	}
	body, err := p.deliver(ctx, actorName, f.Inbox, map[string]any{
		"@context": asContext, "id": f.ID, "type": "Follow", "actor": a.ID, "object": target.ID,
	})
	if err != nil {
		return nil, fmt.Errorf("follow %s: %w", target.ID, err)
	}
	f.Body = body
	p.mu.Lock()
	p.follows[f.ID] = f
	p.mu.Unlock()
	return f, nil
}

// inboxFor is where the dialect sends Follow and Undo.
func (p *Peer) inboxFor(target *RemoteActor) string {
	if p.Dialect == GoToSocial {
		return target.DeliveryInbox()
	}
	return target.Inbox
}

// Accepted returns the verified Accept of f, signed by the followed actor, if one came.
func (p *Peer) Accepted(f *Follow) (Delivery, bool) {
	for _, d := range p.ReceivedOfType("Accept") {
		if d.Actor == f.Object && d.Signer == f.Object && idOf(d.Object) == f.ID {
			return d, true
		}
	}
	return Delivery{}, false
}

// Undo withdraws f with an Undo embedding it, sent where the Follow went.
func (p *Peer) Undo(ctx context.Context, f *Follow) error {
	var follow map[string]any
	if err := json.Unmarshal(f.Body, &follow); err != nil {
		return err
	}
	delete(follow, "@context")
	_, err := p.deliver(ctx, f.name, p.inboxFor(f.target), map[string]any{
		"@context": asContext, "id": f.ID + "/undo", "type": "Undo", "actor": f.Actor, "object": follow,
	})
	if err != nil {
		return fmt.Errorf("undo %s: %w", f.ID, err)
	}
	p.mu.Lock()
	delete(p.follows, f.ID)
	p.mu.Unlock()
	return nil
}

// Delete deletes the actor called actorName: from now on its documents answer 410 Gone, and a Delete
// of itself, signed with its key, goes to the delivery inbox of everyone it follows.
func (p *Peer) Delete(ctx context.Context, actorName string) error {
	a := p.Actor(actorName)
	if a == nil {
		return fmt.Errorf("no actor %q on this peer", actorName)
	}
	p.mu.Lock()
	p.deleted[actorName] = true
	inboxes := map[string]bool{}
	for _, f := range p.follows {
		if f.name == actorName {
			inboxes[f.target.DeliveryInbox()] = true
		}
	}
	p.mu.Unlock()
	var errs []error
	for inbox := range inboxes {
		_, err := p.deliver(ctx, actorName, inbox, map[string]any{
			"@context": asContext, "id": a.ID + "#delete", "type": "Delete", "actor": a.ID, "object": a.ID,
			"to": []string{Public},
		})
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
