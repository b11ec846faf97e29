package httpsign_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"baton/federation/httpsign"
)

// t0 is the wall clock of most tests; Verify takes the time as an argument.
var t0 = time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)

const (
	mastoKey = "https://example.com/users/xz#main-key" // Mastodon style: a fragment
	gtsKey   = "https://gts.example/users/x/main-key"  // GoToSocial style: a path
	note     = `{"type":"Create","actor":"https://example.com/users/xz"}`
)

type testKeys struct {
	rsa, rsaOld, rsaOther *rsa.PrivateKey
	ed                    ed25519.PrivateKey
}

// keys are made once: RSA-2048 generation is slow.
var keys = sync.OnceValue(func() testKeys {
	gen := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return testKeys{rsa: gen(), rsaOld: gen(), rsaOther: gen(), ed: ed}
})

// resolver is a KeyResolver that records its calls. keys[0] answers refresh=false, keys[1] (when
// given) refresh=true.
type resolver struct {
	keys  []crypto.PublicKey
	err   error
	calls []bool // the refresh argument of each call
}

func (r *resolver) resolve(_ context.Context, keyID string, refresh bool) (crypto.PublicKey, string, error) {
	r.calls = append(r.calls, refresh)
	if r.err != nil {
		return nil, "", r.err
	}
	key := r.keys[0]
	if refresh && len(r.keys) > 1 {
		key = r.keys[1]
	}
	owner, _, _ := strings.Cut(keyID, "#")
	return key, strings.TrimSuffix(owner, "/main-key"), nil
}

func resolverOf(keys ...crypto.PublicKey) *resolver { return &resolver{keys: keys} }

// newRequest is a client-side request; nil body means GET-like.
func newRequest(t testing.TB, method, target string, body []byte, header ...string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// signedPost and signedGet are requests signed by Sign with the main RSA key.
func signedPost(t testing.TB, body []byte, at time.Time) *http.Request {
	t.Helper()
	req := newRequest(t, "POST", "https://example.com/users/xz/inbox", body, "Content-Type", "application/activity+json")
	if err := httpsign.Sign(req, body, mastoKey, keys().rsa, at); err != nil {
		t.Fatal(err)
	}
	return req
}

func signedGet(t testing.TB, target string, at time.Time) *http.Request {
	t.Helper()
	req := newRequest(t, "GET", target, nil, "Accept", "application/activity+json, application/ld+json")
	if err := httpsign.Sign(req, nil, mastoKey, keys().rsa, at); err != nil {
		t.Fatal(err)
	}
	return req
}

// goFedSign signs req with go-fed/httpsig directly, as GoToSocial does: Date and Host set by hand,
// the header says algorithm="hs2019".
func goFedSign(t testing.TB, req *http.Request, body []byte, keyID string, key crypto.PrivateKey, at time.Time, headers ...string) {
	t.Helper()
	algo := httpsig.RSA_SHA256
	if _, ok := key.(ed25519.PrivateKey); ok {
		algo = httpsig.ED25519
	}
	req.Header.Set("Date", at.UTC().Format(http.TimeFormat))
	req.Header.Set("Host", req.URL.Host)
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{algo}, httpsig.DigestSha256, headers, httpsig.Signature, 120)
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.SignRequest(key, keyID, req, body); err != nil {
		t.Fatal(err)
	}
}

// serverSide sends req through the HTTP/1.1 wire format and reads it back as a server sees it:
// Host in req.Host only, URL with path and query only.
func serverSide(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatal(err)
	}
	sreq, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(sreq.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sreq, body
}

// sigParams reads a Signature header independently of the package's parser.
func sigParams(t testing.TB, header string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, kv := range regexp.MustCompile(`(\w+)="([^"]*)"`).FindAllStringSubmatch(header, -1) {
		m[kv[1]] = kv[2]
	}
	return m
}

func wantError(t *testing.T, err error, status int, reason string) {
	t.Helper()
	var e *httpsign.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *httpsign.Error %d %q", err, err, status, reason)
	}
	if e.Status != status || !strings.Contains(e.Reason, reason) {
		t.Fatalf("error = %d %q, want %d and a reason containing %q", e.Status, e.Reason, status, reason)
	}
}

