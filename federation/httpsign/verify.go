package httpsign

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Verify checks req as Mastodon does, then its signature. In order, cheapest first, so that a
// malformed, underspecified or stale request never costs a key fetch:
//   - everything Precheck checks;
//   - on POST (or whenever digest is signed) a Digest header whose SHA-256 value matches body;
//   - resolve(keyID, false) and verify; on failure resolve(keyID, true) once and verify again.
//
// The algorithm comes from the key's type (hs2019 hides it): RSA tries RSA-SHA256 then RSA-SHA512,
// Ed25519 tries Ed25519. (request-target) is tried with and without the query string, and with
// the path as sent and decoded, because servers disagree.
//
// req may be a server-side request (Host in req.Host, URL with only path and query); it is not
// modified. body is the full request body the server already read (may be nil for GET).
// Failures are *Error.
func Verify(ctx context.Context, req *http.Request, body []byte, now time.Time, resolve KeyResolver) (Verified, error) {
	c, err := Precheck(req, now)
	if err != nil {
		return Verified{}, err
	}
	return c.Verify(ctx, body, now, resolve)
}

// Prechecked is a request that passed Precheck, with its Signature header read: a server that
// prechecked a request before reading its body verifies it with Prechecked.Verify, and the header is
// neither read nor checked twice.
type Prechecked struct {
	req *http.Request
	p   params
	h   http.Header // the headers as go-fed must see them
}

// KeyID is the keyId of the Signature header.
func (c *Prechecked) KeyID() string { return c.p.keyID }

// Verify is Verify of the prechecked request, at now: the time window is checked again, since the
// body may have taken long to arrive.
func (c *Prechecked) Verify(ctx context.Context, body []byte, now time.Time, resolve KeyResolver) (Verified, error) {
	if e := checkTime(c.h, c.p, now); e != nil {
		return Verified{}, e
	}
	if method(c.req) == http.MethodPost || c.p.signs("digest") {
		if e := checkDigest(c.h, body); e != nil {
			return Verified{}, e
		}
	}
	verifiers, e := goFedVerifiers(c.req, c.h, c.p)
	if e != nil {
		return Verified{}, e
	}
	return verifyWithKey(ctx, c.p, verifiers, resolve)
}

// Precheck is what Verify checks with neither the body nor the key, so that a server can refuse a
// request before it reads a body or fetches anything:
//   - a Signature header (not Authorization) with keyId and signature; the keyId an http(s) URL of
//     at most MaxKeyIDBytes;
//   - algorithm absent, "rsa-sha256" or "hs2019";
//   - date or (created) signed; on POST also (request-target), host and digest; on GET and HEAD host,
//     and (request-target) or digest;
//   - the Host header, when the header map has one, the host the request was sent to (req.Host);
//   - every signed header present, and the signed Date (and (created)) inside the window described
//     at MaxClockSkew.
//
// Failures are *Error: 400 for what cannot be read, 401 for the rest.
func Precheck(req *http.Request, now time.Time) (*Prechecked, error) {
	p, e := readSignature(req.Header)
	if e != nil {
		return nil, e
	}
	for _, check := range []func() *Error{
		func() *Error { return checkKeyIDShape(p.keyID) },
		func() *Error { return checkAlgorithm(p) },
		func() *Error { return checkCoverage(method(req), p) },
		func() *Error { return checkHost(req) },
	} {
		if e := check(); e != nil {
			return nil, e
		}
	}
	h := headersForVerify(req, p)
	if e := checkTime(h, p, now); e != nil {
		return nil, e
	}
	if e := checkPresent(h, p); e != nil {
		return nil, e
	}
	return &Prechecked{req: req, p: p, h: h}, nil
}

