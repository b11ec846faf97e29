package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	vocab "github.com/go-ap/activitypub"

	"baton/federation/proof"
	"baton/notice"
)

// upKey is a fixed Ed25519 public key, so that failures print the same key on every run.
func upKey(t testing.TB, seed byte) ed25519.PublicKey {
	t.Helper()
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize)).Public().(ed25519.PublicKey)
}

// upFixture is a Baton project actor as ActorDocument writes it, with what ParseUpstreamActor must give
// back of it.
type upFixture struct {
	urls     URLs
	profile  ActorProfile
	genesis  notice.Genesis // as the project's instance stores it (Project is the actor's name)
	stewards []StewardRef
}

func newUpFixture(t testing.TB, base string) upFixture {
	t.Helper()
	u, err := NewURLs(base)
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := "https://people.example/users/alice", "https://people.example/users/bob"
	sshFP, err := proof.Fingerprint(upKey(t, 9))
	if err != nil {
		t.Fatal(err)
	}
	g := notice.Genesis{
		Project:     "xz",
		Maintainers: []string{alice, bob},
		Keys: []notice.SigningKey{
			{Fingerprint: "0123456789ABCDEF0123456789ABCDEF01234567", Type: notice.OpenPGP, Holder: alice},
			{Fingerprint: sshFP, Type: notice.SSH, Holder: bob},
			{Fingerprint: "89ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234567", Type: notice.OpenPGP, Holder: alice},
		},
		Since: time.Date(2023, 5, 6, 7, 8, 9, 0, time.UTC),
	}
	stewards := []StewardRef{
		{ID: "https://people.example/users/steward", Since: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "https://people.example/users/second", Since: time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)},
	}
	profile := ActorProfile{
		Name:         "xz",
		Username:     "xz",
		Type:         vocab.ServiceType,
		DisplayName:  "XZ Utils",
		RSAPublicPEM: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
		ProofKey:     upKey(t, 1),
		Genesis:      &g,
		Stewards:     stewards,
	}
	return upFixture{urls: u, profile: profile, genesis: g, stewards: stewards}
}

func (f upFixture) actor() string { return f.urls.Actor(f.profile.Name) }