func TestRoundTrip(t *testing.T) {
	k := keys()
	body := []byte(note)
	tests := []struct {
		name   string
		method string
		body   []byte
		priv   crypto.PrivateKey
		pub    crypto.PublicKey
		algo   string
	}{
		{"POST RSA", "POST", body, k.rsa, &k.rsa.PublicKey, "rsa-sha256"},
		{"GET RSA", "GET", nil, k.rsa, &k.rsa.PublicKey, "rsa-sha256"},
		{"POST Ed25519", "POST", body, k.ed, k.ed.Public(), "hs2019"},
		{"GET Ed25519", "GET", nil, k.ed, k.ed.Public(), "hs2019"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, tt.method, "https://example.com/users/xz/inbox", tt.body,
				"Content-Type", "application/activity+json", "Accept", "application/activity+json")
			if err := httpsign.Sign(req, tt.body, mastoKey, tt.priv, t0); err != nil {
				t.Fatal(err)
			}
			if got := sigParams(t, req.Header.Get("Signature"))["algorithm"]; got != tt.algo {
				t.Errorf("algorithm = %q, want %q", got, tt.algo)
			}
			sreq, sbody := serverSide(t, req)
			before := sreq.Header.Clone()
			res := resolverOf(tt.pub)
			got, err := httpsign.Verify(context.Background(), sreq, sbody, t0.Add(30*time.Second), res.resolve)
			if err != nil {
				t.Fatal(err)
			}
			want := httpsign.Verified{KeyID: mastoKey, Owner: "https://example.com/users/xz"}
			if got != want {
				t.Errorf("Verified = %+v, want %+v", got, want)
			}
			if fmt.Sprint(res.calls) != "[false]" {
				t.Errorf("resolver calls = %v, want one cached lookup", res.calls)
			}
			if fmt.Sprint(sreq.Header) != fmt.Sprint(before) {
				t.Errorf("Verify changed the request's headers:\n%v\n%v", before, sreq.Header)
			}
		})
	}
}

// TestOverTheWire sends signed requests to a real server: Go's client and server decide what
// Host looks like on each side.
func TestOverTheWire(t *testing.T) {
	k := keys()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method == "GET" {
			body = nil
		}
		_, err := httpsign.Verify(r.Context(), r, body, time.Now(), resolverOf(&k.rsa.PublicKey).resolve)
		var e *httpsign.Error
		if errors.As(err, &e) {
			http.Error(w, e.Reason, e.Status)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	for _, method := range []string{"POST", "GET"} {
		t.Run(method, func(t *testing.T) {
			var body []byte
			if method == "POST" {
				body = []byte(note)
			}
			req := newRequest(t, method, srv.URL+"/users/xz/inbox?x=1", body, "Content-Type", "application/activity+json")
			if err := httpsign.Sign(req, body, mastoKey, k.rsa, time.Now()); err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("status %d: %s", resp.StatusCode, msg)
			}
		})
	}
}

