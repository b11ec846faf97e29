package testpeer

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Signature time window, as Mastodon's: a Date at most an hour ahead, and at most an hour past its
// five-minute lifetime.
const (
	maxAhead = time.Hour
	maxAge   = time.Hour + 5*time.Minute
)

// errKeyUnavailable marks a key that could not be fetched for a reason other than its absence.
var errKeyUnavailable = errors.New("key unavailable")

type signature struct {
	keyID string
	owner string
}

// verifySignature checks a draft-cavage signature on r the way a receiving server does, with go-fed
// doing the cryptography: the Signature header, the algorithm, that every header in required is signed,
// the Digest against body (POST), the Date window, the key fetched from its keyId URL, and go-fed's
// verification (refetching the key once if it fails, as after a rotation).
func (p *Peer) verifySignature(ctx context.Context, r *http.Request, body []byte, required []string) (signature, error) {
	raw := r.Header.Values("Signature")
	if len(raw) == 0 {
		return signature{}, errors.New("request is not signed (no Signature header)")
	}
	if len(raw) > 1 {
		return signature{}, errors.New("more than one Signature header")
	}
	params, err := parseSignatureHeader(raw[0])
	if err != nil {
		return signature{}, err
	}
	sig := signature{keyID: params["keyId"]}
	if sig.keyID == "" || params["signature"] == "" {
		return sig, errors.New("Signature header without keyId or signature")
	}
	switch alg := params["algorithm"]; alg {
	case "", "rsa-sha256", "hs2019":
	default:
		return sig, fmt.Errorf("algorithm %q", alg)
	}
	signed := strings.Fields(strings.ToLower(params["headers"]))
	if len(signed) == 0 {
		signed = []string{"date"}
	}
	for _, h := range required {
		if !slices.Contains(signed, h) {
			return sig, fmt.Errorf("%s is not signed (headers=%q)", h, params["headers"])
		}
	}
	if r.Method == http.MethodPost || slices.Contains(signed, "digest") {
		sum := sha256.Sum256(body)
		if want := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:]); r.Header.Get("Digest") != want {
			return sig, fmt.Errorf("Digest %q does not match the body (want %q)", r.Header.Get("Digest"), want)
		}
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return sig, fmt.Errorf("Date %q is not an HTTP-date", r.Header.Get("Date"))
	}
	now := p.now()
	if date.Sub(now) > maxAhead {
		return sig, fmt.Errorf("Date %s is %s in the future", r.Header.Get("Date"), date.Sub(now))
	}
	if now.Sub(date) > maxAge {
		return sig, fmt.Errorf("Date %s is %s old", r.Header.Get("Date"), now.Sub(date))
	}

	h := r.Header.Clone()
	h.Set("Host", r.Host)
	verifier, err := httpsig.NewVerifier(&http.Request{Method: r.Method,
		URL: &url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}, Header: h})
	if err != nil {
		return sig, fmt.Errorf("go-fed cannot read the signature: %w", err)
	}
	if verifier.KeyId() != sig.keyID {
		return sig, fmt.Errorf("go-fed reads keyId %q, the header says %q", verifier.KeyId(), sig.keyID)
	}
	key, owner, err := p.publicKey(ctx, sig.keyID, false)
	if err != nil {
		return sig, err
	}
	if err := verifier.Verify(key, httpsig.RSA_SHA256); err != nil {
		// The key may have been rotated: fetch it again once.
		key, owner, err = p.publicKey(ctx, sig.keyID, true)
		if err != nil {
			return sig, err
		}
		if err := verifier.Verify(key, httpsig.RSA_SHA256); err != nil {
			return sig, fmt.Errorf("signature does not verify with key %s: %w", sig.keyID, err)
		}
	}
	sig.owner = owner
	return sig, nil
}