func (f upFixture) document(t testing.TB) []byte {
	t.Helper()
	doc, err := f.urls.ActorDocument(f.profile)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// edit decodes doc, lets change alter it, and writes it back.
func edit(t testing.TB, doc []byte, change func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseUpstreamActorRoundTrip(t *testing.T) {
	f := newUpFixture(t, base)
	// Times in another zone come back in UTC, the same instant.
	g := f.genesis
	g.Since = g.Since.In(time.FixedZone("CEST", 2*3600))
	f.profile.Genesis = &g
	ua, err := ParseUpstreamActor(f.document(t))
	if err != nil {
		t.Fatal(err)
	}
	id := base + "/users/xz"
	if ua.ID != id || ua.Type != "Service" || ua.Username != "xz" || ua.Inbox != id+"/inbox" || ua.SharedInbox != base+"/inbox" {
		t.Errorf("RemoteActor = %+v", ua.RemoteActor)
	}
	if want := []RemoteKey{{KeyID: id + "#main-key", Owner: id, PEM: f.profile.RSAPublicPEM}}; !reflect.DeepEqual(ua.RemoteActor.Keys, want) {
		t.Errorf("RemoteActor.Keys = %+v, want %+v", ua.RemoteActor.Keys, want)
	}
	if ua.Outbox != id+"/outbox" {
		t.Errorf("Outbox = %q", ua.Outbox)
	}
	if !reflect.DeepEqual(ua.Genesis, f.genesis) {
		t.Errorf("Genesis =\n %+v\nwant %+v", ua.Genesis, f.genesis)
	}
	if ua.Genesis.Project != ua.Username {
		t.Errorf("Genesis.Project = %q, want the preferredUsername %q", ua.Genesis.Project, ua.Username)
	}
	if !reflect.DeepEqual(ua.Stewards, f.stewards) {
		t.Errorf("Stewards = %+v, want %+v", ua.Stewards, f.stewards)
	}
	want := AssertionKey{ID: id + "#ed25519-key", Controller: id, Multibase: proof.EncodeMultikey(upKey(t, 1)), Key: upKey(t, 1)}
	if !slices.ContainsFunc(ua.Keys, func(k AssertionKey) bool { return reflect.DeepEqual(k, want) }) {
		t.Errorf("Keys = %+v, want among them %+v", ua.Keys, want)
	}
}

func TestParseUpstreamActor(t *testing.T) {
	f := newUpFixture(t, base)
	doc := f.document(t)
	tests := []struct {
		name   string
		change func(m map[string]any)
		err    string // "" when the document is accepted
	}{
		{"as written", func(map[string]any) {}, ""},
		{"no genesis", func(m map[string]any) { delete(m, "genesis") }, "is not a Baton project"},
		{"null genesis", func(m map[string]any) { m["genesis"] = nil }, "is not a Baton project"},
		{"no stewards", func(m map[string]any) { delete(m, "stewards") }, ""},
		{"no assertionMethod", func(m map[string]any) { delete(m, "assertionMethod") }, "lists no Ed25519 key"},
		{"only a key of another type", func(m map[string]any) {
			m["assertionMethod"] = []any{map[string]any{"id": m["id"].(string) + "#k", "type": "Ed25519VerificationKey2020",
				"controller": m["id"], "publicKeyMultibase": proof.EncodeMultikey(upKey(t, 1))}}
		}, "lists no Ed25519 key"},
		{"only a key controlled by another actor", func(m map[string]any) {
			m["assertionMethod"] = map[string]any{"id": m["id"].(string) + "#k", "type": "Multikey",
				"controller": "https://elsewhere.example/users/xz", "publicKeyMultibase": proof.EncodeMultikey(upKey(t, 1))}
		}, "lists no Ed25519 key"},
		{"outbox on another host", func(m map[string]any) { m["outbox"] = "https://elsewhere.example/users/xz/outbox" }, "has no outbox on its own host"},
		{"same host, another port", func(m map[string]any) { m["outbox"] = "https://notices.example.org:8443/users/xz/outbox" }, "has no outbox on its own host"},
		{"no outbox", func(m map[string]any) { delete(m, "outbox") }, "has no outbox on its own host"},
		{"relative outbox", func(m map[string]any) { m["outbox"] = "/users/xz/outbox" }, "has no outbox on its own host"},
		{"outbox not http", func(m map[string]any) { m["outbox"] = "ftp://notices.example.org/users/xz/outbox" }, "has no outbox on its own host"},
		{"invalid maintainer id", func(m map[string]any) {
			m["genesis"].(map[string]any)["maintainers"] = []any{"https://people.example/users/alice", "not an id"}
		}, `its genesis: genesis: maintainers: "not an id" is not an id`},
		{"a maintainer named twice", func(m map[string]any) {
			m["genesis"].(map[string]any)["maintainers"] = []any{"https://people.example/users/alice", "https://people.example/users/alice",
				"https://people.example/users/bob"}
		}, "is named twice"},
		{"a key holder who is no maintainer", func(m map[string]any) {
			m["genesis"].(map[string]any)["maintainers"] = []any{"https://people.example/users/alice"}
		}, "holder https://people.example/users/bob is not among the maintainers"},
		{"an unreadable fingerprint", func(m map[string]any) {
			m["genesis"].(map[string]any)["keys"] = []any{map[string]any{"fingerprint": "abc", "keyType": "openpgp"}}
		}, `its genesis: genesis: keys[0]: fingerprint "abc"`},
		{"a project name Baton does not allow", func(m map[string]any) { m["preferredUsername"] = "XZ Utils" }, "its genesis: genesis: project"},
		{"empty maintainers", func(m map[string]any) {
			m["genesis"] = map[string]any{"since": "2023-05-06T07:08:09Z", "maintainers": []any{}}
		}, ""},
		{"genesis not an object", func(m map[string]any) { m["genesis"] = "xz" }, "cannot unmarshal"},
		{"unreadable steward date", func(m map[string]any) {
			m["stewards"] = []any{map[string]any{"id": "https://people.example/users/steward", "since": "yesterday"}}
		}, "cannot parse"},
		{"not an actor", func(m map[string]any) { m["type"] = "Note" }, `type "Note" is not an actor type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ua, err := ParseUpstreamActor(edit(t, doc, tt.change))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if ua.ID != f.actor() || len(ua.Keys) == 0 {
					t.Errorf("accepted %+v", ua)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("ParseUpstreamActor = %+v, %v; want an error with %q", ua, err, tt.err)
			}
		})
	}
}

// A project whose instance has not named its maintainers yet is followed all the same, with an empty
// genesis.
func TestParseUpstreamActorEmptyGenesis(t *testing.T) {
	f := newUpFixture(t, base)
	f.profile.Genesis = &notice.Genesis{Since: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.profile.Stewards = nil
	doc := f.document(t)
	if got := rawField(t, doc, "genesis"); !bytes.Contains(got, []byte(`"maintainers":[]`)) {
		t.Errorf("genesis = %s, want an empty maintainers list", got)
	}
	if got := rawField(t, doc, "stewards"); string(got) != "[]" {
		t.Errorf("stewards = %s, want []", got)
	}
	ua, err := ParseUpstreamActor(doc)
	if err != nil {
		t.Fatal(err)
	}
	if ua.Genesis.Project != "xz" || len(ua.Genesis.Maintainers) != 0 || len(ua.Genesis.Keys) != 0 ||
		!ua.Genesis.Since.Equal(f.profile.Genesis.Since) || len(ua.Stewards) != 0 {
		t.Errorf("Genesis = %+v, Stewards = %+v", ua.Genesis, ua.Stewards)
	}
}

// An empty genesis waits for its maintainers; it is no licence for the rest of it to be invalid. The
// watcher folds the genesis it takes from here (notice.Fold trusts a validated genesis), so one that
// names keys nobody holds, or keys that are not fingerprints, must be refused like any other.
func TestParseUpstreamActorEmptyGenesisIsStillChecked(t *testing.T) {
	f := newUpFixture(t, base)
	doc := f.document(t)
	tests := []struct {
		name   string
		change func(m map[string]any)
	}{
		{"a key held by someone who is no maintainer", func(m map[string]any) {
			m["genesis"] = map[string]any{"since": "2024-01-01T00:00:00Z", "maintainers": []any{},
				"keys": []any{map[string]any{"fingerprint": "0123456789ABCDEF0123456789ABCDEF01234567", "keyType": "openpgp", "holder": "https://people.example/users/eve"}}}
		}},
		{"an unreadable fingerprint", func(m map[string]any) {
			m["genesis"] = map[string]any{"since": "2024-01-01T00:00:00Z", "maintainers": []any{},
				"keys": []any{map[string]any{"fingerprint": "abc", "keyType": "x"}}}
		}},
		{"a project name Baton does not allow", func(m map[string]any) {
			m["genesis"] = map[string]any{"since": "2024-01-01T00:00:00Z", "maintainers": []any{}}
			m["preferredUsername"] = "XZ Utils <b>"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ua, err := ParseUpstreamActor(edit(t, doc, tt.change)); err == nil {
				t.Errorf("accepted genesis %+v", ua.Genesis)
			}
		})
	}
}

// A release-signing key already in use when the project joined need not name its holder: the key is
// the project's, whoever its first maintainers turn out to be.
func TestParseUpstreamActorGenesisKeyWithoutHolder(t *testing.T) {
	f := newUpFixture(t, base)
	doc := edit(t, f.document(t), func(m map[string]any) {
		m["genesis"] = map[string]any{"since": "2021-10-01T00:00:00Z", "added": "2026-12-01T00:00:00Z", "maintainers": []any{},
			"keys": []any{map[string]any{"fingerprint": "0123456789ABCDEF0123456789ABCDEF01234567", "keyType": "openpgp"}}}
	})
	ua, err := ParseUpstreamActor(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(ua.Genesis.Keys) != 1 || !ua.Genesis.Added.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("genesis = %+v, want the key and the date the project was added", ua.Genesis)
	}
}

func TestActorDocumentWithoutGenesis(t *testing.T) {
	f := newUpFixture(t, base)
	f.profile.Genesis, f.profile.Stewards = nil, nil
	m := decode(t, f.document(t))
	for _, k := range []string{"genesis", "stewards"} {
		if v, ok := m[k]; ok {
			t.Errorf("%s = %#v on an actor without a genesis", k, v)
		}
	}
}

func TestParseAssertionKeys(t *testing.T) {
	const actor = "https://a.example/users/xz"
	k1, k2 := upKey(t, 1), upKey(t, 2)
	mb1, mb2 := proof.EncodeMultikey(k1), proof.EncodeMultikey(k2)
	entry := func(id, typ, controller, mb string, extra ...string) string {
		s := fmt.Sprintf(`{"id":%q,"type":%q,"controller":%q,"publicKeyMultibase":%q`, id, typ, controller, mb)
		for i := 0; i+1 < len(extra); i += 2 {
			s += fmt.Sprintf(",%q:%s", extra[i], extra[i+1])
		}
		return s + "}"
	}
	good1 := entry(actor+"#ed25519-key", "Multikey", actor, mb1)
	good2 := entry(actor+"#"+mb2, "Multikey", actor, mb2)
	want1 := AssertionKey{ID: actor + "#ed25519-key", Controller: actor, Multibase: mb1, Key: k1}
	want2 := AssertionKey{ID: actor + "#" + mb2, Controller: actor, Multibase: mb2, Key: k2}
	revoked := want2
	revoked.Revoked = time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	revokedOffset := want2
	revokedOffset.Revoked = time.Date(2024, 3, 4, 5, 6, 7, 0, time.FixedZone("", 2*3600))

	tests := []struct {
		name string
		raw  string
		want []AssertionKey
	}{
		{"absent", "", nil},
		{"null", "null", nil},
		{"single object", good1, []AssertionKey{want1}},
		{"array", "[" + good1 + "," + good2 + "]", []AssertionKey{want1, want2}},
		{"empty array", "[]", nil},
		{"another type", "[" + entry(actor+"#k", "Ed25519VerificationKey2020", actor, mb1) + "," + good2 + "]", []AssertionKey{want2}},
		{"no type", "[" + entry(actor+"#k", "", actor, mb1) + "," + good2 + "]", []AssertionKey{want2}},
		{"another controller", "[" + good1 + "," + entry(actor+"#k", "Multikey", "https://a.example/users/eve", mb2) + "]", []AssertionKey{want1}},
		{"no controller", entry(actor+"#k", "Multikey", "", mb1), nil},
		{"an id on another actor", "[" + entry("https://a.example/users/eve#k", "Multikey", actor, mb1) + "," + good2 + "]", []AssertionKey{want2}},
		{"an id on another host", entry("https://b.example/users/xz#k", "Multikey", actor, mb1), nil},
		{"an id below the actor", entry(actor+"/keys/1", "Multikey", actor, mb1), nil},
		{"unreadable multibase", "[" + entry(actor+"#k", "Multikey", actor, "zNotAKey") + "," + good2 + "]", []AssertionKey{want2}},
		{"empty multibase", entry(actor+"#k", "Multikey", actor, ""), nil},
		{"a multibase not in base58btc", entry(actor+"#k", "Multikey", actor, "u"+mb1[1:]), nil},
		{"revoked", "[" + good1 + "," + entry(actor+"#"+mb2, "Multikey", actor, mb2, "revoked", `"2024-03-04T05:06:07Z"`) + "]",
			[]AssertionKey{want1, revoked}},
		{"revoked with an offset", entry(actor+"#"+mb2, "Multikey", actor, mb2, "revoked", `"2024-03-04T05:06:07+02:00"`),
			[]AssertionKey{revokedOffset}},
		{"revoked empty is in use", entry(actor+"#"+mb2, "Multikey", actor, mb2, "revoked", `""`), []AssertionKey{want2}},
		{"revoked unreadable", "[" + good1 + "," + entry(actor+"#"+mb2, "Multikey", actor, mb2, "revoked", `"last Tuesday"`) + "]",
			[]AssertionKey{want1}},
		{"revoked a date without time", entry(actor+"#"+mb2, "Multikey", actor, mb2, "revoked", `"2024-03-04"`), nil},
		{"not JSON", "{", nil},
		{"a string", `"https://a.example/users/xz#k"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw json.RawMessage
			if tt.raw != "" {
				raw = json.RawMessage(tt.raw)
			}
			got := parseAssertionKeys(actor, raw)
			if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("parseAssertionKeys =\n %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// An entry Baton cannot use is left out, not fatal (parseAssertionKeys' contract): that holds for an
// entry of another shape too, such as a reference to a key by its id (DID documents list
// verification relationships that way) or a member of another JSON type. Such an entry must not make
// every other key of the actor disappear, nor the project with them.
func TestParseAssertionKeysSkipsEntriesOfAnotherShape(t *testing.T) {
	f := newUpFixture(t, base)
	actor := f.actor()
	good := AssertionKey{ID: actor + "#ed25519-key", Controller: actor, Multibase: proof.EncodeMultikey(upKey(t, 1)), Key: upKey(t, 1)}
	goodJSON := fmt.Sprintf(`{"id":%q,"type":"Multikey","controller":%q,"publicKeyMultibase":%q}`, good.ID, actor, good.Multibase)
	other := proof.EncodeMultikey(upKey(t, 2))
	tests := []struct{ name, entry string }{
		{"a reference by id", fmt.Sprintf("%q", actor+"#other-key")},
		{"a number", "7"},
		{"a type array", fmt.Sprintf(`{"id":%q,"type":["Multikey"],"controller":%q,"publicKeyMultibase":%q}`, actor+"#k2", actor, other)},
		{"a controller object", fmt.Sprintf(`{"id":%q,"type":"Multikey","controller":{"id":%q},"publicKeyMultibase":%q}`, actor+"#k2", actor, other)},
		{"a numeric revocation", fmt.Sprintf(`{"id":%q,"type":"Multikey","controller":%q,"publicKeyMultibase":%q,"revoked":1700000000}`, actor+"#k2", actor, other)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, raw := range []string{"[" + goodJSON + "," + tt.entry + "]", "[" + tt.entry + "," + goodJSON + "]"} {
				got := parseAssertionKeys(actor, json.RawMessage(raw))
				if !slices.ContainsFunc(got, func(k AssertionKey) bool { return reflect.DeepEqual(k, good) }) {
					t.Errorf("parseAssertionKeys(%s) = %+v, want the project's key among them", raw, got)
				}
				for _, k := range got {
					if k.ID == actor+"#k2" && strings.Contains(tt.entry, "revoked") && k.Revoked.IsZero() {
						t.Errorf("key %s, revoked, reads as in use", k.ID)
					}
				}
				doc := edit(t, f.document(t), func(m map[string]any) { m["assertionMethod"] = json.RawMessage(raw) })
				if _, err := ParseUpstreamActor(doc); err != nil {
					t.Errorf("ParseUpstreamActor with assertionMethod %s: %v", raw, err)
				}
			}
		})
	}
}

// wfServer answers WebFinger for the resources it knows, and counts the requests.
type wfServer struct {
	*httptest.Server
	mu        sync.Mutex
	jrds      map[string]string // resource -> body; "404" answers that status
	hits      int
	resources []string
	signed    int
}

func newWFServer(t *testing.T) *wfServer {
	s := &wfServer{jrds: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.hits++
		if r.Header.Get("Signature") != "" {
			s.signed++
		}
		if r.URL.Path != "/.well-known/webfinger" {
			http.NotFound(w, r)
			return
		}
		res := r.URL.Query().Get("resource")
		s.resources = append(s.resources, res)
		body, ok := s.jrds[res]
		if !ok || body == "404" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", JRDContentType)
		w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *wfServer) host() string { return strings.TrimPrefix(s.URL, "http://") }

func (s *wfServer) set(resource, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jrds[resource] = body
}

func (s *wfServer) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

func jrd(t *testing.T, links ...WebFingerLink) string {
	t.Helper()
	b, err := json.Marshal(WebFinger{Subject: "acct:x", Links: links})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLookupHandle(t *testing.T) {
	srv := newWFServer(t)
	host := srv.host()
	actor := srv.URL + "/users/xz"
	self := WebFingerLink{Rel: "self", Type: ContentType, Href: actor}
	page := WebFingerLink{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: actor}
	srv.set("acct:xz@"+host, jrd(t, page, self))
	srv.set("acct:ld@"+host, jrd(t, WebFingerLink{Rel: "self", Type: LDContentType, Href: srv.URL + "/users/ld"}))
	srv.set("acct:html@"+host, jrd(t, WebFingerLink{Rel: "self", Type: "text/html", Href: actor},
		WebFingerLink{Rel: "http://webfinger.net/rel/profile-page", Type: ContentType, Href: actor}))
	srv.set("acct:notype@"+host, jrd(t, WebFingerLink{Rel: "self", Href: actor}))
	srv.set("acct:nolinks@"+host, `{"subject":"acct:nolinks@`+host+`"}`)
	srv.set("acct:js@"+host, jrd(t, WebFingerLink{Rel: "self", Type: ContentType, Href: "javascript:alert(1)"}))
	srv.set("acct:relative@"+host, jrd(t, WebFingerLink{Rel: "self", Type: ContentType, Href: "/users/relative"}))
	srv.set("acct:garbage@"+host, "<html>not here</html>")
	srv.set("acct:gone@"+host, "404")

	tests := []struct {
		handle   string
		want     string
		requests int    // made by this lookup
		err      string // "" when the lookup succeeds
	}{
		{"xz@" + host, actor, 1, ""},
		{"@xz@" + host, actor, 1, ""},
		{"acct:xz@" + host, actor, 1, ""},
		{"acct:@xz@" + host, actor, 1, ""},
		{"XZ@" + host, actor, 1, ""},
		{"ld@" + host, srv.URL + "/users/ld", 1, ""},
		{actor, actor, 0, ""},
		{"https://elsewhere.example/users/xz", "https://elsewhere.example/users/xz", 0, ""},
		{"html@" + host, "", 1, "no ActivityPub actor among its links"},
		{"notype@" + host, "", 1, "no ActivityPub actor among its links"},
		{"nolinks@" + host, "", 1, "no ActivityPub actor among its links"},
		{"js@" + host, "", 1, "no ActivityPub actor among its links"},
		{"relative@" + host, "", 1, "no ActivityPub actor among its links"},
		{"garbage@" + host, "", 1, "not a JRD document"},
		{"gone@" + host, "", 1, "404"},
		{"unknown@" + host, "", 1, "404"},
		{"xz", "", 0, "is neither a handle"},
		{"xz@", "", 0, "is neither a handle"},
		{"@" + host, "", 0, "is neither a handle"},
		{"", "", 0, "is neither a handle"},
		{"ftp://" + host + "/users/xz", "", 0, "is neither a handle"},
		{"xz@evil.example@" + host, "", 0, "is neither a handle"}, // not a host: never asked
		{"xz@" + host + "/path", "", 0, "is neither a handle"},
		{"xz@" + host + "?q=1", "", 0, "is neither a handle"},
	}
	for _, tt := range tests {
		t.Run(tt.handle, func(t *testing.T) {
			r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)})
			before := srv.requests()
			got, err := r.LookupHandle(context.Background(), tt.handle)
			if tt.err == "" && (err != nil || got != tt.want) {
				t.Errorf("LookupHandle(%q) = %q, %v; want %q", tt.handle, got, err, tt.want)
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("LookupHandle(%q) = %q, %v; want an error with %q", tt.handle, got, err, tt.err)
			}
			if n := srv.requests() - before; n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.signed != srv.hits {
		t.Errorf("%d of %d WebFinger requests were signed; want all", srv.signed, srv.hits)
	}
	for _, res := range srv.resources {
		if res != strings.ToLower(res) || !strings.HasPrefix(res, "acct:") || strings.HasPrefix(res, "acct:@") {
			t.Errorf("asked for resource %q; want acct:name@host, lower-cased", res)
		}
	}
}

func TestLookupHandleCache(t *testing.T) {
	srv := newWFServer(t)
	host := srv.host()
	actor := srv.URL + "/users/xz"
	srv.set("acct:xz@"+host, jrd(t, WebFingerLink{Rel: "self", Type: ContentType, Href: actor}))
	clock := &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	r := newTestResolver(t, newMemCache(), clock)
	ctx := context.Background()
	steps := []struct {
		advance  time.Duration
		handle   string
		requests int // in all, after the step
	}{
		{0, "xz@" + host, 1},
		{0, "xz@" + host, 1}, // from the cache
		{time.Minute, "@xz@" + host, 1},
		{0, "acct:xz@" + host, 1},
		{0, "XZ@" + host, 1},
		{8 * time.Minute, "xz@" + host, 1},             // 9 minutes after
		{time.Minute, "xz@" + host, 1},                 // 10 minutes after: still fresh
		{time.Second, "xz@" + host, 2},                 // older than 10 minutes: asked again
		{0, "xz@" + host, 2},                           // and cached again
		{0, "other@" + host, 3},                        // another handle: asked, a 404 ...
		{0, "other@" + host, 4},                        // ... which is not cached
		{0, srv.URL + "/users/other", 4},               // an actor URL: never asked
		{handleTTL + time.Second, "xz@" + host, 5},     // expired once more
		{handleTTL, "@XZ@" + strings.ToUpper(host), 5}, // exactly handleTTL later: fresh
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		got, err := r.LookupHandle(ctx, s.handle)
		if strings.Contains(s.handle, "other@") {
			if err == nil {
				t.Errorf("step %d: LookupHandle(%q) = %q, want a 404 error", i, s.handle, got)
			}
		} else if err != nil {
			t.Fatalf("step %d: LookupHandle(%q): %v", i, s.handle, err)
		} else if !strings.HasPrefix(s.handle, "http") && got != actor {
			t.Errorf("step %d: LookupHandle(%q) = %q, want %q", i, s.handle, got, actor)
		}
		if n := srv.requests(); n != s.requests {
			t.Errorf("step %d (%s at +%s): %d requests, want %d", i, s.handle, s.advance, n, s.requests)
		}
	}
	// A remote that now names another actor is believed once the cached answer is stale.
	srv.set("acct:xz@"+host, jrd(t, WebFingerLink{Rel: "self", Type: ContentType, Href: srv.URL + "/users/xz2"}))
	if got, _ := r.LookupHandle(ctx, "xz@"+host); got != actor {
		t.Errorf("fresh cached answer = %q, want %q", got, actor)
	}
	clock.Advance(handleTTL + time.Second)
	if got, _ := r.LookupHandle(ctx, "xz@"+host); got != srv.URL+"/users/xz2" {
		t.Errorf("after the TTL = %q, want the new actor", got)
	}
}

func TestSchemeFor(t *testing.T) {
	tests := []struct {
		host         string
		allowPrivate bool
		want         string
	}{
		{"notices.example.org", true, "https"},
		{"notices.example.org:8443", true, "https"},
		{"notices.example.org", false, "https"},
		{"8.8.8.8", true, "https"},
		{"8.8.8.8:8080", true, "https"},
		{"127.0.0.1:8080", true, "http"},
		{"127.0.0.1", true, "http"},
		{"[::1]:8080", true, "http"},
		{"10.1.2.3", true, "http"},
		{"192.168.1.10:3000", true, "http"},
		{"localhost", true, "http"},
		{"localhost:8080", true, "http"},
		{"127.0.0.1:8080", false, "https"},
		{"[::1]:8080", false, "https"},
		{"10.1.2.3", false, "https"},
		{"localhost:8080", false, "https"},
		{"localhost.example.org", true, "https"},
	}
	for _, tt := range tests {
		r := NewResolver(NewClient(ClientOptions{AllowPrivate: tt.allowPrivate}), newMemCache(), testSigner(t), nil)
		if got := r.schemeFor(tt.host); got != tt.want {
			t.Errorf("schemeFor(%q), private addresses allowed %v = %q, want %q", tt.host, tt.allowPrivate, got, tt.want)
		}
	}
}

// Without private addresses allowed, a handle on a loopback host is looked up over https, and the
// client refuses the address anyway.
func TestLookupHandleRefusesLoopbackWhenPrivateNotAllowed(t *testing.T) {
	srv := newWFServer(t)
	srv.set("acct:xz@"+srv.host(), jrd(t, WebFingerLink{Rel: "self", Type: ContentType, Href: srv.URL + "/users/xz"}))
	r := NewResolver(NewClient(ClientOptions{}), newMemCache(), testSigner(t), nil)
	if got, err := r.LookupHandle(context.Background(), "xz@"+srv.host()); err == nil {
		t.Errorf("LookupHandle = %q, want an error", got)
	} else if !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("LookupHandle error = %v, want ErrPrivateAddress", err)
	}
	if n := srv.requests(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestResolverUpstreamActor(t *testing.T) {
	srv := newRemote(t)
	f := newUpFixture(t, srv.URL)
	doc := f.document(t)
	srv.set("/users/xz", string(doc))
	srv.set("/users/liar", string(doc))
	srv.set("/users/plain", string(edit(t, doc, func(m map[string]any) {
		m["id"] = srv.URL + "/users/plain"
		delete(m, "genesis")
	})))
	srv.set("/users/broken", "500")
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)})
	ctx := context.Background()

	ua, err := r.UpstreamActor(ctx, f.actor())
	if err != nil {
		t.Fatal(err)
	}
	if ua.ID != f.actor() || ua.Outbox != f.actor()+"/outbox" || !reflect.DeepEqual(ua.Genesis, f.genesis) || !reflect.DeepEqual(ua.Stewards, f.stewards) {
		t.Errorf("UpstreamActor = %+v", ua)
	}
	if want := []string{base + "/actor#main-key"}; !reflect.DeepEqual(srv.keyIDs, want) {
		t.Errorf("fetches signed with %v, want %v", srv.keyIDs, want)
	}

	for _, tt := range []struct {
		id  string
		err string
	}{
		{srv.URL + "/users/liar", `document has id "` + f.actor() + `"`},
		{srv.URL + "/users/plain", "is not a Baton project"},
		{srv.URL + "/users/missing", "404"},
		{srv.URL + "/users/broken", "500"},
		{"ftp://" + strings.TrimPrefix(srv.URL, "http://") + "/users/xz", "not an http(s) URL"},
	} {
		if ua, err := r.UpstreamActor(ctx, tt.id); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("UpstreamActor(%s) = %+v, %v; want an error with %q", tt.id, ua, err, tt.err)
		}
	}
}

// A redirect to another host must not let that host speak for the project, however right the
// document it serves looks.
func TestResolverUpstreamActorRefusesCrossHostRedirect(t *testing.T) {
	evil := newRemote(t)
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+"/payload", http.StatusFound)
	}))
	defer victim.Close()
	f := newUpFixture(t, victim.URL)
	evil.set("/payload", string(f.document(t))) // the project's id, a genesis of the attacker's choosing
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Now()})
	ctx := context.Background()
	ua, err := r.UpstreamActor(ctx, f.actor())
	if err == nil || !strings.Contains(err.Error(), "served by "+evil.URL+"/payload, another origin") {
		t.Errorf("UpstreamActor = %+v, %v; want it refused as served by another host", ua, err)
	}
	if keys, err := r.AssertionKeys(ctx, f.actor()); err == nil || !strings.Contains(err.Error(), "another origin") {
		t.Errorf("AssertionKeys = %+v, %v; want it refused as served by another host", keys, err)
	}
	if body, err := r.Fetch(ctx, f.actor()); err == nil || !strings.Contains(err.Error(), "another origin") {
		t.Errorf("Fetch = %s, %v; want it refused as served by another host", body, err)
	}
	if evil.count("/payload") != 3 {
		t.Errorf("the redirect was followed %d times, want 3 (the test would not test it otherwise)", evil.count("/payload"))
	}
}