// TestSignMastodonStyle checks Sign's output with go-fed's own verifier and against the header
// Mastodon writes (INTEROP.md).
func TestSignMastodonStyle(t *testing.T) {
	k := keys()
	body := []byte(note)
	sum := sha256.Sum256(body)
	tests := []struct {
		name, method string
		body         []byte
		header       []string
		wantHeaders  string
	}{
		{"POST", "POST", body, []string{"Content-Type", "application/activity+json"}, "(request-target) host date digest content-type"},
		{"POST without Content-Type", "POST", body, nil, "(request-target) host date digest"},
		{"GET", "GET", nil, []string{"Accept", "application/activity+json, application/ld+json"}, "(request-target) host date accept"},
		{"GET without Accept", "GET", nil, nil, "(request-target) host date"},
	}
	shape := regexp.MustCompile(`^keyId="[^"]+",algorithm="rsa-sha256",headers="[^"]+",signature="[A-Za-z0-9+/]+=*"$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, tt.method, "https://example.com:443/users/xz/inbox", tt.body, tt.header...)
			if err := httpsign.Sign(req, tt.body, mastoKey, k.rsa, t0); err != nil {
				t.Fatal(err)
			}
			h := req.Header
			if got := h.Get("Date"); got != "Thu, 05 Nov 2026 12:00:00 GMT" {
				t.Errorf("Date = %q", got)
			}
			if h.Get("Host") != "example.com" || req.Host != "example.com" {
				t.Errorf("Host header %q, req.Host %q; want example.com", h.Get("Host"), req.Host)
			}
			wantDigest := ""
			if tt.body != nil {
				wantDigest = "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
			}
			if got := h.Get("Digest"); got != wantDigest {
				t.Errorf("Digest = %q, want %q", got, wantDigest)
			}
			sig := h.Get("Signature")
			if !shape.MatchString(sig) {
				t.Errorf("Signature header is not Mastodon's shape: %s", sig)
			}
			p := sigParams(t, sig)
			if p["keyId"] != mastoKey || p["algorithm"] != "rsa-sha256" || p["headers"] != tt.wantHeaders {
				t.Errorf("Signature params = %v, want headers %q", p, tt.wantHeaders)
			}

			sreq, _ := serverSide(t, req)
			v, err := httpsig.NewVerifier(sreq)
			if err != nil {
				t.Fatal(err)
			}
			if v.KeyId() != mastoKey {
				t.Errorf("go-fed KeyId = %q", v.KeyId())
			}
			if err := v.Verify(&k.rsa.PublicKey, httpsig.RSA_SHA256); err != nil {
				t.Errorf("go-fed does not verify Sign's signature: %v", err)
			}
		})
	}
}

// TestSignEscapedPath: Mastodon puts the path as sent into (request-target); go-fed alone would
// sign the decoded one.
func TestSignEscapedPath(t *testing.T) {
	k := keys()
	req := signedGet(t, "https://example.com/tags/caf%C3%A9", t0)
	sreq, _ := serverSide(t, req)
	sreq.URL.Path, sreq.URL.RawPath = "/tags/caf%C3%A9", "" // what go-fed should see to match Mastodon
	v, err := httpsig.NewVerifier(sreq)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(&k.rsa.PublicKey, httpsig.RSA_SHA256); err != nil {
		t.Fatalf("(request-target) is not the escaped path: %v", err)
	}
}

func TestSignHost(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://example.com/inbox", "example.com"},
		{"https://example.com:443/inbox", "example.com"},
		{"http://example.com:80/inbox", "example.com"},
		{"https://example.com:8443/inbox", "example.com:8443"},
		{"http://127.0.0.1:8080/inbox", "127.0.0.1:8080"},
		{"http://example.com:443/inbox", "example.com:443"},
		{"https://[::1]:443/inbox", "[::1]"},
	}
	for _, tt := range tests {
		req := newRequest(t, "GET", tt.url, nil)
		if err := httpsign.Sign(req, nil, mastoKey, keys().rsa, t0); err != nil {
			t.Fatal(err)
		}
		if req.Header.Get("Host") != tt.want || req.Host != tt.want {
			t.Errorf("%s: Host header %q, req.Host %q, want %q", tt.url, req.Header.Get("Host"), req.Host, tt.want)
		}
	}
}

// TestSignAgain: a retried delivery is signed again on the same request.
func TestSignAgain(t *testing.T) {
	k := keys()
	body := []byte(note)
	req := signedPost(t, body, t0)
	if err := httpsign.Sign(req, body, mastoKey, k.rsa, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, m := len(req.Header.Values("Signature")), len(req.Header.Values("Digest")); n != 1 || m != 1 {
		t.Fatalf("%d Signature and %d Digest headers after signing twice", n, m)
	}
	sreq, sbody := serverSide(t, req)
	if _, err := httpsign.Verify(context.Background(), sreq, sbody, t0.Add(time.Hour), resolverOf(&k.rsa.PublicKey).resolve); err != nil {
		t.Fatal(err)
	}
}

func TestSignRefuses(t *testing.T) {
	k := keys()
	tests := []struct {
		name  string
		keyID string
		key   crypto.PrivateKey
	}{
		{"HMAC secret", mastoKey, []byte("secret")},
		{"public key", mastoKey, &k.rsa.PublicKey},
		{"comma in key id", "https://example.com/users/a,b#main-key", k.rsa},
		{"quote in key id", `https://example.com/users/"x#main-key`, k.rsa},
		{"empty key id", "", k.rsa},
	}
	for _, tt := range tests {
		req := newRequest(t, "GET", "https://example.com/users/xz", nil)
		if err := httpsign.Sign(req, nil, tt.keyID, tt.key, t0); err == nil {
			t.Errorf("%s: Sign succeeded", tt.name)
		}
	}
}