func readSignature(h http.Header) (params, *Error) {
	if h.Get("Signature-Input") != "" {
		return params{}, unauthorized("RFC 9421 signatures are not supported yet; sign with draft-cavage HTTP Signatures")
	}
	values := h.Values("Signature")
	if len(values) == 0 || len(values) == 1 && strings.TrimSpace(values[0]) == "" {
		if h.Get("Authorization") != "" {
			return params{}, unauthorized("request is not signed: a Signature header is required, Authorization is not accepted")
		}
		return params{}, unauthorized("request is not signed")
	}
	if len(values) > 1 {
		return params{}, malformed("more than one Signature header")
	}
	p, err := parseParams(values[0])
	if err != nil {
		return params{}, &Error{Status: http.StatusBadRequest, Reason: "malformed Signature header: " + err.Error(), Err: err}
	}
	return p, nil
}

// checkAlgorithm accepts what Mastodon accepts. The value only gates: the algorithm used to
// verify comes from the key, so a header cannot ask for HMAC with a public key as the secret.
func checkAlgorithm(p params) *Error {
	switch p.algorithm {
	case "", "rsa-sha256", "hs2019":
		return nil
	}
	return unauthorized("unsupported algorithm %q (rsa-sha256 and hs2019 are supported)", clip(p.algorithm))
}

// checkCoverage enforces which headers must be signed: go-fed verifies whatever list the sender
// chose, even "date" alone. A POST must sign where it was sent ((request-target) and host), or a
// signature made for another server's inbox could be replayed to this one.
func checkCoverage(method string, p params) *Error {
	if !p.signs("date") && !p.signs(createdHeader) {
		return unauthorized("Date (or (created)) must be signed")
	}
	if method == http.MethodPost {
		for _, name := range []string{requestTarget, "host", "digest"} {
			if !p.signs(name) {
				return unauthorized("%s must be signed on POST", displayName(name))
			}
		}
		return nil
	}
	switch {
	case !p.signs(requestTarget) && !p.signs("digest"):
		return unauthorized("(request-target) (or Digest) must be signed")
	case (method == http.MethodGet || method == http.MethodHead) && !p.signs("host"):
		return unauthorized("Host must be signed on %s", method)
	}
	return nil
}

// displayName writes a header name as people read it: "Digest", "(request-target)".
func displayName(name string) string {
	if strings.HasPrefix(name, "(") {
		return name
	}
	return http.CanonicalHeaderKey(name)
}

// MaxKeyIDBytes is the longest keyId read: a key id is an actor's URL and a fragment or path, and a
// longer one is only a way to make the key fetch and the key cache carry junk.
const MaxKeyIDBytes = 2048

// checkKeyIDShape refuses a keyId that could not name a key document: it must be an absolute
// http(s) URL, since the key is fetched from it.
func checkKeyIDShape(keyID string) *Error {
	if len(keyID) > MaxKeyIDBytes {
		return malformed("keyId is longer than %d bytes", MaxKeyIDBytes)
	}
	u, err := url.Parse(keyID)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return malformed("keyId %q is not an http(s) URL", clip(keyID))
	}
	return nil
}

// checkHost refuses a request whose Host header is not the host it was sent to. A server keeps the
// host it was reached at in req.Host; go-fed reads the header map, so the two must agree for the
// signed Host to mean anything.
func checkHost(req *http.Request) *Error {
	hosts := req.Header.Values("Host")
	switch {
	case len(hosts) > 1:
		return malformed("more than one Host header")
	case len(hosts) == 1 && req.Host != "" && !strings.EqualFold(hosts[0], req.Host):
		return unauthorized("Host header %q is not the host the request was sent to", clip(hosts[0]))
	}
	return nil
}

// headersForVerify is the request's headers as go-fed must see them: the signed ones (all that go-fed
// and the checks here read), Host (a server-side request keeps it in req.Host only) and the canonical
// Signature header. An Authorization header is left out unless signed: go-fed refuses a request where
// both look like signatures. The values are shared with req, which nothing here changes.
func headersForVerify(req *http.Request, p params) http.Header {
	h := make(http.Header, len(p.headers)+2)
	for _, name := range p.headers {
		key := textproto.CanonicalMIMEHeaderKey(name)
		if values, ok := req.Header[key]; ok {
			h[key] = values
		}
	}
	if req.Host != "" {
		h.Set("Host", req.Host) // the host the request reached: checkHost saw that any header agrees
	}
	h.Set("Signature", p.forGoFed())
	return h
}

