package httpsign

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Sign signs req the way Mastodon does. It sets Date (HTTP-date, GMT, from now) and Host
// (req.URL.Host without a default port :80/:443) headers, and req.Host to the same value so that
// the Host sent is the Host signed. With a body (POST; a POST with a nil body counts as empty) it
// sets Digest: SHA-256=<base64> and signs "(request-target) host date digest content-type"
// (content-type only when the header is set). Without a body (GET) it signs
// "(request-target) host date accept" (accept only when set).
//
// keyID is e.g. "https://host/users/xz#main-key"; key is an *rsa.PrivateKey or an
// ed25519.PrivateKey. The header says algorithm="rsa-sha256" for RSA keys, as Mastodon writes it,
// and "hs2019" for Ed25519. Signing a request again (a retry) replaces Digest and Signature.
func Sign(req *http.Request, body []byte, keyID string, key crypto.PrivateKey, now time.Time) error {
	algo, key, err := signingAlgorithm(key)
	if err != nil {
		return err
	}
	if err := checkKeyID(keyID); err != nil {
		return err
	}
	host := signedHost(req)
	if host == "" {
		return errors.New("httpsign: request has no host to sign")
	}
	if body == nil && req.Method == http.MethodPost {
		body = []byte{}
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Host = host
	req.Header.Set("Host", host) // Go's client sends req.Host; go-fed reads the header map
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	// go-fed refuses to add a Digest that is already there and appends a second Signature.
	req.Header.Del("Digest")
	req.Header.Del("Signature")

	// A signer fixes its state when made and is not safe to share: one per request.
	signer, got, err := httpsig.NewSigner([]httpsig.Algorithm{algo}, httpsig.DigestSha256,
		headersToSign(req.Header, body != nil), httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("httpsign: %w", err)
	}
	if got != algo { // NewSigner falls back to RSA-SHA256 silently
		return fmt.Errorf("httpsign: go-fed has no %s signer", algo)
	}
	if err := signer.SignRequest(key, keyID, asSent(req), body); err != nil {
		return fmt.Errorf("httpsign: %w", err)
	}
	return mastodonStyle(req.Header, algo)
}

// signingAlgorithm picks go-fed's algorithm from the key, and normalises a pointer to an
// Ed25519 key to the value go-fed expects.
func signingAlgorithm(key crypto.PrivateKey) (httpsig.Algorithm, crypto.PrivateKey, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return httpsig.RSA_SHA256, k, nil
	case ed25519.PrivateKey:
		return httpsig.ED25519, k, nil
	case *ed25519.PrivateKey:
		return httpsig.ED25519, *k, nil
	}
	return "", nil, fmt.Errorf("httpsign: cannot sign with a %T", key)
}

// checkKeyID refuses key ids that go-fed-based receivers (GoToSocial) cannot read back: their
// parser splits the header on every comma and does not unescape quotes.
func checkKeyID(keyID string) error {
	if keyID == "" || strings.ContainsAny(keyID, "\",\\") || strings.ContainsFunc(keyID, isControl) {
		return fmt.Errorf("httpsign: key id %q cannot be sent in a Signature header", keyID)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// signedHost is the URL's host without the scheme's default port, as Mastodon sends it.
func signedHost(req *http.Request) string {
	if req.URL == nil || req.URL.Host == "" {
		return req.Host
	}
	host, port, err := net.SplitHostPort(req.URL.Host)
	if err != nil { // no port
		return req.URL.Host
	}
	if (port == "443" && req.URL.Scheme != "http") || (port == "80" && req.URL.Scheme != "https") {
		if strings.Contains(host, ":") {
			return "[" + host + "]" // IPv6
		}
		return host
	}
	return req.URL.Host
}

// headersToSign is Mastodon's list: content-type and accept only when they are set.
func headersToSign(h http.Header, hasBody bool) []string {
	if hasBody {
		list := []string{httpsig.RequestTarget, "host", "date", "digest"}
		if h.Get("Content-Type") != "" {
			list = append(list, "content-type")
		}
		return list
	}
	list := []string{httpsig.RequestTarget, "host", "date"}
	if h.Get("Accept") != "" {
		list = append(list, "accept")
	}
	return list
}

// asSent is the request as go-fed should see it: go-fed writes URL.Path into (request-target),
// which is the decoded path, while receivers (Mastodon) use the path as it goes over the wire.
// The header map is shared, so go-fed's Digest and Signature land on req.
func asSent(req *http.Request) *http.Request {
	u := &url.URL{Path: "/"}
	if req.URL != nil {
		u = &url.URL{Path: wirePath(req.URL), RawQuery: req.URL.RawQuery}
	}
	return &http.Request{Method: method(req), URL: u, Header: req.Header}
}

// wirePath is the escaped path, "/" for an empty one (what an HTTP client sends).
func wirePath(u *url.URL) string {
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// method treats an empty method as GET, as net/http does.
func method(req *http.Request) string {
	if req.Method == "" {
		return http.MethodGet
	}
	return req.Method
}

// mastodonStyle rewrites go-fed's header: it always says algorithm="hs2019", Mastodon says
// "rsa-sha256" for RSA keys. The algorithm parameter is not part of the signed string, so the
// signature stays valid.
func mastodonStyle(h http.Header, algo httpsig.Algorithm) error {
	p, err := parseParams(h.Get("Signature"))
	if err != nil {
		return fmt.Errorf("httpsign: reading go-fed's Signature header: %w", err)
	}
	if algo == httpsig.RSA_SHA256 {
		p.algorithm = "rsa-sha256"
	}
	h.Set("Signature", p.String())
	return nil
}