// TestVerifyGoToSocial verifies requests signed the way GoToSocial signs them (INTEROP.md).
func TestVerifyGoToSocial(t *testing.T) {
	k := keys()
	body := []byte(note)
	tests := []struct {
		name    string
		method  string
		body    []byte
		headers []string
	}{
		{"POST", "POST", body, []string{httpsig.RequestTarget, "host", "date", "digest"}},
		{"GET", "GET", nil, []string{httpsig.RequestTarget, "host", "date"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, tt.method, "https://example.com/users/xz/inbox", tt.body,
				"Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
			goFedSign(t, req, tt.body, gtsKey, k.rsa, t0, tt.headers...)
			if p := sigParams(t, req.Header.Get("Signature")); p["algorithm"] != "hs2019" {
				t.Fatalf("go-fed wrote algorithm %q; the test assumes hs2019", p["algorithm"])
			}
			sreq, sbody := serverSide(t, req)
			got, err := httpsign.Verify(context.Background(), sreq, sbody, t0, resolverOf(&k.rsa.PublicKey).resolve)
			if err != nil {
				t.Fatal(err)
			}
			if got.KeyID != gtsKey || got.Owner != "https://gts.example/users/x" {
				t.Errorf("Verified = %+v", got)
			}
		})
	}
}

func TestVerifyHostile(t *testing.T) {
	k := keys()
	body := []byte(note)
	rsaPub := &k.rsa.PublicKey
	post := func(t *testing.T) *http.Request { return signedPost(t, body, t0) }
	get := func(t *testing.T) *http.Request {
		return signedGet(t, "https://example.com/users/xz", t0)
	}
	// goFed signs with go-fed directly and a chosen header list, so that only policy can object.
	goFed := func(method string, headers ...string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			var b []byte
			if method == "POST" {
				b = body
			}
			req := newRequest(t, method, "https://example.com/users/xz/inbox", b)
			goFedSign(t, req, b, mastoKey, k.rsa, t0, headers...)
			return req
		}
	}
	setSig := func(build func(*testing.T) *http.Request, sig string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			req := build(t)
			req.Header.Set("Signature", sig)
			return req
		}
	}
	edit := func(build func(*testing.T) *http.Request, change func(http.Header)) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			req := build(t)
			change(req.Header)
			return req
		}
	}
	replaceInSig := func(old, new string) func(http.Header) {
		return func(h http.Header) { h.Set("Signature", strings.Replace(h.Get("Signature"), old, new, 1)) }
	}

	tests := []struct {
		name      string
		build     func(t *testing.T) *http.Request
		body      []byte // what the server read; nil means the body sent
		now       time.Time
		res       *resolver
		status    int
		reason    string
		wantCalls int
	}{
		{name: "unsigned", build: edit(post, func(h http.Header) { h.Del("Signature") }),
			status: 401, reason: "request is not signed"},
		{name: "Authorization instead of Signature", build: edit(post, func(h http.Header) {
			h.Set("Authorization", "Signature "+h.Get("Signature"))
			h.Del("Signature")
		}), status: 401, reason: "Authorization is not accepted"},
		{name: "unterminated quote", build: setSig(post, `keyId="https://example.com/users/xz#main-key,signature="abc`),
			status: 400, reason: "malformed Signature header"},
		{name: "no keyId", build: setSig(post, `headers="(request-target) host date digest",signature="YWJj"`),
			status: 400, reason: "no keyId"},
		{name: "no signature", build: setSig(post, `keyId="`+mastoKey+`",headers="(request-target) host date digest"`),
			status: 400, reason: "no signature"},
		{name: "signature not base64", build: setSig(post, `keyId="`+mastoKey+`",headers="date",signature="!!"`),
			status: 400, reason: "not base64"},
		{name: "not name=value", build: setSig(post, `hello world`), status: 400, reason: "malformed"},
		{name: "parameter twice", build: setSig(post, `keyId="a",keyId="b",signature="YWJj"`),
			status: 400, reason: "appears twice"},
		{name: "two Signature headers", build: edit(post, func(h http.Header) { h.Add("Signature", h.Get("Signature")) }),
			status: 400, reason: "more than one Signature header"},
		{name: "RFC 9421", build: edit(post, func(h http.Header) { h.Set("Signature-Input", `sig1=("@method");keyid="x"`) }),
			status: 401, reason: "RFC 9421"},
		{name: "body changed after signing", build: post, body: []byte(note + " "),
			status: 401, reason: "Digest does not match the body"},
		{name: "Digest of another algorithm only", build: edit(post, func(h http.Header) { h.Set("Digest", "SHA-512=abcd") }),
			status: 401, reason: "no SHA-256"},
		{name: "missing Digest on POST", build: edit(post, func(h http.Header) { h.Del("Digest") }),
			status: 401, reason: `header "digest" is signed but missing`},
		{name: "digest not signed", build: goFed("POST", httpsig.RequestTarget, "host", "date"),
			status: 401, reason: "Digest must be signed on POST"},
		{name: "date not signed", build: goFed("POST", httpsig.RequestTarget, "host", "digest"),
			status: 401, reason: "Date (or (created)) must be signed"},
		{name: "POST over date and digest only", build: goFed("POST", "date", "digest"),
			status: 401, reason: "(request-target) must be signed on POST"},
		{name: "POST without host signed", build: goFed("POST", httpsig.RequestTarget, "date", "digest"),
			status: 401, reason: "Host must be signed on POST"},
		{name: "POST without (request-target) signed", build: goFed("POST", "host", "date", "digest"),
			status: 401, reason: "(request-target) must be signed on POST"},
		{name: "keyId not a URL", build: edit(post, replaceInSig(`keyId="`+mastoKey, `keyId="acct:xz@example.com`)),
			status: 400, reason: "not an http(s) URL"},
		{name: "keyId a relative URL", build: edit(post, replaceInSig(`keyId="`+mastoKey, `keyId="/users/xz#main-key`)),
			status: 400, reason: "not an http(s) URL"},
		{name: "keyId too long", build: edit(post, replaceInSig(`keyId="`+mastoKey, `keyId="`+mastoKey+strings.Repeat("a", httpsign.MaxKeyIDBytes))),
			status: 400, reason: "keyId is longer than 2048 bytes"},
		{name: "host not signed on GET", build: goFed("GET", httpsig.RequestTarget, "date"),
			status: 401, reason: "Host must be signed on GET"},
		{name: "neither (request-target) nor digest", build: goFed("GET", "host", "date"),
			status: 401, reason: "(request-target) (or Digest) must be signed"},
		{name: "Date 2 hours old", build: post, now: t0.Add(2 * time.Hour),
			status: 401, reason: "Date is 2h old; at most 1h5m allowed"},
		{name: "Date 2 hours in the future", build: post, now: t0.Add(-2 * time.Hour),
			status: 401, reason: "Date is 2h in the future; at most 1h allowed"},
		{name: "Date not an HTTP-date", build: edit(post, func(h http.Header) { h.Set("Date", "yesterday") }),
			status: 400, reason: "not an HTTP-date"},
		{name: "two Date headers", build: edit(post, func(h http.Header) { h.Add("Date", h.Get("Date")) }),
			status: 400, reason: "more than one Date header"},
		{name: "bad header name in headers", build: edit(post, replaceInSig(`headers="(request-target)`, `headers="(request-target) a/b`)),
			status: 400, reason: "bad header name"},
		{name: "signed header missing", build: edit(get, func(h http.Header) { h.Del("Accept") }),
			status: 401, reason: `header "accept" is signed but missing`},
		{name: "unknown algorithm", build: edit(post, replaceInSig(`algorithm="rsa-sha256"`, `algorithm="hmac-sha256"`)),
			status: 401, reason: `unsupported algorithm "hmac-sha256"`},
		{name: "resolver error", build: post, res: &resolver{err: errors.New("connection refused")},
			status: 503, reason: "could not fetch the key", wantCalls: 1},
		{name: "key gone", build: post, res: &resolver{err: fmt.Errorf("410 Gone: %w", httpsign.ErrKeyNotFound)},
			status: 401, reason: "not found", wantCalls: 1},
		{name: "wrong key", build: post, res: resolverOf(&k.rsaOther.PublicKey),
			status: 401, reason: "signature does not verify", wantCalls: 2},
		{name: "signed header changed", build: edit(post, func(h http.Header) { h.Set("Content-Type", "text/plain") }),
			status: 401, reason: "signature does not verify", wantCalls: 2},
		{name: "rsa-sha256 with an Ed25519 key", build: post, res: resolverOf(k.ed.Public()),
			status: 401, reason: "does not fit an Ed25519 key", wantCalls: 2},
		{name: "unusable key type", build: post, res: resolverOf([]byte("secret")),
			status: 401, reason: "cannot verify with this key", wantCalls: 2},
		{name: "Ed25519 key of a wrong length", build: post, res: resolverOf(ed25519.PublicKey{1, 2, 3}),
			status: 401, reason: "cannot verify with this key", wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sreq, sbody := serverSide(t, tt.build(t))
			if tt.body != nil {
				sbody = tt.body
			}
			now := t0
			if !tt.now.IsZero() {
				now = tt.now
			}
			res := tt.res
			if res == nil {
				res = resolverOf(rsaPub)
			}
			_, err := httpsign.Verify(context.Background(), sreq, sbody, now, res.resolve)
			wantError(t, err, tt.status, tt.reason)
			if len(res.calls) != tt.wantCalls {
				t.Errorf("resolver called %d times, want %d", len(res.calls), tt.wantCalls)
			}
		})
	}
}

