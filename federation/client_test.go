package federation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/federation/httpsign"
)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

// rsaKey is one RSA key for the whole package's tests: making them is slow under -race.
func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

func testSigner(t *testing.T) Signer {
	return Signer{KeyID: base + "/actor#main-key", Key: rsaKey(t)}
}

func TestIsPrivateAddress(t *testing.T) {
	tests := []struct {
		addr    string
		private bool
	}{
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"10.0.0.1", true},
		{"10.255.255.255", true},
		{"172.16.0.1", true},
		{"172.31.255.254", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true},
		{"fe80::1", true},
		{"febf::1", true},
		{"100.64.0.1", true},
		{"100.127.255.254", true},
		{"0.0.0.0", true},
		{"::", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.1.2.3", true},
		{"::ffff:169.254.169.254", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"224.0.0.1", true},
		{"ff02::1", true},
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"2001:4860::8888", false},
		{"2001:4860:4860::8888", false},
		{"172.15.255.255", false},
		{"172.32.0.1", false},
		{"100.63.255.255", false},
		{"100.128.0.1", false},
		{"192.169.0.1", false},
		{"::ffff:8.8.8.8", false},
		{"fec0::1", true}, // site-local

		// IPv6 addresses that carry an IPv4 address for a translator or tunnel to deliver to.
		{"::7f00:1", true}, // IPv4-compatible ::127.0.0.1
		{"::a00:1", true},
		{"::a9fe:a9fe", true},
		{"::808:808", false},
		{"::ffff:0:7f00:1", true}, // SIIT
		{"::ffff:0:808:808", false},
		{"64:ff9b::7f00:1", true}, // well-known NAT64
		{"64:ff9b::a00:1", true},
		{"64:ff9b::6440:1", true}, // carrier-grade NAT
		{"64:ff9b::808:808", false},
		{"64:ff9b:1::a00:1", true}, // local-use NAT64: the IPv4 address is where its operator puts it
		{"64:ff9b:1:ffff::808:808", true},
		{"2002:7f00:1::1", true}, // 6to4
		{"2002:c0a8:101::1", true},
		{"2002:a9fe:a9fe::1", true},
		{"2002:808:808::1", false},
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", true},  // Teredo, client 127.0.0.1 (inverted)
		{"2001:0:4136:e378:8000:63bf:f5ff:fffe", true},  // client 10.0.0.1
		{"2001:0:a00:1:8000:63bf:f7f7:f7f7", true},      // server 10.0.0.1
		{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", false}, // client 8.8.8.8, server public
		{"2001:db8:1::5efe:a00:1", true},                // ISATAP
		{"2001:db8:1::200:5efe:7f00:1", true},
		{"2001:db8:1::5efe:808:808", false},
	}
	for _, tt := range tests {
		addr := netip.MustParseAddr(tt.addr)
		if got := IsPrivateAddress(addr); got != tt.private {
			t.Errorf("IsPrivateAddress(%s) = %v, want %v", tt.addr, got, tt.private)
		}
	}
}

func TestClientRefusesPrivateAddresses(t *testing.T) {
	var hits int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{})
	ctx := context.Background()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, u := range []string{
		srv.URL + "/users/a",
		"http://localhost:" + port + "/users/a",
		"http://[::ffff:127.0.0.1]:" + port + "/users/a",
		"http://[::7f00:1]:" + port + "/users/a",
		"http://[64:ff9b::7f00:1]:" + port + "/users/a",
		"http://[2002:7f00:1::1]:" + port + "/users/a",
		"http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:" + port + "/users/a",
	} {
		// Fetches go over https where private addresses are refused; the address is refused all the
		// same, before any handshake.
		get := "https" + strings.TrimPrefix(u, "http")
		_, _, err := c.Get(ctx, get, Accept, testSigner(t))
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("Get(%s) = %v, want an error wrapping ErrPrivateAddress", get, err)
		}
		err = c.Post(ctx, u+"/inbox", []byte(`{}`), testSigner(t))
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("Post(%s) = %v, want an error wrapping ErrPrivateAddress", u, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 0 {
		t.Errorf("the server got %d requests", hits)
	}
}

