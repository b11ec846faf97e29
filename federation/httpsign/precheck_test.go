package httpsign_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"baton/federation/httpsign"
)

// TestPrecheck: what can be refused without the body or the key is refused by Precheck, with the
// answer Verify would give; what passes returns its keyId.
func TestPrecheck(t *testing.T) {
	k := keys()
	body := []byte(note)
	goFed := func(headers ...string) *http.Request {
		req := newRequest(t, "POST", "https://example.com/users/xz/inbox", body)
		goFedSign(t, req, body, mastoKey, k.rsa, t0, headers...)
		return req
	}
	tests := []struct {
		name   string
		req    *http.Request
		now    time.Time
		status int
		reason string
	}{
		{"Mastodon's POST", signedPost(t, body, t0), t0, 0, ""},
		{"GoToSocial's POST", goFed(httpsig.RequestTarget, "host", "date", "digest"), t0, 0, ""},
		{"date and digest only", goFed("date", "digest"), t0, 401, "(request-target) must be signed on POST"},
		{"host not signed", goFed(httpsig.RequestTarget, "date", "digest"), t0, 401, "Host must be signed on POST"},
		{"stale", signedPost(t, body, t0), t0.Add(2 * time.Hour), 401, "Date is 2h old"},
		{"no Digest header", func() *http.Request {
			req := signedPost(t, body, t0)
			req.Header.Del("Digest")
			return req
		}(), t0, 401, `header "digest" is signed but missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sreq, sbody := serverSide(t, tt.req)
			c, err := httpsign.Precheck(sreq, tt.now)
			if tt.status == 0 {
				if err != nil || c.KeyID() != mastoKey {
					t.Fatalf("Precheck = %v, %v; want keyId %q", c, err, mastoKey)
				}
				return
			}
			wantError(t, err, tt.status, tt.reason)
			res := resolverOf(&k.rsa.PublicKey)
			_, verifyErr := httpsign.Verify(context.Background(), sreq, sbody, tt.now, res.resolve)
			if fmt.Sprint(verifyErr) != fmt.Sprint(err) || len(res.calls) != 0 {
				t.Errorf("Verify = %v after %d key lookups; Precheck said %v", verifyErr, len(res.calls), err)
			}
		})
	}
}

// A request prechecked when its headers arrived is verified when its body has been read: the time
// window is checked again then, so a body held back for an hour does not outlive its signature. The
// same Prechecked verifies the request while its signature is valid, with the key, and without it not.
func TestPrecheckedVerifyChecksTimeAgain(t *testing.T) {
	k := keys()
	body := []byte(note)
	sreq, sbody := serverSide(t, signedPost(t, body, t0))
	c, err := httpsign.Precheck(sreq, t0)
	if err != nil {
		t.Fatal(err)
	}
	res := resolverOf(&k.rsa.PublicKey)
	if v, err := c.Verify(context.Background(), sbody, t0.Add(time.Minute), res.resolve); err != nil || v.KeyID != mastoKey {
		t.Fatalf("Verify a minute later = %+v, %v", v, err)
	}
	if _, err := c.Verify(context.Background(), []byte(note+" "), t0, res.resolve); err == nil {
		t.Error("another body verified")
	}
	_, err = c.Verify(context.Background(), sbody, t0.Add(2*time.Hour), res.resolve)
	wantError(t, err, 401, "Date is 2h old")
}

// TestHostHeaderIsWhereItWent: go-fed reads the Host header; the host a server was reached at is in
// req.Host. A Host header that says otherwise is refused, and without one req.Host is what is signed.
func TestHostHeaderIsWhereItWent(t *testing.T) {
	k := keys()
	body := []byte(note)
	sreq, sbody := serverSide(t, signedPost(t, body, t0))
	sreq.Header.Set("Host", "other.example")
	_, err := httpsign.Verify(context.Background(), sreq, sbody, t0, resolverOf(&k.rsa.PublicKey).resolve)
	wantError(t, err, 401, `Host header "other.example" is not the host the request was sent to`)

	// Signed for other.example, reached at example.com: the signature covers another host.
	req := newRequest(t, "POST", "https://other.example/users/xz/inbox", body, "Content-Type", "application/activity+json")
	if err := httpsign.Sign(req, body, mastoKey, k.rsa, t0); err != nil {
		t.Fatal(err)
	}
	sreq, sbody = serverSide(t, req)
	sreq.Host = "example.com"
	_, err = httpsign.Verify(context.Background(), sreq, sbody, t0, resolverOf(&k.rsa.PublicKey).resolve)
	wantError(t, err, 401, "signature does not verify")
}

// TestKeyFetchErrorStaysInErr: why a key could not be fetched names addresses and hosts; the
// reason sent back does not.
func TestKeyFetchErrorStaysInErr(t *testing.T) {
	cause := errors.New("fetch key: dial tcp 10.0.0.7:443: connect: address is private, loopback or link-local; refused")
	sreq, sbody := serverSide(t, signedPost(t, []byte(note), t0))
	_, err := httpsign.Verify(context.Background(), sreq, sbody, t0, (&resolver{err: cause}).resolve)
	var e *httpsign.Error
	if !errors.As(err, &e) || e.Status != 503 || e.Reason != "could not fetch the key" || !errors.Is(err, cause) {
		t.Fatalf("Verify = %#v, want 503 %q with the cause in Err", err, "could not fetch the key")
	}
	if strings.Contains(e.Reason, "10.0.0.7") {
		t.Errorf("the reason names the address: %q", e.Reason)
	}
}