// TestDigestForms: Digest may list several algorithms; the SHA-256 one must match the body. Each
// request is signed with its Digest, so only the body check can tell them apart.
func TestDigestForms(t *testing.T) {
	k := keys()
	body := []byte(note)
	sum := sha256.Sum256(body)
	good := base64.StdEncoding.EncodeToString(sum[:])
	bad := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		digest string
		reason string // "" when it verifies
	}{
		{"SHA-256=" + good, ""},
		{"sha-256=" + good, ""},
		{"SHA-512=abcd, SHA-256=" + good, ""},
		{"SHA-256=" + bad, "Digest does not match the body"},
		{"SHA-256=" + good + ",SHA-256=" + bad, "Digest does not match the body"},
		{"SHA-512=abcd", "no SHA-256"},
		{"", `header "digest" is signed but missing`},
	}
	for _, tt := range tests {
		t.Run(tt.digest, func(t *testing.T) {
			req := newRequest(t, "POST", "https://example.com/users/xz/inbox", body)
			req.Header.Set("Digest", tt.digest)
			headers := []string{httpsig.RequestTarget, "host", "date", "digest"}
			if tt.digest == "" {
				req.Header.Del("Digest")
				headers = headers[:3]
			}
			goFedSign(t, req, nil, mastoKey, k.rsa, t0, headers...) // nil: go-fed keeps our Digest
			if tt.digest == "" {
				req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), `date"`, `date digest"`, 1))
			}
			sreq, sbody := serverSide(t, req)
			_, err := httpsign.Verify(context.Background(), sreq, sbody, t0, resolverOf(&k.rsa.PublicKey).resolve)
			if tt.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantError(t, err, 401, tt.reason)
		})
	}
}