func TestClientRefusesOtherSchemes(t *testing.T) {
	c := NewClient(ClientOptions{AllowPrivate: true})
	for _, u := range []string{"ftp://example.org/x", "file:///etc/passwd", "/relative", "", "http://", "gopher://h/"} {
		if _, _, err := c.Get(context.Background(), u, Accept, testSigner(t)); err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
			t.Errorf("Get(%q) = %v, want 'not an http(s) URL'", u, err)
		}
	}
}

func TestClientGet(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		w.Header().Set("Content-Type", ContentType)
		w.Write([]byte(`{"id":"x"}`))
	}))
	defer srv.Close()
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	c := NewClient(ClientOptions{AllowPrivate: true, UserAgent: "baton/test (+https://notices.example.org/)", Now: func() time.Time { return now }})
	body, _, err := c.Get(context.Background(), srv.URL+"/users/a", Accept, testSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"id":"x"}` {
		t.Errorf("body = %q", body)
	}
	if got.Method != http.MethodGet || got.URL.Path != "/users/a" {
		t.Errorf("request = %s %s", got.Method, got.URL)
	}
	for h, want := range map[string]string{
		"Accept":     Accept,
		"User-Agent": "baton/test (+https://notices.example.org/)",
		"Date":       "Sat, 01 Jun 2024 12:00:00 GMT",
	} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("%s = %q, want %q", h, v, want)
		}
	}
	sig := got.Header.Get("Signature")
	if !strings.Contains(sig, `keyId="`+base+`/actor#main-key"`) {
		t.Errorf("Signature = %q, want keyId of the signer", sig)
	}
	if !strings.Contains(sig, `headers="(request-target) host date accept"`) {
		t.Errorf("Signature = %q, want GET headers", sig)
	}
}

func TestClientBodyLimit(t *testing.T) {
	sizes := map[string]int{"/exact": MaxResponseBytes, "/over": MaxResponseBytes + 1, "/much": 3 * MaxResponseBytes}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		w.Write(bytes.Repeat([]byte("a"), sizes[r.URL.Path]))
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true})
	body, _, err := c.Get(context.Background(), srv.URL+"/exact", Accept, testSigner(t))
	if err != nil || len(body) != MaxResponseBytes {
		t.Errorf("1 MiB body: %d bytes, %v", len(body), err)
	}
	for _, p := range []string{"/over", "/much"} {
		body, _, err := c.Get(context.Background(), srv.URL+p, Accept, testSigner(t))
		if err == nil || body != nil {
			t.Errorf("Get(%s) = %d bytes, %v; want an error", p, len(body), err)
		} else if !strings.Contains(err.Error(), "response larger than 1048576 bytes") {
			t.Errorf("Get(%s) error = %v", p, err)
		}
	}
	if MaxResponseBytes != 1<<20 {
		t.Errorf("MaxResponseBytes = %d", MaxResponseBytes)
	}
}

func TestClientStatusError(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	answers := map[string]struct {
		status     int
		retryAfter string
	}{
		"/404":         {404, ""},
		"/410":         {410, ""},
		"/429-seconds": {429, "120"},
		"/503-date":    {503, now.Add(90 * time.Second).Format(http.TimeFormat)},
		"/503-past":    {503, now.Add(-time.Hour).Format(http.TimeFormat)},
		"/503-zero":    {503, "0"},
		"/503-junk":    {503, "soon"},
		"/500":         {500, ""},
		"/301-nowhere": {301, ""},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := answers[r.URL.Path]
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
		w.Write([]byte(`{"error":"x"}`))
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true, Now: func() time.Time { return now }})
	want := map[string]time.Duration{
		"/404": 0, "/410": 0, "/429-seconds": 120 * time.Second, "/503-date": 90 * time.Second,
		"/503-past": 0, "/503-zero": 0, "/503-junk": 0, "/500": 0, "/301-nowhere": 0,
	}
	for p, wantRetry := range want {
		for _, method := range []string{"GET", "POST"} {
			var err error
			if method == "GET" {
				_, _, err = c.Get(context.Background(), srv.URL+p, Accept, testSigner(t))
			} else {
				err = c.Post(context.Background(), srv.URL+p, []byte(`{}`), testSigner(t))
			}
			var se *StatusError
			if !errors.As(err, &se) {
				t.Errorf("%s %s: %v, want a *StatusError", method, p, err)
				continue
			}
			if se.Status != answers[p].status || se.RetryAfter != wantRetry || se.URL != srv.URL+p {
				t.Errorf("%s %s: %+v, want status %d, RetryAfter %v", method, p, se, answers[p].status, wantRetry)
			}
			if wantMsg := fmt.Sprintf("%s answered %d %s", srv.URL+p, se.Status, http.StatusText(se.Status)); se.Error() != wantMsg {
				t.Errorf("Error() = %q, want %q", se.Error(), wantMsg)
			}
		}
	}
}

func TestClientPost(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"type":"Create","content":"C:\\temp <b>"}`)
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true, Now: func() time.Time { return now }})
	signer := Signer{KeyID: base + "/users/xz#main-key", Key: rsaKey(t)}
	if err := c.Post(context.Background(), srv.URL+"/users/alice/inbox", body, signer); err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/users/alice/inbox" {
		t.Errorf("request = %s %s", got.Method, got.URL)
	}
	if !bytes.Equal(gotBody, body) {
		t.Errorf("body = %q, want %q", gotBody, body)
	}
	sum := sha256.Sum256(body)
	for h, want := range map[string]string{
		"Content-Type": "application/activity+json",
		"Digest":       "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:]),
		"Date":         "Sat, 01 Jun 2024 12:00:00 GMT",
	} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("%s = %q, want %q", h, v, want)
		}
	}
	sig := got.Header.Get("Signature")
	for _, want := range []string{`keyId="` + base + `/users/xz#main-key"`, `algorithm="rsa-sha256"`, `headers="(request-target) host date digest content-type"`} {
		if !strings.Contains(sig, want) {
			t.Errorf("Signature = %q, want it to contain %s", sig, want)
		}
	}
	// And it verifies, as Mastodon would check it.
	got.Body = io.NopCloser(bytes.NewReader(gotBody))
	v, err := httpsign.Verify(context.Background(), got, gotBody, now, func(_ context.Context, keyID string, _ bool) (crypto.PublicKey, string, error) {
		if keyID != signer.KeyID {
			return nil, "", fmt.Errorf("unexpected key %s", keyID)
		}
		return &rsaKey(t).PublicKey, base + "/users/xz", nil
	})
	if err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	if v.KeyID != signer.KeyID || v.Owner != base+"/users/xz" {
		t.Errorf("verified %+v", v)
	}
}

