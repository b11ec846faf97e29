package federation

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A steward's own actor says since when they are one; a person who is not one says nothing, and a
// date that cannot be read makes no steward.
func TestRemotePersonStewardSince(t *testing.T) {
	u, _ := NewURLs("https://b.example")
	pub, _, _ := ed25519.GenerateKey(nil)
	since := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	steward, err := u.ActorDocument(ActorProfile{Name: "s2", Username: "s2", Type: "Person", SigningKeys: []SigningKey{{Key: pub}}, StewardSince: since})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := u.ActorDocument(ActorProfile{Name: "jia", Username: "jia", Type: "Person", SigningKeys: []SigningKey{{Key: pub}}})
	srv := newRemote(t)
	for path, doc := range map[string][]byte{"/users/s2": steward, "/users/jia": plain} {
		// The documents are written for b.example; served here, their ids are this server's.
		srv.setTyped(path, ContentType, json.RawMessage(strings.ReplaceAll(string(doc), "https://b.example", srv.URL)))
	}
	srv.setTyped("/users/odd", ContentType, map[string]any{"id": srv.URL + "/users/odd", "stewardSince": "last spring"})
	r := newTestResolver(t, newMemCache(), &fakeClock{now: since})
	for _, tt := range []struct {
		path string
		want time.Time
		keys int
	}{{"/users/s2", since, 1}, {"/users/jia", time.Time{}, 1}, {"/users/odd", time.Time{}, 0}} {
		p, err := r.RemotePerson(context.Background(), srv.URL+tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if !p.StewardSince.Equal(tt.want) || len(p.Keys) != tt.keys {
			t.Errorf("%s: steward since %v with %d keys, want %v with %d", tt.path, p.StewardSince, len(p.Keys), tt.want, tt.keys)
		}
	}
}

// An endorsement's Add carries the statement and names the notice; one without either is refused.
func TestEndorsementDocument(t *testing.T) {
	u, _ := NewURLs("https://b.example")
	statement := json.RawMessage(`{"id":"urn:uuid:1","type":"Statement","proof":[]}`)
	doc, err := u.EndorsementDocument("jia", "https://b.example/users/jia#endorsements/1", "https://a.example/notices/2", "https://a.example/users/xz", statement)
	if err != nil {
		t.Fatal(err)
	}
	var add struct {
		Type, Actor string
		To          []string
	}
	json.Unmarshal(doc, &add)
	if add.Type != "Add" || add.Actor != "https://b.example/users/jia" || len(add.To) != 1 || add.To[0] != "https://a.example/users/xz" {
		t.Errorf("Add = %s", doc)
	}
	e, err := ParseEndorsement(doc)
	if err != nil || e.Notice != "https://a.example/notices/2" || !jsonEqual(e.Statement, statement) {
		t.Fatalf("ParseEndorsement = %+v, %v", e, err)
	}
	for _, bad := range []string{`{"object":{"id":"x"}}`, `{"target":"https://a.example/notices/2","object":"urn:uuid:1"}`} {
		if _, err := ParseEndorsement([]byte(bad)); err == nil {
			t.Errorf("ParseEndorsement(%s) = nil error", bad)
		}
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// A refusal's reason, as a JSON error answer gives it, reaches the caller, clipped.
func TestStatusErrorReason(t *testing.T) {
	long := strings.Repeat("é", 400)
	for _, tt := range []struct{ body, want string }{
		{`{"error":"x is a steward of c.example, whose stewards this instance does not trust"}`, "x is a steward of c.example, whose stewards this instance does not trust"},
		{`<html>nope</html>`, ""},
		{`{"error":"` + long + `"}`, long[:maxReasonBytes] + "…"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnprocessableEntity)
			w.Write([]byte(tt.body))
		}))
		err := NewClient(ClientOptions{AllowPrivate: true}).Post(context.Background(), srv.URL+"/inbox", []byte(`{}`), testSigner(t))
		srv.Close()
		status, ok := err.(*StatusError)
		if !ok || status.Status != http.StatusUnprocessableEntity || status.Reason != tt.want {
			t.Errorf("body %.40s: error %#v, want reason %.40q", tt.body, err, tt.want)
		}
	}
}
