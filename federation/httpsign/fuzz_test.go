package httpsign

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Fuzz targets for what reads network input before any key is fetched: the Signature header's
// parser, the Digest and Date checks, and Precheck over whole requests. Under plain `go test` each
// runs its seed corpus.

var fuzzNow = time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)

// fuzzSigned is a POST signed by Sign, for seeds: real header values to mutate.
func fuzzSigned(t testing.TB) *http.Request {
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"Follow"}`)
	req := httptest.NewRequest("POST", "https://example.com/users/xz/inbox", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := Sign(req, body, "https://example.com/users/a#main-key", key, fuzzNow); err != nil {
		t.Fatal(err)
	}
	return req
}

// wantRefusal fails unless err is nil or a refusal with status 400 or 401 and a reason.
func wantRefusal(t *testing.T, e *Error) {
	t.Helper()
	if e != nil && (e.Status != http.StatusBadRequest && e.Status != http.StatusUnauthorized || e.Reason == "") {
		t.Fatalf("refusal %d %q", e.Status, e.Reason)
	}
}

func FuzzParseParams(f *testing.F) {
	f.Add(fuzzSigned(f).Header.Get("Signature"))
	f.Add(`keyId="a",algorithm="hs2019",headers="(request-target) host (created) (expires)",created=1,expires=2,signature="YWJj"`)
	f.Add(`keyId="a\"b\\c", signature = "YWJj" ,headers="date"`)
	f.Add(`keyId=a,signature=YWJj,x=`)
	f.Add(`keyId="a",keyId="b",signature="YWJj"`)
	f.Add(`keyId="é`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseParams(s)
		if err != nil {
			return
		}
		if p.keyID == "" || p.signature == "" || len(p.headers) == 0 {
			t.Fatalf("accepted without keyId, signature or headers: %+v", p)
		}
		for _, h := range p.headers {
			if !isHeaderName(h) || h != strings.ToLower(h) {
				t.Fatalf("accepted header name %q", h)
			}
		}
		if !printable(p.keyID) || !printable(p.algorithm) {
			return // String quotes these with Go escapes the parser does not read
		}
		again, err := parseParams(p.String())
		if err != nil {
			t.Fatalf("String() = %s does not parse again: %v", p.String(), err)
		}
		if !sameParams(p, again) {
			t.Fatalf("round trip changed the parameters:\n%+v\n%+v", p, again)
		}
	})
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

func sameParams(a, b params) bool {
	return a.keyID == b.keyID && a.algorithm == b.algorithm && a.signature == b.signature &&
		slices.Equal(a.headers, b.headers) &&
		(!a.signs(createdHeader) || a.created == b.created) && (!a.signs(expiresHeader) || a.expires == b.expires)
}

func FuzzCheckDigest(f *testing.F) {
	body := []byte(`{"type":"Follow"}`)
	sum := sha256.Sum256(body)
	good := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	f.Add(good, "", body)
	f.Add("sha-256="+base64.StdEncoding.EncodeToString(sum[:]), "SHA-512=abc", body)
	f.Add("SHA-512=abc, "+good, "", body)
	f.Add(good+",SHA-256=AAAA", "", body)
	f.Add("SHA-256", "=", []byte{})
	f.Add("", "", []byte(nil))
	f.Fuzz(func(t *testing.T, digest, second string, body []byte) {
		h := http.Header{}
		for _, v := range []string{digest, second} {
			if v != "" {
				h.Add("Digest", v)
			}
		}
		e := checkDigest(h, body)
		wantRefusal(t, e)
		if e != nil {
			return
		}
		sum := sha256.Sum256(body)
		want := base64.StdEncoding.EncodeToString(sum[:])
		found := false
		for _, v := range h.Values("Digest") {
			for part := range strings.SplitSeq(v, ",") {
				alg, value, _ := strings.Cut(strings.TrimSpace(part), "=")
				if strings.EqualFold(alg, "SHA-256") {
					if strings.TrimSpace(value) != want {
						t.Fatalf("accepted %q, a SHA-256 value that is not the body's", v)
					}
					found = true
				}
			}
		}
		if !found {
			t.Fatalf("accepted Digest %q without a SHA-256 value", h.Values("Digest"))
		}
	})
}