// TestTimeWindow pins the exact rule: Date at most MaxClockSkew ahead, at most MaxDateAge old.
func TestTimeWindow(t *testing.T) {
	k := keys()
	if httpsign.MaxDateAge != 65*time.Minute || httpsign.MaxClockSkew != time.Hour {
		t.Fatalf("window is %v old / %v ahead, want 65m / 1h", httpsign.MaxDateAge, httpsign.MaxClockSkew)
	}
	tests := []struct {
		dateOffset time.Duration // Date relative to the verifier's clock
		ok         bool
	}{
		{0, true},
		{-64 * time.Minute, true},
		{-65 * time.Minute, true},
		{-66 * time.Minute, false},
		{59 * time.Minute, true},
		{61 * time.Minute, false},
	}
	for _, tt := range tests {
		sreq, sbody := serverSide(t, signedPost(t, []byte(note), t0.Add(tt.dateOffset)))
		_, err := httpsign.Verify(context.Background(), sreq, sbody, t0, resolverOf(&k.rsa.PublicKey).resolve)
		if (err == nil) != tt.ok {
			t.Errorf("Date %v from now: err = %v, want ok=%v", tt.dateOffset, err, tt.ok)
		}
	}
}

// TestCreated covers hs2019 signatures that sign (created) and (expires) instead of Date. go-fed
// checks created against the wall clock, so these use time.Now.
func TestCreated(t *testing.T) {
	k := keys()
	body := []byte(note)
	sign := func(t *testing.T, lifetime int64, headers ...string) *http.Request {
		req := newRequest(t, "POST", "https://example.com/users/xz/inbox", body)
		req.Header.Set("Host", req.URL.Host)
		signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, lifetime)
		if err != nil {
			t.Fatal(err)
		}
		if err := signer.SignRequest(k.rsa, mastoKey, req, body); err != nil {
			t.Fatal(err)
		}
		return req
	}
	withExpires := []string{httpsig.RequestTarget, "host", "(created)", "(expires)", "digest"}
	createdOnly := []string{httpsig.RequestTarget, "host", "(created)", "digest"}
	tests := []struct {
		name    string
		headers []string
		change  func(http.Header)
		later   time.Duration
		status  int
		reason  string
		expires time.Duration // the signer's lifetime; 5 minutes when zero
	}{
		{"fresh", withExpires, nil, 0, 0, "", 0},
		{"expired", withExpires, nil, 2 * time.Hour, 401, "old; at most 1h5m allowed", 0},
		{"unsigned expires is ignored", createdOnly, func(h http.Header) {
			h.Set("Signature", h.Get("Signature")+fmt.Sprintf(",expires=%d", time.Now().Add(6*time.Hour).Unix()))
		}, 2 * time.Hour, 401, "old; at most 1h5m allowed", 0},
		{"(created) signed without created", createdOnly, func(h http.Header) {
			h.Set("Signature", regexp.MustCompile(`created=\d+,`).ReplaceAllString(h.Get("Signature"), ""))
		}, 0, 400, "no created parameter", 0},
		{"expires within 12h", withExpires, nil, 12 * time.Hour, 0, "", 24 * time.Hour},
		{"expires capped at 12h", withExpires, nil, 14 * time.Hour, 401, "at most 13h allowed", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lifetime := 5 * time.Minute
			if tt.expires != 0 {
				lifetime = tt.expires
			}
			req := sign(t, int64(lifetime.Seconds()), tt.headers...)
			if tt.change != nil {
				tt.change(req.Header)
			}
			sreq, sbody := serverSide(t, req)
			_, err := httpsign.Verify(context.Background(), sreq, sbody, time.Now().Add(tt.later), resolverOf(&k.rsa.PublicKey).resolve)
			if tt.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantError(t, err, tt.status, tt.reason)
		})
	}
}