// parseSignatureHeader reads the name="value" pairs of a Signature header.
func parseSignatureHeader(s string) (map[string]string, error) {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; {
		name, rest, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("malformed Signature header near %q", s)
		}
		name = strings.TrimSpace(name)
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated value of %s in the Signature header", name)
			}
			value, rest = rest[1:1+end], rest[2+end:]
		} else {
			value, rest, _ = strings.Cut(rest, ",")
			rest = "," + rest
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%s given twice in the Signature header", name)
		}
		out[name] = value
		rest = strings.TrimSpace(rest)
		if rest != "" && !strings.HasPrefix(rest, ",") {
			return nil, fmt.Errorf("malformed Signature header near %q", rest)
		}
		s = strings.TrimSpace(strings.TrimPrefix(rest, ","))
	}
	return out, nil
}

// publicKey returns the RSA key keyID names and its owner, fetched from the keyId URL (unsigned in the
// Mastodon dialect, signed in GoToSocial's) and cached, unless refresh is set.
func (p *Peer) publicKey(ctx context.Context, keyID string, refresh bool) (*rsa.PublicKey, string, error) {
	p.mu.Lock()
	k, ok := p.keys[keyID]
	p.mu.Unlock()
	if ok && !refresh {
		return k.key, k.owner, nil
	}
	docURL, _, _ := strings.Cut(keyID, "#")
	body, _, err := p.get(ctx, docURL, p.Dialect.accept(), p.Dialect == GoToSocial)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && (se.Status == http.StatusNotFound || se.Status == http.StatusGone) {
			return nil, "", fmt.Errorf("key %s: %w", keyID, err)
		}
		return nil, "", fmt.Errorf("%w: %s: %w", errKeyUnavailable, keyID, err)
	}
	key, owner, err := findKey(body, keyID)
	if err != nil {
		return nil, "", err
	}
	p.mu.Lock()
	p.keys[keyID] = cachedKey{key: key, owner: owner}
	p.mu.Unlock()
	return key, owner, nil
}

// findKey finds keyID in the document fetched from its URL: a key document of its own
// ({id: keyID, owner, publicKeyPem}), or an actor whose publicKey (object or array) has that id.
// The owner must be on the key's host, and an actor must own the keys it publishes.
func findKey(body []byte, keyID string) (*rsa.PublicKey, string, error) {
	type keyJSON struct {
		ID           string `json:"id"`
		Owner        string `json:"owner"`
		PublicKeyPem string `json:"publicKeyPem"`
	}
	var doc struct {
		keyJSON
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, "", fmt.Errorf("key %s: the document is not JSON: %w", keyID, err)
	}
	var found *keyJSON
	if doc.ID == keyID && doc.PublicKeyPem != "" {
		found = &doc.keyJSON
	} else {
		var list []keyJSON
		if json.Unmarshal(doc.PublicKey, &list) != nil {
			var one keyJSON
			if err := json.Unmarshal(doc.PublicKey, &one); err != nil {
				return nil, "", fmt.Errorf("key %s: the document has no publicKey", keyID)
			}
			list = []keyJSON{one}
		}
		for i := range list {
			if list[i].ID == keyID {
				found = &list[i]
				break
			}
		}
		if found == nil {
			return nil, "", fmt.Errorf("key %s: the document at its URL does not publish it", keyID)
		}
		if found.Owner != doc.ID {
			return nil, "", fmt.Errorf("key %s: owner %q is not the actor %q that publishes it", keyID, found.Owner, doc.ID)
		}
	}
	if found.Owner == "" {
		return nil, "", fmt.Errorf("key %s has no owner", keyID)
	}
	ku, err1 := url.Parse(keyID)
	ou, err2 := url.Parse(found.Owner)
	if err1 != nil || err2 != nil || !strings.EqualFold(ku.Host, ou.Host) {
		return nil, "", fmt.Errorf("key %s: owner %s is on another host", keyID, found.Owner)
	}
	key, err := parseRSAPublicKey(found.PublicKeyPem)
	if err != nil {
		return nil, "", fmt.Errorf("key %s: %w", keyID, err)
	}
	return key, found.Owner, nil
}

func parseRSAPublicKey(s string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("publicKeyPem has no PEM block")
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("publicKeyPem is a %T, not RSA", k)
		}
		return rk, nil
	}
	return x509.ParsePKCS1PublicKey(block.Bytes)
}