func FuzzCheckTime(f *testing.F) {
	date := fuzzNow.Format(http.TimeFormat)
	sig := `keyId="https://a.example/k",headers="(request-target) host date digest",signature="YWJj"`
	f.Add(date, "", sig, int64(0))
	f.Add(fuzzNow.Add(-65*time.Minute).Format(http.TimeFormat), "", sig, int64(0))
	f.Add(fuzzNow.Add(time.Hour).Format(http.TimeFormat), "", sig, int64(1))
	f.Add(date, date, sig, int64(0))
	f.Add("yesterday", "", sig, int64(-7200))
	f.Add("", "", `keyId="k",headers="(created) (expires)",created=1792000000,expires=1792003600,signature="YWJj"`, int64(0))
	f.Add("Thu, 05 Nov 2026 12:00:00 PST", "", sig, int64(0))
	f.Fuzz(func(t *testing.T, date, second, sig string, offset int64) {
		p, err := parseParams(sig)
		if err != nil {
			return
		}
		h := http.Header{}
		for _, v := range []string{date, second} {
			if v != "" {
				h.Add("Date", v)
			}
		}
		e := checkTime(h, p, fuzzNow.Add(time.Duration(offset)*time.Second))
		wantRefusal(t, e)
		if e != nil || !p.signs("date") {
			return
		}
		if len(h.Values("Date")) != 1 {
			t.Fatalf("accepted %d Date headers", len(h.Values("Date")))
		}
		signed, err := http.ParseTime(date)
		if err != nil {
			t.Fatalf("accepted Date %q that does not parse: %v", date, err)
		}
		now := fuzzNow.Add(time.Duration(offset) * time.Second)
		if signed.Sub(now) > MaxClockSkew || now.Sub(signed) > MaxSignatureLifetime+MaxClockSkew {
			t.Fatalf("accepted Date %s at %s", signed, now)
		}
	})
}

// FuzzPrecheck varies the headers a request arrives with, not only its Signature: Precheck must
// refuse with a reason or accept, accept only what signs where the request went, and agree with
// Verify, which starts with it.
func FuzzPrecheck(f *testing.F) {
	req := fuzzSigned(f)
	h := req.Header
	f.Add("POST", "example.com", "", h.Get("Signature"), h.Get("Date"), h.Get("Digest"))
	f.Add("POST", "example.com", "other.example", h.Get("Signature"), h.Get("Date"), h.Get("Digest"))
	f.Add("POST", "example.com", "", `keyId="https://a.example/k",headers="date digest",signature="YWJj"`, h.Get("Date"), h.Get("Digest"))
	f.Add("GET", "example.com", "", `keyId="https://a.example/k",headers="(request-target) host date",signature="YWJj"`, h.Get("Date"), "")
	f.Add("POST", "", "", `keyId="acct:a@example.com",headers="(request-target) host date digest",signature="YWJj"`, "", "x")
	f.Fuzz(func(t *testing.T, method, host, hostHeader, sig, date, digest string) {
		if method != "POST" && method != "GET" && method != "HEAD" {
			method = "POST"
		}
		req := httptest.NewRequest(method, "/users/xz/inbox", nil)
		req.Host = host
		req.Header = http.Header{}
		for name, v := range map[string]string{"Host": hostHeader, "Signature": sig, "Date": date, "Digest": digest,
			"Content-Type": "application/activity+json"} {
			if v != "" {
				req.Header[name] = []string{v}
			}
		}
		c, err := Precheck(req, fuzzNow)
		e, _ := err.(*Error)
		if err != nil && e == nil {
			t.Fatalf("error is %T, not *Error: %v", err, err)
		}
		wantRefusal(t, e)
		_, verifyErr := Verify(t.Context(), req, nil, fuzzNow, func(context.Context, string, bool) (crypto.PublicKey, string, error) {
			return nil, "", ErrKeyNotFound
		})
		if err != nil {
			if ve, ok := verifyErr.(*Error); !ok || ve.Status != e.Status || ve.Reason != e.Reason {
				t.Fatalf("Precheck refused %d %q, Verify %v", e.Status, e.Reason, verifyErr)
			}
			return
		}
		p, _ := parseParams(sig)
		if keyID := c.KeyID(); keyID != p.keyID || checkKeyIDShape(keyID) != nil {
			t.Fatalf("Precheck returned keyId %q for %q", keyID, sig)
		}
		if method == "POST" && !(p.signs(requestTarget) && p.signs("host") && p.signs("digest")) {
			t.Fatalf("accepted a POST signed over %q", p.headers)
		}
		if hostHeader != "" && host != "" && !strings.EqualFold(hostHeader, host) {
			t.Fatalf("accepted Host header %q on a request sent to %q", hostHeader, host)
		}
	})
}

// FuzzWriteQuoted: the header is written as strconv.Quote would write it, whatever the value.
func FuzzWriteQuoted(f *testing.F) {
	for _, s := range []string{"", "YWJj+/==", "(request-target) host date digest", `a"b`, `a\b`, "a\tb", "é", "\x7f", "~ !"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		writeQuoted(&b, s)
		if b.String() != strconv.Quote(s) {
			t.Fatalf("writeQuoted(%q) = %s", s, b.String())
		}
	})
}