func TestKeyRotation(t *testing.T) {
	k := keys()
	tests := []struct {
		name      string
		res       *resolver
		tamper    bool
		wantErr   bool
		wantCalls string
	}{
		{"cached key is current", resolverOf(&k.rsa.PublicKey), false, false, "[false]"},
		{"key rotated", resolverOf(&k.rsaOld.PublicKey, &k.rsa.PublicKey), false, false, "[false true]"},
		{"bad signature", resolverOf(&k.rsa.PublicKey), true, true, "[false true]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := signedPost(t, []byte(note), t0)
			if tt.tamper {
				// A genuine signature by another key over the same request: well-formed, wrong.
				other := newRequest(t, "POST", "https://example.com/users/xz/inbox", []byte(note), "Content-Type", "application/activity+json")
				if err := httpsign.Sign(other, []byte(note), mastoKey, k.rsaOther, t0); err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Signature", other.Header.Get("Signature"))
			}
			sreq, sbody := serverSide(t, req)
			_, err := httpsign.Verify(context.Background(), sreq, sbody, t0, tt.res.resolve)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				wantError(t, err, 401, "signature does not verify")
			}
			if got := fmt.Sprint(tt.res.calls); got != tt.wantCalls {
				t.Errorf("resolver calls (refresh flags) = %s, want %s", got, tt.wantCalls)
			}
		})
	}
}

