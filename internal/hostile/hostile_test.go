package hostile

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

// verify checks a server-side request's signature with go-fed, against the actor's key.
func verify(t *testing.T, req *http.Request, a *Actor) error {
	t.Helper()
	h := req.Header.Clone()
	h.Set("Host", req.Host)
	v, err := httpsig.NewVerifier(&http.Request{Method: req.Method, URL: req.URL, Header: h})
	if err != nil {
		return err
	}
	return v.Verify(&a.Key.PublicKey, httpsig.RSA_SHA256)
}

func TestPostSignsAsMastodon(t *testing.T) {
	p := New(t)
	a := p.Actor("mallory")
	body := Body(a.Follow("https://notices.example.org/users/xz"))
	req := ServerSide(a.Post("https://notices.example.org/inbox", body))
	if req.Host != "notices.example.org" || req.Header.Get("Host") != "" || req.URL.String() != "/inbox" {
		t.Errorf("server side: Host %q, Host header %q, URL %q", req.Host, req.Header.Get("Host"), req.URL)
	}
	sig := req.Header.Get("Signature")
	if !strings.Contains(sig, `algorithm="rsa-sha256"`) || !strings.Contains(sig, `headers="(request-target) host date digest content-type"`) ||
		!strings.Contains(sig, `keyId="`+a.KeyID+`"`) {
		t.Errorf("Signature = %s", sig)
	}
	if err := verify(t, req, a); err != nil {
		t.Errorf("the signature does not verify: %v", err)
	}
	got, _ := io.ReadAll(req.Body)
	if string(got) != string(body) || req.ContentLength != int64(len(body)) {
		t.Errorf("body %q (Content-Length %d)", got, req.ContentLength)
	}
}

func TestPostBent(t *testing.T) {
	p := New(t)
	a := p.Actor("mallory")
	body := []byte(`{}`)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	req := ServerSide(a.Post("https://notices.example.org/inbox", body,
		SignedHeaders("date", "digest"), Dated(at), KeyID("https://x.example/k"), DigestOf([]byte("other"))))
	if !strings.Contains(req.Header.Get("Signature"), `headers="date digest"`) || req.Header.Get("Date") != "Fri, 02 Jan 2026 03:04:05 GMT" ||
		!strings.Contains(req.Header.Get("Signature"), `keyId="https://x.example/k"`) || req.Header.Get("Digest") == "" {
		t.Errorf("headers %v", req.Header)
	}
	if err := verify(t, req, a); err != nil {
		t.Errorf("the bent signature does not verify for what it covers: %v", err)
	}

	// Signed for another server's inbox: sent here with that Host, as a replay must be.
	req = ServerSide(a.Post("https://notices.example.org/inbox", body, SignedFor("https://mastodon.example/users/bob/inbox")))
	if req.Host != "mastodon.example" || req.URL.Path != "/inbox" {
		t.Errorf("replay: Host %q, path %q", req.Host, req.URL.Path)
	}
	req.URL.Path = "/users/bob/inbox"
	if err := verify(t, req, a); err != nil {
		t.Errorf("the replayed signature does not verify where it was made for: %v", err)
	}

	req = a.Post("https://notices.example.org/inbox", body, Unsigned(), WithContentType("text/plain"))
	if req.Header.Get("Signature") != "" || req.Header.Get("Digest") != "" || req.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("unsigned: %v", req.Header)
	}
}

func TestHeld(t *testing.T) {
	h := Hold([]byte("abcdef"))
	select {
	case <-h.Reading():
		t.Fatal("reading before a read")
	default:
	}
	buf := make([]byte, 3)
	var got []byte
	for len(got) < 5 {
		n, err := h.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	<-h.Reading()
	if string(got) != "abcde" {
		t.Errorf("read %q before holding", got)
	}
	done := make(chan error)
	go func() {
		_, err := h.Read(buf)
		done <- err
	}()
	h.Release()
	h.Release()
	if err := <-done; !errors.Is(err, ErrHungUp) {
		t.Errorf("after Release: %v", err)
	}
}

func TestBuilders(t *testing.T) {
	p := New(t)
	a := p.Actor("mallory")
	for _, size := range []int{300, 4096, 1 << 20} {
		if b := Padded(a.Follow("https://x.example/users/y"), size); len(b) != size || !json.Valid(b) {
			t.Errorf("Padded(%d) is %d bytes, valid %v", size, len(b), json.Valid(b))
		}
	}
	for _, size := range []int{2048, 2049, 5000} {
		u := LongURL(a.ID, size)
		if len(u) != size || !strings.HasPrefix(u, a.ID+"/") {
			t.Errorf("LongURL(%d) is %d bytes: %.80s", size, len(u), u)
		}
	}
	if id := a.NewID("follows"); !strings.HasPrefix(id, a.ID+"/follows/") {
		t.Errorf("NewID = %s", id)
	}
}

func TestPeerServesActors(t *testing.T) {
	p := New(t)
	get := func(name string) (int, map[string]any) {
		resp, err := http.Get(p.URL + "/users/" + name)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc map[string]any
		json.NewDecoder(resp.Body).Decode(&doc)
		return resp.StatusCode, doc
	}
	status, doc := get("alice")
	key, _ := doc["publicKey"].(map[string]any)
	if status != 200 || doc["id"] != p.Actor("alice").ID || key["id"] != p.Actor("alice").KeyID ||
		!strings.Contains(key["publicKeyPem"].(string), "PUBLIC KEY") {
		t.Errorf("alice: %d %v", status, doc)
	}
	p.EditActor("alice", func(doc map[string]any) { doc["inbox"] = "https://victim.example/inbox" })
	if _, doc := get("alice"); doc["inbox"] != "https://victim.example/inbox" {
		t.Errorf("edited alice: %v", doc)
	}
	p.Answer("alice", http.StatusGone)
	if status, _ := get("alice"); status != http.StatusGone {
		t.Errorf("gone alice answered %d", status)
	}
	if n := p.Fetches("alice"); n != 3 {
		t.Errorf("Fetches = %d, want 3", n)
	}
}