// A redirect on the same host is followed.
func TestResolverFetchSameHostRedirect(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, srv.URL+"/new", http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Content-Type", ContentType)
		w.Write([]byte(`{"id":"x"}`))
	}))
	defer srv.Close()
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Now()})
	body, err := r.Fetch(context.Background(), srv.URL+"/old")
	if err != nil || string(body) != `{"id":"x"}` {
		t.Errorf("Fetch = %s, %v", body, err)
	}
}

func TestResolverAssertionKeys(t *testing.T) {
	srv := newRemote(t)
	u, err := NewURLs(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	revokedAt := time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	person, err := u.ActorDocument(ActorProfile{Name: "alice", Username: "alice", Type: vocab.PersonType, RSAPublicPEM: pubPEM(t),
		SigningKeys: []SigningKey{{Key: upKey(t, 3), Revoked: revokedAt.Add(999 * time.Millisecond)}, {Key: upKey(t, 4)}}})
	if err != nil {
		t.Fatal(err)
	}
	alice := u.Actor("alice")
	srv.set("/users/alice", string(person))
	srv.set("/users/liar", string(person))
	srv.set("/users/nokeys", `{"id":"`+srv.URL+`/users/nokeys","type":"Person"}`)
	srv.set("/users/html", "<html>")
	r := newTestResolver(t, newMemCache(), &fakeClock{now: time.Now()})
	ctx := context.Background()

	keys, err := r.AssertionKeys(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	want := []AssertionKey{
		{ID: u.PersonKey("alice", upKey(t, 3)), Controller: alice, Multibase: proof.EncodeMultikey(upKey(t, 3)), Key: upKey(t, 3), Revoked: revokedAt},
		{ID: u.PersonKey("alice", upKey(t, 4)), Controller: alice, Multibase: proof.EncodeMultikey(upKey(t, 4)), Key: upKey(t, 4)},
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("AssertionKeys =\n %+v\nwant %+v", keys, want)
	}
	if keys, err := r.AssertionKeys(ctx, srv.URL+"/users/nokeys"); err != nil || len(keys) != 0 {
		t.Errorf("AssertionKeys(nokeys) = %+v, %v; want none and no error", keys, err)
	}
	for _, tt := range []struct {
		id  string
		err string
	}{
		{srv.URL + "/users/liar", "is not the actor document it should be"},
		{srv.URL + "/users/html", "is not the actor document it should be"},
		{srv.URL + "/users/missing", "404"},
	} {
		if keys, err := r.AssertionKeys(ctx, tt.id); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("AssertionKeys(%s) = %+v, %v; want an error with %q", tt.id, keys, err, tt.err)
		}
	}
}

func TestParseCollectionPage(t *testing.T) {
	const outbox = "https://a.example/users/xz/outbox"
	create1 := `{"id":"https://a.example/notices/1/activity","type":"Create","object":{"id":"https://a.example/notices/1","type":"Note"}}`
	create2 := `{"id":"https://a.example/notices/2/activity","type":"Create","object":"https://a.example/notices/2"}`
	batonHead, err := OrderedCollection(outbox, 2, outbox+"?page=true")
	if err != nil {
		t.Fatal(err)
	}
	batonEmpty, err := OrderedCollection(outbox, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	batonPage, err := OrderedCollectionPage(outbox+"?page=true", outbox, outbox+"?page=true&max_id=2", []json.RawMessage{json.RawMessage(create1), json.RawMessage(create2)})
	if err != nil {
		t.Fatal(err)
	}
	batonLast, err := OrderedCollectionPage(outbox+"?page=true&max_id=2", outbox, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  string
		want CollectionPage
		err  string
	}{
		{"first as a link", `{"id":"` + outbox + `","type":"OrderedCollection","totalItems":2,"first":"` + outbox + `?page=true"}`,
			CollectionPage{First: outbox + "?page=true"}, ""},
		{"first as an embedded page", `{"id":"` + outbox + `","type":"OrderedCollection","first":{"id":"` + outbox + `?page=1","type":"OrderedCollectionPage","orderedItems":[` + create1 + `],"next":"` + outbox + `?page=2"}}`,
			CollectionPage{First: outbox + "?page=1"}, ""},
		{"first as a Link object", `{"type":"OrderedCollection","first":{"type":"Link","id":"` + outbox + `?page=1"}}`,
			CollectionPage{First: outbox + "?page=1"}, ""},
		{"first unreadable", `{"type":"OrderedCollection","first":7}`, CollectionPage{}, ""},
		{"a page with next", `{"id":"` + outbox + `?page=1","type":"OrderedCollectionPage","next":"` + outbox + `?page=2","orderedItems":[` + create1 + `,` + create2 + `]}`,
			CollectionPage{Items: []json.RawMessage{json.RawMessage(create1), json.RawMessage(create2)}, Next: outbox + "?page=2"}, ""},
		{"a page with an embedded next", `{"type":"OrderedCollectionPage","next":{"id":"` + outbox + `?page=2","type":"OrderedCollectionPage"},"orderedItems":[]}`,
			CollectionPage{Items: []json.RawMessage{}, Next: outbox + "?page=2"}, ""},
		{"the last page", `{"type":"OrderedCollectionPage","orderedItems":[` + create2 + `]}`,
			CollectionPage{Items: []json.RawMessage{json.RawMessage(create2)}}, ""},
		{"items instead of orderedItems", `{"type":"CollectionPage","items":[` + create1 + `],"next":"` + outbox + `?page=2"}`,
			CollectionPage{Items: []json.RawMessage{json.RawMessage(create1)}, Next: outbox + "?page=2"}, ""},
		{"items on a Collection", `{"type":"Collection","items":["https://a.example/x"]}`,
			CollectionPage{Items: []json.RawMessage{json.RawMessage(`"https://a.example/x"`)}}, ""},
		{"orderedItems before items", `{"type":"OrderedCollectionPage","orderedItems":[` + create2 + `],"items":[` + create1 + `]}`,
			CollectionPage{Items: []json.RawMessage{json.RawMessage(create2)}}, ""},
		{"null orderedItems", `{"type":"OrderedCollectionPage","orderedItems":null,"items":[` + create1 + `]}`,
			CollectionPage{Items: []json.RawMessage{json.RawMessage(create1)}}, ""},
		{"type array", `{"type":["OrderedCollectionPage","Page"],"orderedItems":[` + create1 + `]}`,
			CollectionPage{Items: []json.RawMessage{json.RawMessage(create1)}}, ""},
		{"Baton's head", string(batonHead), CollectionPage{First: outbox + "?page=true"}, ""},
		{"Baton's empty head", string(batonEmpty), CollectionPage{}, ""},
		{"Baton's page", string(batonPage), CollectionPage{Items: []json.RawMessage{json.RawMessage(create1), json.RawMessage(create2)}, Next: outbox + "?page=true&max_id=2"}, ""},
		{"Baton's last page", string(batonLast), CollectionPage{Items: []json.RawMessage{}}, ""},
		{"a Note", `{"type":"Note","orderedItems":[]}`, CollectionPage{}, "not a collection"},
		{"an actor", `{"type":"Person","first":"x"}`, CollectionPage{}, "not a collection"},
		{"no type", `{"orderedItems":[` + create1 + `]}`, CollectionPage{}, "not a collection"},
		{"a lower-case type", `{"type":"orderedcollection"}`, CollectionPage{}, "not a collection"},
		{"not JSON", `<html>`, CollectionPage{}, "collection:"},
		{"an array", `[]`, CollectionPage{}, "collection:"},
		{"items not a list", `{"type":"OrderedCollectionPage","orderedItems":"x"}`, CollectionPage{}, "collection:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCollectionPage([]byte(tt.doc))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseCollectionPage = %+v, %v; want an error with %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.First != tt.want.First || got.Next != tt.want.Next {
				t.Errorf("First, Next = %q, %q; want %q, %q", got.First, got.Next, tt.want.First, tt.want.Next)
			}
			if len(got.Items) != len(tt.want.Items) {
				t.Fatalf("%d items, want %d: %s", len(got.Items), len(tt.want.Items), got.Items)
			}
			for i := range got.Items {
				if !bytes.Equal(compactJSON(t, got.Items[i]), compactJSON(t, tt.want.Items[i])) {
					t.Errorf("item %d = %s, want %s", i, got.Items[i], tt.want.Items[i])
				}
			}
		})
	}
}

func compactJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("compact %s: %v", b, err)
	}
	return buf.Bytes()
}

// keysOf lists the members of a decoded object, sorted.
func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestFollowDocument(t *testing.T) {
	u := testURLs(t)
	const object = "https://up.example/users/xz"
	tests := []struct {
		name, actor, wantActor string
	}{
		{"instance actor", "", base + "/actor"},
		{"a local actor", "curl", base + "/users/curl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			followID := u.InstanceActor() + "#follows/1"
			doc, err := u.FollowDocument(tt.actor, followID, object)
			if err != nil {
				t.Fatal(err)
			}
			m := decode(t, doc)
			if got, want := keysOf(m), []string{"@context", "actor", "id", "object", "to", "type"}; !reflect.DeepEqual(got, want) {
				t.Errorf("members %v, want %v", got, want)
			}
			for k, want := range map[string]string{"@context": ActivityStreamsContext, "type": "Follow", "id": followID, "actor": tt.wantActor, "object": object} {
				if got, _ := m[k].(string); got != want {
					t.Errorf("%s = %#v, want %q", k, m[k], want)
				}
			}
			if got := strs(m["to"]); !reflect.DeepEqual(got, []string{object}) {
				t.Errorf("to = %#v, want [%s]", m["to"], object)
			}
		})
	}
}