func TestRequestTarget(t *testing.T) {
	k := keys()
	// sentAs signs for one URL and sends the request to another path or query.
	sentAs := func(signed, sent string, gofed bool) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			var req *http.Request
			if gofed {
				req = newRequest(t, "GET", signed, nil)
				goFedSign(t, req, nil, gtsKey, k.rsa, t0, httpsig.RequestTarget, "host", "date")
			} else {
				req = signedGet(t, signed, t0)
			}
			to := newRequest(t, "GET", sent, nil)
			req.URL = to.URL
			return req
		}
	}
	const base = "https://example.com/users/xz/outbox"
	tests := []struct {
		name  string
		build func(t *testing.T) *http.Request
		ok    bool
	}{
		{"signed with the query", sentAs(base+"?page=true", base+"?page=true", false), true},
		{"signed without the query", sentAs(base, base+"?page=true", false), true},
		{"go-fed, with the query", sentAs(base+"?page=true", base+"?page=true", true), true},
		{"escaped path", sentAs("https://example.com/tags/caf%C3%A9", "https://example.com/tags/caf%C3%A9", false), true},
		{"go-fed signs the decoded path", sentAs("https://example.com/tags/caf%C3%A9", "https://example.com/tags/caf%C3%A9", true), true},
		{"another path", sentAs("https://example.com/users/other/outbox", base, false), false},
		{"another query", sentAs(base+"?page=1", base+"?page=2", false), false},
		{"query signed, none sent", sentAs(base+"?page=1", base, false), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sreq, sbody := serverSide(t, tt.build(t))
			_, err := httpsign.Verify(context.Background(), sreq, sbody, t0, resolverOf(&k.rsa.PublicKey).resolve)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok {
				wantError(t, err, 401, "signature does not verify")
			}
		})
	}
}

// TestVerifyLenientHeader: senders space their parameters; a comma in a key id is legal.
func TestVerifyLenientHeader(t *testing.T) {
	k := keys()
	req := signedPost(t, []byte(note), t0)
	sig := strings.ReplaceAll(req.Header.Get("Signature"), `",`, `", `)
	sig = strings.Replace(sig, mastoKey, "https://example.com/users/a,b#main-key", 1)
	req.Header.Set("Signature", sig)
	sreq, sbody := serverSide(t, req)
	got, err := httpsign.Verify(context.Background(), sreq, sbody, t0, resolverOf(&k.rsa.PublicKey).resolve)
	if err != nil {
		t.Fatal(err)
	}
	if got.KeyID != "https://example.com/users/a,b#main-key" {
		t.Errorf("KeyID = %q", got.KeyID)
	}
}

func FuzzVerify(f *testing.F) {
	k := keys()
	body := []byte(note)
	valid := signedPost(f, body, t0)
	f.Add(valid.Header.Get("Signature"), body)
	f.Add(`keyId="a",algorithm="hs2019",headers="(request-target) host date digest (created) (expires)",created=1,expires=2,signature="YWJj"`, body)
	f.Add(`keyId="a", signature="YWJj", headers="(request-target)  date\"x"`, []byte{})
	f.Add(`keyId=a,signature=,headers=`, []byte(nil))
	f.Add(`=`, []byte("x"))
	fixed := valid.Header.Clone()
	f.Fuzz(func(t *testing.T, sig string, body []byte) {
		req := httptest.NewRequest("POST", "/users/xz/inbox", nil)
		req.Host = "example.com"
		req.Header = fixed.Clone()
		req.Header.Del("Host")
		req.Header.Set("Signature", sig)
		var key crypto.PublicKey = &k.rsa.PublicKey
		if len(body)%2 == 1 {
			key = k.ed.Public()
		}
		_, err := httpsign.Verify(context.Background(), req, body, t0, resolverOf(key).resolve)
		if err == nil {
			return
		}
		var e *httpsign.Error
		if !errors.As(err, &e) {
			t.Fatalf("error is %T, not *httpsign.Error: %v", err, err)
		}
		if e.Status != 400 && e.Status != 401 || e.Reason == "" {
			t.Fatalf("status %d, reason %q", e.Status, e.Reason)
		}
	})
}

func BenchmarkSignRSA(b *testing.B) {
	k := keys()
	body := []byte(note)
	for b.Loop() {
		req, _ := http.NewRequest("POST", "https://example.com/users/xz/inbox", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		if err := httpsign.Sign(req, body, mastoKey, k.rsa, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRSA(b *testing.B) {
	k := keys()
	sreq, sbody := serverSide(b, signedPost(b, []byte(note), t0))
	pub := &k.rsa.PublicKey
	resolve := func(context.Context, string, bool) (crypto.PublicKey, string, error) {
		return pub, "https://example.com/users/xz", nil
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := httpsign.Verify(ctx, sreq, sbody, t0, resolve); err != nil {
			b.Fatal(err)
		}
	}
}