// checkDigest compares the SHA-256 value of the Digest header with the body: go-fed never looks at
// the body. Other algorithms may be listed beside SHA-256; they are ignored, as Mastodon does.
func checkDigest(h http.Header, body []byte) *Error {
	values := h.Values("Digest")
	if len(values) == 0 {
		return unauthorized("request has no Digest header")
	}
	sum := sha256.Sum256(body)
	want := base64.StdEncoding.EncodeToString(sum[:])
	var offered []string
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			alg, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			if !strings.EqualFold(alg, "SHA-256") {
				offered = append(offered, alg)
				continue
			}
			if strings.TrimSpace(value) != want {
				return unauthorized("Digest does not match the body")
			}
			offered = append(offered, "SHA-256") // found at least one, and so far all match
		}
	}
	if !slices.Contains(offered, "SHA-256") {
		return unauthorized("Digest has no SHA-256 value (offered: %s)", clip(strings.Join(offered, ", ")))
	}
	return nil
}

// checkTime applies the window to each signed time: the Date header and the created parameter.
func checkTime(h http.Header, p params, now time.Time) *Error {
	if p.signs("date") {
		dates := h.Values("Date")
		switch {
		case len(dates) == 0:
			return unauthorized("Date is signed but the request has no Date header")
		case len(dates) > 1:
			return malformed("more than one Date header")
		}
		t, err := http.ParseTime(dates[0])
		if err != nil {
			return malformed("Date is not an HTTP-date: %q", clip(dates[0]))
		}
		if e := inWindow("Date", t, p, now); e != nil {
			return e
		}
	}
	if p.signs(createdHeader) {
		return inWindow("created", time.Unix(p.created, 0), p, now)
	}
	return nil
}

// inWindow is Mastodon's matches_time_window? for one creation time.
func inWindow(what string, created time.Time, p params, now time.Time) *Error {
	expires := created.Add(SignatureLifetime)
	if p.signs(expiresHeader) {
		expires = time.Unix(p.expires, 0)
	}
	if limit := created.Add(MaxSignatureLifetime); expires.After(limit) {
		expires = limit
	}
	if ahead := created.Sub(now); ahead > MaxClockSkew {
		return unauthorized("%s is %s in the future; at most %s allowed", what, human(ahead), human(MaxClockSkew))
	}
	if now.Sub(expires) > MaxClockSkew {
		return unauthorized("%s is %s old; at most %s allowed", what, human(now.Sub(created)), human(expires.Sub(created)+MaxClockSkew))
	}
	return nil
}

// checkPresent fails early, before any key fetch, when a signed header is not in the request.
func checkPresent(h http.Header, p params) *Error {
	for _, name := range p.headers {
		switch name {
		case requestTarget, createdHeader, expiresHeader:
			continue
		}
		if len(h.Values(name)) == 0 {
			return unauthorized("header %q is signed but missing from the request", name)
		}
	}
	return nil
}

// goFedVerifiers makes one go-fed verifier per candidate (request-target). Made before the key is
// fetched: go-fed rejects some headers already here (created in the future of the wall clock).
func goFedVerifiers(req *http.Request, h http.Header, p params) ([]httpsig.Verifier, *Error) {
	var verifiers []httpsig.Verifier
	for _, u := range requestTargets(req.URL, p) {
		v, err := httpsig.NewVerifier(&http.Request{Method: method(req), URL: u, Header: h})
		if err != nil {
			return nil, &Error{Status: http.StatusUnauthorized, Reason: "signature rejected: " + err.Error(), Err: err}
		}
		verifiers = append(verifiers, v)
	}
	return verifiers, nil
}