func TestUndoDocument(t *testing.T) {
	u := testURLs(t)
	const object = "https://up.example/users/xz"
	follow, err := u.FollowDocument("", u.InstanceActor()+"#follows/1", object)
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, follow, "", "\t"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, actor, wantActor string
		activity               []byte
	}{
		{"instance actor", "", base + "/actor", follow},
		{"a local actor", "curl", base + "/users/curl", follow},
		{"an indented activity", "", base + "/actor", indented.Bytes()},
		{"HTML and escapes kept", "", base + "/actor", []byte(`{"type":"Like","id":"https://n.example/likes/1?a=1&b=<2>","content":"\u00e9 \\ \"q\""}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			undoID := u.InstanceActor() + "#undo/1"
			doc, err := u.UndoDocument(tt.actor, undoID, tt.activity, object)
			if err != nil {
				t.Fatal(err)
			}
			m := decode(t, doc)
			if got, want := keysOf(m), []string{"@context", "actor", "id", "object", "to", "type"}; !reflect.DeepEqual(got, want) {
				t.Errorf("members %v, want %v", got, want)
			}
			for k, want := range map[string]string{"@context": ActivityStreamsContext, "type": "Undo", "id": undoID, "actor": tt.wantActor} {
				if got, _ := m[k].(string); got != want {
					t.Errorf("%s = %#v, want %q", k, m[k], want)
				}
			}
			if got := strs(m["to"]); !reflect.DeepEqual(got, []string{object}) {
				t.Errorf("to = %#v, want [%s]", m["to"], object)
			}
			if got, want := rawField(t, doc, "object"), compactJSON(t, tt.activity); !bytes.Equal(got, want) {
				t.Errorf("object =\n %s\nwant the activity as sent\n %s", got, want)
			}
		})
	}
	if doc, err := u.UndoDocument("", "x", json.RawMessage(`{"type":`), object); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("UndoDocument(invalid JSON) = %s, %v; want an error", doc, err)
	}
}

func TestAnnounceDocument(t *testing.T) {
	u := testURLs(t)
	const object = "https://up.example/notices/7"
	announceID := base + "/users/curl/announces/7"
	published := time.Date(2024, 1, 2, 3, 4, 5, 600, time.FixedZone("CET", 3600))
	doc, err := u.AnnounceDocument("curl", announceID, object, published)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, doc)
	if got, want := keysOf(m), []string{"@context", "actor", "cc", "id", "object", "published", "to", "type"}; !reflect.DeepEqual(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
	for k, want := range map[string]string{
		"@context":  ActivityStreamsContext,
		"type":      "Announce",
		"id":        announceID,
		"actor":     base + "/users/curl",
		"object":    object,
		"published": "2024-01-02T02:04:05Z",
	} {
		if got, _ := m[k].(string); got != want {
			t.Errorf("%s = %#v, want %q", k, m[k], want)
		}
	}
	if got := strs(m["to"]); !reflect.DeepEqual(got, []string{Public}) {
		t.Errorf("to = %#v, want [Public]", m["to"])
	}
	if got := strs(m["cc"]); !reflect.DeepEqual(got, []string{base + "/users/curl/followers"}) {
		t.Errorf("cc = %#v, want the actor's followers", m["cc"])
	}
}

func TestSameOriginExported(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://a.example/users/x", "https://a.example/outbox?page=1", true},
		{"https://A.example/x", "https://a.EXAMPLE/y", true},
		{"http://a.example/x", "https://a.example/y", false},     // the scheme counts: no downgrade
		{"https://a.example:443/x", "https://a.example/y", true}, // the default port is the port
		{"https://a.example/x", "https://a.example:8443/y", false},
		{"https://a.example/x", "https://b.example/x", false},
		{"https://a.example/x", "https://a.example.evil/x", false},
		{"https://a.example/x", "https://evil@a.example/x", true}, // userinfo is not the host
		{"/relative", "/relative", false},
		{"", "", false},
		{"https://a.example/x", "", false},
		{"%zz", "https://a.example/", false},
	}
	for _, tt := range tests {
		if got := SameOrigin(tt.a, tt.b); got != tt.want {
			t.Errorf("SameOrigin(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
