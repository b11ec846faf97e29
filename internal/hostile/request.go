package hostile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-fed/httpsig"
)

// MastodonHeaders is what Mastodon signs on a POST.
var MastodonHeaders = []string{httpsig.RequestTarget, "host", "date", "digest", "content-type"}

// Option bends a request built by Post.
type Option func(*post)

type post struct {
	headers     []string
	signedFor   string
	date        time.Time
	keyID       string
	digestOf    []byte
	contentType string
	unsigned    bool
	signature   string
	body        io.Reader
	length      int64
}

// SignedHeaders signs these headers, in this order, instead of Mastodon's list.
func SignedHeaders(names ...string) Option { return func(p *post) { p.headers = names } }

// SignedFor signs the request as if sent to rawURL (its host and path) and sends it to the target
// with that Host: a signature made for another server's inbox, replayed.
func SignedFor(rawURL string) Option { return func(p *post) { p.signedFor = rawURL } }

// Dated signs the request with this Date instead of now.
func Dated(t time.Time) Option { return func(p *post) { p.date = t } }

// KeyID claims this keyId instead of the actor's.
func KeyID(id string) Option { return func(p *post) { p.keyID = id } }

// DigestOf sends a Digest of these bytes instead of the body's.
func DigestOf(b []byte) Option { return func(p *post) { p.digestOf = b } }

// WithContentType sends this Content-Type instead of application/activity+json.
func WithContentType(ct string) Option { return func(p *post) { p.contentType = ct } }

// Unsigned sends neither Signature nor Digest.
func Unsigned() Option { return func(p *post) { p.unsigned = true } }

// Signature replaces the Signature header with s after signing.
func Signature(s string) Option { return func(p *post) { p.signature = s } }

// BodyFrom sends r as the body, announced as length bytes (-1: unknown, sent chunked), while the
// signature covers the body given to Post: for bodies that are slow, endless or held open.
func BodyFrom(r io.Reader, length int64) Option {
	return func(p *post) { p.body, p.length = r, length }
}

// Post is a POST of body to target signed by the actor as Mastodon signs it, unless opts bend it.
func (a *Actor) Post(target string, body []byte, opts ...Option) *http.Request {
	p := post{headers: MastodonHeaders, date: time.Now(), keyID: a.KeyID, digestOf: body, contentType: ContentType,
		body: bytes.NewReader(body), length: int64(len(body))}
	for _, o := range opts {
		o(&p)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, target, p.body)
	if err != nil {
		panic(err)
	}
	req.ContentLength = p.length
	req.Header.Set("Content-Type", p.contentType)
	if !p.unsigned {
		a.sign(req, p)
	}
	if p.signature != "" {
		req.Header.Set("Signature", p.signature)
	}
	return req
}

// sign signs req as p says: for the URL it is sent to, or the one given by SignedFor.
func (a *Actor) sign(req *http.Request, p post) {
	signedURL := req.URL
	if p.signedFor != "" {
		u, err := url.Parse(p.signedFor)
		if err != nil {
			panic(err)
		}
		signedURL = u
	}
	req.Host = signedURL.Host
	req.Header.Set("Host", signedURL.Host)
	req.Header.Set("Date", p.date.UTC().Format(http.TimeFormat))
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, p.headers, httpsig.Signature, 0)
	if err != nil {
		panic(err)
	}
	// go-fed reads (request-target) from the request's URL: sign a copy addressed as signedURL.
	signing := &http.Request{Method: http.MethodPost, URL: signedURL, Header: req.Header}
	if err := signer.SignRequest(a.Key, p.keyID, signing, p.digestOf); err != nil {
		panic(err)
	}
	req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1))
}

// ServerSide is req as a handler receives it: Host in req.Host only, the URL with its path and
// query, the same body. The body is not read, so a held body stays held.
func ServerSide(req *http.Request) *http.Request {
	out := req.Clone(req.Context())
	out.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	out.RequestURI = req.URL.RequestURI()
	out.Host = req.Host
	if out.Host == "" {
		out.Host = req.URL.Host
	}
	out.Header.Del("Host")
	out.Proto, out.ProtoMajor, out.ProtoMinor = "HTTP/1.1", 1, 1
	out.RemoteAddr = "192.0.2.1:40000"
	return out
}

// ErrHungUp is what a held body reads once released: the sender went away.
var ErrHungUp = errors.New("hostile: the sender hung up")

// Held is a body that gives all but its last byte and then waits, as a sender that holds its
// connection open one byte short of the Content-Length it announced.
type Held struct {
	rest    []byte
	reading chan struct{}
	release chan struct{}
	once    sync.Once
	stop    sync.Once
}

// Hold holds body: it reads all but the last byte of body, then blocks until Release.
func Hold(body []byte) *Held {
	return &Held{rest: body[:max(0, len(body)-1)], reading: make(chan struct{}), release: make(chan struct{})}
}

// Read gives the body but its last byte, then waits for Release and fails with ErrHungUp.
func (h *Held) Read(b []byte) (int, error) {
	h.once.Do(func() { close(h.reading) })
	if len(h.rest) > 0 {
		n := copy(b, h.rest)
		h.rest = h.rest[n:]
		return n, nil
	}
	<-h.release
	return 0, ErrHungUp
}

// Reading is closed once the receiver starts reading the body.
func (h *Held) Reading() <-chan struct{} { return h.reading }

// Release lets the sender hang up: the read waiting for the last byte fails.
func (h *Held) Release() { h.stop.Do(func() { close(h.release) }) }

// HeldPost is a POST of body, signed by the actor over the whole body (so that every check made
// before the body is read passes), whose body is held open one byte short.
func (a *Actor) HeldPost(target string, body []byte, opts ...Option) (*http.Request, *Held) {
	h := Hold(body)
	return a.Post(target, body, append(opts, BodyFrom(h, int64(len(body))))...), h
}