// requestTargets are the forms of the request target senders sign: with the query string (the
// draft, Mastodon today) and without it (older Mastodon), the path as sent and decoded (go-fed
// signs the decoded path).
func requestTargets(u *url.URL, p params) []*url.URL {
	if u == nil || !p.signs(requestTarget) {
		return []*url.URL{{Path: "/"}}
	}
	decoded := u.Path
	if decoded == "" {
		decoded = "/"
	}
	var targets []*url.URL
	for _, path := range slices.Compact([]string{wirePath(u), decoded}) {
		targets = append(targets, &url.URL{Path: path, RawQuery: u.RawQuery})
		if u.RawQuery != "" {
			targets = append(targets, &url.URL{Path: path})
		}
	}
	return targets
}

// verifyWithKey resolves the key and verifies; a failure with a possibly cached key is retried
// once with a fresh one, because the actor may have rotated its key.
func verifyWithKey(ctx context.Context, p params, verifiers []httpsig.Verifier, resolve KeyResolver) (Verified, error) {
	key, owner, err := resolve(ctx, p.keyID, false)
	if err != nil {
		return Verified{}, keyError(p.keyID, err)
	}
	if e := verifyKey(p, verifiers, key); e == nil {
		return Verified{KeyID: p.keyID, Owner: owner}, nil
	}
	key, owner, err = resolve(ctx, p.keyID, true)
	if err != nil {
		return Verified{}, keyError(p.keyID, err)
	}
	if e := verifyKey(p, verifiers, key); e != nil {
		return Verified{}, e
	}
	return Verified{KeyID: p.keyID, Owner: owner}, nil
}

func keyError(keyID string, err error) *Error {
	if errors.Is(err, ErrKeyNotFound) {
		return &Error{Status: http.StatusUnauthorized, Reason: "key " + keyID + " not found", Err: err}
	}
	// A key refused for good (its owner does not list it, it is served from elsewhere or as the wrong
	// type) is no reason for the sender to try again: 401, not 503.
	var t interface {
		Temporary() bool
		Reason() string // what the sender may be told
	}
	if errors.As(err, &t) && !t.Temporary() {
		return &Error{Status: http.StatusUnauthorized, Reason: "key " + keyID + ": " + t.Reason(), Err: err}
	}
	// The cause stays in Err, for the log: a dial error or a status names hosts and addresses that
	// are none of the sender's business.
	return &Error{Status: http.StatusServiceUnavailable, Reason: "could not fetch the key", Err: err}
}

// verifyKey tries every candidate request target with every algorithm the key allows.
func verifyKey(p params, verifiers []httpsig.Verifier, key crypto.PublicKey) *Error {
	key, algos, e := verifyAlgorithms(p.algorithm, key)
	if e != nil {
		return e
	}
	var err error
	for _, v := range verifiers {
		for _, algo := range algos {
			if err = v.Verify(key, algo); err == nil {
				return nil
			}
		}
	}
	return &Error{Status: http.StatusUnauthorized, Reason: "signature does not verify with key " + p.keyID, Err: err}
}

// verifyAlgorithms picks go-fed algorithms by key type; go-fed has no "hs2019". It also turns a
// pointer to an Ed25519 key into the value go-fed expects.
func verifyAlgorithms(algorithm string, key crypto.PublicKey) (crypto.PublicKey, []httpsig.Algorithm, *Error) {
	if k, ok := key.(*ed25519.PublicKey); ok && k != nil {
		key = *k
	}
	switch key := key.(type) {
	case *rsa.PublicKey:
		if key == nil || key.N == nil {
			break
		}
		if algorithm == "rsa-sha256" {
			return key, []httpsig.Algorithm{httpsig.RSA_SHA256}, nil
		}
		return key, []httpsig.Algorithm{httpsig.RSA_SHA256, httpsig.RSA_SHA512}, nil
	case ed25519.PublicKey:
		if len(key) != ed25519.PublicKeySize {
			break // ed25519.Verify panics on other lengths
		}
		if algorithm == "rsa-sha256" {
			return nil, nil, unauthorized("algorithm rsa-sha256 does not fit an Ed25519 key")
		}
		return key, []httpsig.Algorithm{httpsig.ED25519}, nil
	}
	return nil, nil, unauthorized("cannot verify with this key (%T)", key)
}