func TestClientPostAnyTwoHundred(t *testing.T) {
	for _, status := range []int{200, 201, 202, 204} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
		c := NewClient(ClientOptions{AllowPrivate: true})
		if err := c.Post(context.Background(), srv.URL+"/inbox", []byte(`{}`), testSigner(t)); err != nil {
			t.Errorf("status %d: %v", status, err)
		}
		srv.Close()
	}
}

// redirector serves /r/N as a redirect to /r/N-1, and /r/0 as the document.
func redirector() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/r/%d", &n)
		if n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", ContentType)
		w.Write([]byte(`{"id":"end"}`))
	}))
}

func TestClientRedirects(t *testing.T) {
	srv := redirector()
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true})
	for _, n := range []int{0, 1, 2} {
		body, _, err := c.Get(context.Background(), fmt.Sprintf("%s/r/%d", srv.URL, n), Accept, testSigner(t))
		if err != nil || string(body) != `{"id":"end"}` {
			t.Errorf("%d redirects: %q, %v", n, body, err)
		}
	}
	for _, n := range []int{4, 10} {
		if _, _, err := c.Get(context.Background(), fmt.Sprintf("%s/r/%d", srv.URL, n), Accept, testSigner(t)); err == nil {
			t.Errorf("%d redirects were followed", n)
		}
	}
}

// INTEROP.md: redirects are followed up to 3 hops (Mastodon's http.rb max_hops: 3 follows 3).
func TestClientFollowsThreeRedirects(t *testing.T) {
	srv := redirector()
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true})
	body, _, err := c.Get(context.Background(), srv.URL+"/r/3", Accept, testSigner(t))
	if err != nil || string(body) != `{"id":"end"}` {
		t.Errorf("3 redirects: %q, %v", body, err)
	}
}

func TestClientSignError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true})
	if _, _, err := c.Get(context.Background(), srv.URL, Accept, Signer{KeyID: "k", Key: "not a key"}); err == nil {
		t.Error("Get with an unusable key succeeded")
	}
	if err := c.Post(context.Background(), srv.URL, []byte(`{}`), Signer{KeyID: `bad"id`, Key: rsaKey(t)}); err == nil {
		t.Error("Post with an unsendable key id succeeded")
	}
}
