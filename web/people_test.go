package web

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"baton/federation"
	"baton/federation/proof"
	"baton/store"
)

// sshKey is a fresh Ed25519 key as ssh-keygen writes its .pub file.
type sshKey struct {
	line        string // "ssh-ed25519 AAAA… comment"
	pub         ed25519.PublicKey
	fingerprint string
}

func newSSHKey(t *testing.T, comment string) sshKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment
	return sshKey{line: line, pub: pub, fingerprint: ssh.FingerprintSHA256(sp)}
}

func rsaSSHLine(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " old@laptop"
}

// jsonBody writes v as a request body.
func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// registerPerson creates a person through the API and returns what it answered.
func (f *fixture) registerPerson(name, displayName string, keys ...sshKey) PersonView {
	f.t.Helper()
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k.line
	}
	w := f.admin("POST", "/api/v1/people", jsonBody(f.t, PersonRequest{Name: name, DisplayName: displayName, Keys: lines}))
	if w.Code != http.StatusCreated {
		f.t.Fatalf("create person %s: %d %s", name, w.Code, w.Body)
	}
	var v PersonView
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *fixture) personJSON(name string) PersonView {
	f.t.Helper()
	w := f.do("GET", "/api/v1/people/"+name, "")
	if w.Code != http.StatusOK {
		f.t.Fatalf("GET person %s: %d %s", name, w.Code, w.Body)
	}
	var v PersonView
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		f.t.Fatal(err)
	}
	return v
}

// actorNames lists the names of every stored actor, for checking that a refusal stored nothing.
func (f *fixture) actorNames() string {
	f.t.Helper()
	actors, err := f.store.ListActors(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	var names []string
	for _, a := range actors {
		names = append(names, a.Name)
	}
	return strings.Join(names, ",")
}

// refusalCase is a request that must be refused with a status and a message naming the problem.
type refusalCase struct {
	name, method, path, body string
	noToken                  bool
	status                   int
	says                     []string
}

func (f *fixture) checkRefusals(t *testing.T, cases []refusalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var w = f.do(tc.method, tc.path, tc.body, "Content-Type", "application/json")
			if !tc.noToken {
				w = f.admin(tc.method, tc.path, tc.body)
			}
			if w.Code != tc.status {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, w.Code, w.Body, tc.status)
			}
			msg := errorMessage(t, w)
			for _, s := range tc.says {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not say %q", msg, s)
				}
			}
		})
	}
}

func TestPeopleCreateAndShow(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	k1, k2 := newSSHKey(t, "lasse@laptop"), newSSHKey(t, "lasse@desktop")

	got := f.registerPerson("lasse", "Lasse Collin", k1, k2)
	want := PersonView{Name: "lasse", Handle: "@lasse@notices.example.org", Actor: base + "/users/lasse", DisplayName: "Lasse Collin",
		Keys: []KeyView{
			{Fingerprint: k1.fingerprint, Multikey: proof.EncodeMultikey(k1.pub), KeyID: base + "/users/lasse#" + proof.EncodeMultikey(k1.pub), Added: "2024-06-15T12:00:00Z"},
			{Fingerprint: k2.fingerprint, Multikey: proof.EncodeMultikey(k2.pub), KeyID: base + "/users/lasse#" + proof.EncodeMultikey(k2.pub), Added: "2024-06-15T12:00:00Z"},
		},
		Roles: []RoleView{}, Rights: []RightView{}, Created: "2024-06-15T12:00:00Z"}
	if jsonBody(t, got) != jsonBody(t, want) {
		t.Errorf("created\n %s\nwant\n %s", jsonBody(t, got), jsonBody(t, want))
	}
	if shown := f.personJSON("lasse"); jsonBody(t, shown) != jsonBody(t, want) {
		t.Errorf("GET shows\n %s\nwant\n %s", jsonBody(t, shown), jsonBody(t, want))
	}
	a, err := f.store.Actor(context.Background(), "lasse")
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != "person" || len(a.Ed25519Seed) != 0 || !strings.Contains(a.RSAKeyPEM, "PRIVATE KEY") {
		t.Errorf("stored person: kind %q, seed %d bytes, key %.30q", a.Kind, len(a.Ed25519Seed), a.RSAKeyPEM)
	}
	keys, _ := f.store.PersonKeys(context.Background(), "lasse")
	if len(keys) != 2 || !ed25519.PublicKey(keys[0].PublicKey).Equal(k1.pub) || keys[0].Fingerprint != k1.fingerprint {
		t.Errorf("stored keys: %+v", keys)
	}
	// A multikey is a key too; the comment of an OpenSSH line is not needed.
	mk := newSSHKey(t, "")
	f.registerPerson("mk", "", sshKey{line: proof.EncodeMultikey(mk.pub)})
	if v := f.personJSON("mk"); len(v.Keys) != 1 || v.Keys[0].Fingerprint != mk.fingerprint || v.DisplayName != "mk" {
		t.Errorf("person registered with a multikey: %+v", v)
	}

	before := f.actorNames()
	good, other := newSSHKey(t, "good"), newSSHKey(t, "other")
	body := func(name string, keys ...string) string {
		return jsonBody(t, PersonRequest{Name: name, Keys: keys})
	}
	f.checkRefusals(t, []refusalCase{
		{name: "no token", method: "POST", path: "/api/v1/people", body: body("jia", good.line), noToken: true, status: 401, says: []string{"admin token"}},
		{name: "bad name", method: "POST", path: "/api/v1/people", body: body("Jia", good.line), status: 422, says: []string{`name: name "Jia"`}},
		{name: "no keys", method: "POST", path: "/api/v1/people", body: body("jia"), status: 422, says: []string{"keys: at least one key", "ssh-ed25519"}},
		{name: "one good, one RSA", method: "POST", path: "/api/v1/people", body: body("jia", good.line, rsaSSHLine(t)), status: 422,
			says: []string{`keys[1] ("ssh-rsa`, "is not an Ed25519 key"}},
		{name: "garbage", method: "POST", path: "/api/v1/people", body: body("jia", good.line, "ssh-ed25519 AAAAnot-base64 x"), status: 422,
			says: []string{"keys[1]", "OpenSSH public key"}},
		{name: "empty key", method: "POST", path: "/api/v1/people", body: body("jia", " "), status: 422, says: []string{"keys[0]", "empty"}},
		{name: "private key", method: "POST", path: "/api/v1/people", body: body("jia", "-----BEGIN OPENSSH PRIVATE KEY-----"), status: 422,
			says: []string{"keys[0]", "private key", ".pub"}},
		{name: "two lines in one", method: "POST", path: "/api/v1/people", body: body("jia", good.line+"\n"+other.line), status: 422,
			says: []string{"keys[0]", "more than one line"}},
		{name: "the same key twice", method: "POST", path: "/api/v1/people", body: body("jia", good.line, other.line, good.line), status: 422,
			says: []string{"keys[2]", "the same key as keys[0]"}},
		{name: "every problem at once", method: "POST", path: "/api/v1/people", body: body("J", "x"), status: 422, says: []string{`name "J"`, "keys[0]"}},
		{name: "long display name", method: "POST", path: "/api/v1/people",
			body: jsonBody(t, PersonRequest{Name: "jia", DisplayName: strings.Repeat("j", 101), Keys: []string{good.line}}), status: 422,
			says: []string{"display_name: at most 100 characters"}},
		{name: "a project's name", method: "POST", path: "/api/v1/people", body: body("xz", good.line), status: 409, says: []string{`"xz" is taken already, by a project`}},
		{name: "a person's name", method: "POST", path: "/api/v1/people", body: body("lasse", good.line), status: 409, says: []string{`"lasse" is taken already, by a person`}},
		{name: "another person's key", method: "POST", path: "/api/v1/people", body: body("jia", good.line, k2.line), status: 409,
			says: []string{"keys[1]", k2.fingerprint, "lasse's already"}},
		{name: "unknown field", method: "POST", path: "/api/v1/people", body: `{"name":"jia","key":"x"}`, status: 400, says: []string{"request body:", `unknown field "key"`}},
		{name: "not JSON", method: "POST", path: "/api/v1/people", body: `name=jia`, status: 400, says: []string{"request body:"}},
		{name: "GET unknown", method: "GET", path: "/api/v1/people/jia", noToken: true, status: 404, says: []string{`person "jia" not found`}},
		{name: "GET a project", method: "GET", path: "/api/v1/people/xz", noToken: true, status: 404, says: []string{`person "xz" not found`}},
	})
	// Nothing was half-applied: no actor, no key of a refused request.
	if after := f.actorNames(); after != before {
		t.Errorf("actors after the refusals: %s, before: %s", after, before)
	}
	for _, name := range []string{"jia", "xz", "J"} {
		if keys, _ := f.store.PersonKeys(context.Background(), name); len(keys) != 0 {
			t.Errorf("%s has keys after refusals: %+v", name, keys)
		}
	}
	if keys, _ := f.store.PersonKeys(context.Background(), "lasse"); len(keys) != 2 {
		t.Errorf("lasse has %d keys after refusals, want 2", len(keys))
	}
}

func TestPeopleKeys(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	k1, k2, k3 := newSSHKey(t, "one"), newSSHKey(t, "two"), newSSHKey(t, "three")
	jias := newSSHKey(t, "jia")
	f.registerPerson("lasse", "", k1)
	f.registerPerson("jia", "", jias)

	// Rotation: add the new key, then revoke the old one.
	f.clock.now = f.clock.now.Add(24 * time.Hour)
	w := f.admin("POST", "/api/v1/people/lasse/keys", jsonBody(t, KeyRequest{Key: k2.line}))
	if w.Code != http.StatusCreated {
		t.Fatalf("add key: %d %s", w.Code, w.Body)
	}
	var v PersonView
	json.Unmarshal(w.Body.Bytes(), &v)
	if len(v.Keys) != 2 || v.Keys[1].Fingerprint != k2.fingerprint || v.Keys[1].Added != "2024-06-16T12:00:00Z" || v.Keys[1].Revoked != "" {
		t.Fatalf("after adding a key: %+v", v.Keys)
	}
	f.clock.now = f.clock.now.Add(24 * time.Hour)
	w = f.admin("POST", "/api/v1/people/lasse/keys/revoke", jsonBody(t, RevokeKeyRequest{Fingerprint: k1.fingerprint}))
	if w.Code != http.StatusOK {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	v = f.personJSON("lasse")
	if len(v.Keys) != 2 || v.Keys[0].Revoked != "2024-06-17T12:00:00Z" || v.Keys[1].Revoked != "" {
		t.Fatalf("after revoking: %+v", v.Keys)
	}
	// Without the SHA256: prefix, as some tools print fingerprints.
	w = f.admin("POST", "/api/v1/people/lasse/keys", jsonBody(t, KeyRequest{Key: k3.line}))
	if w.Code != http.StatusCreated {
		t.Fatalf("add a third key: %d %s", w.Code, w.Body)
	}
	w = f.admin("POST", "/api/v1/people/lasse/keys/revoke", jsonBody(t, RevokeKeyRequest{Fingerprint: strings.TrimPrefix(k3.fingerprint, "SHA256:")}))
	if w.Code != http.StatusOK {
		t.Fatalf("revoke without the prefix: %d %s", w.Code, w.Body)
	}

	f.checkRefusals(t, []refusalCase{
		{name: "add without token", method: "POST", path: "/api/v1/people/lasse/keys", body: jsonBody(t, KeyRequest{Key: newSSHKey(t, "").line}), noToken: true, status: 401, says: []string{"admin token"}},
		{name: "add to nobody", method: "POST", path: "/api/v1/people/nobody/keys", body: jsonBody(t, KeyRequest{Key: newSSHKey(t, "").line}), status: 404, says: []string{`person "nobody" not found`}},
		{name: "add to a project", method: "POST", path: "/api/v1/people/xz/keys", body: jsonBody(t, KeyRequest{Key: newSSHKey(t, "").line}), status: 404, says: []string{`person "xz" not found`}},
		{name: "add a key in use", method: "POST", path: "/api/v1/people/lasse/keys", body: jsonBody(t, KeyRequest{Key: k2.line}), status: 409, says: []string{"lasse has key " + k2.fingerprint + " already"}},
		{name: "add a revoked key back", method: "POST", path: "/api/v1/people/lasse/keys", body: jsonBody(t, KeyRequest{Key: k1.line}), status: 409, says: []string{"was revoked on 2024-06-17", "not taken back"}},
		{name: "add another person's key", method: "POST", path: "/api/v1/people/lasse/keys", body: jsonBody(t, KeyRequest{Key: jias.line}), status: 409, says: []string{jias.fingerprint, "jia's already"}},
		{name: "add an RSA key", method: "POST", path: "/api/v1/people/lasse/keys", body: jsonBody(t, KeyRequest{Key: rsaSSHLine(t)}), status: 422, says: []string{"key: ", "not an Ed25519 key"}},
		{name: "add nothing", method: "POST", path: "/api/v1/people/lasse/keys", body: `{}`, status: 422, says: []string{"key: empty"}},
		{name: "revoke without token", method: "POST", path: "/api/v1/people/lasse/keys/revoke", body: jsonBody(t, RevokeKeyRequest{Fingerprint: k2.fingerprint}), noToken: true, status: 401, says: []string{"admin token"}},
		{name: "revoke unknown key", method: "POST", path: "/api/v1/people/lasse/keys/revoke", body: jsonBody(t, RevokeKeyRequest{Fingerprint: jias.fingerprint}), status: 404, says: []string{"lasse has no key " + jias.fingerprint}},
		{name: "revoke twice", method: "POST", path: "/api/v1/people/lasse/keys/revoke", body: jsonBody(t, RevokeKeyRequest{Fingerprint: k1.fingerprint}), status: 409, says: []string{"is already revoked, since 2024-06-17"}},
		{name: "revoke the last key in use", method: "POST", path: "/api/v1/people/lasse/keys/revoke", body: jsonBody(t, RevokeKeyRequest{Fingerprint: k2.fingerprint}), status: 409,
			says: []string{k2.fingerprint, "last key in use", "add the new key first"}},
		{name: "revoke without fingerprint", method: "POST", path: "/api/v1/people/lasse/keys/revoke", body: `{}`, status: 422, says: []string{"fingerprint: required"}},
		{name: "revoke of nobody", method: "POST", path: "/api/v1/people/nobody/keys/revoke", body: jsonBody(t, RevokeKeyRequest{Fingerprint: k2.fingerprint}), status: 404, says: []string{`person "nobody" not found`}},
	})
	v = f.personJSON("lasse")
	if len(v.Keys) != 3 || v.Keys[0].Revoked == "" || v.Keys[1].Revoked != "" || v.Keys[2].Revoked == "" {
		t.Errorf("lasse's keys after the refusals: %+v", v.Keys)
	}
	if v := f.personJSON("jia"); len(v.Keys) != 1 || v.Keys[0].Revoked != "" {
		t.Errorf("jia's keys after the refusals: %+v", v.Keys)
	}
}

func TestPeopleRoles(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	f.createProject(`{"name":"zlib"}`)
	f.registerPerson("lasse", "Lasse Collin", newSSHKey(t, "lasse"))
	f.registerPerson("s1", "", newSSHKey(t, "s1"))

	w := f.admin("POST", "/api/v1/projects/xz/maintainers", `{"person":"lasse"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("add maintainer: %d %s", w.Code, w.Body)
	}
	var role RoleView
	json.Unmarshal(w.Body.Bytes(), &role)
	if !reflect.DeepEqual(role, RoleView{Role: "maintainer", Person: "lasse", Project: "xz", Since: "2024-06-15T12:00:00Z"}) {
		t.Errorf("maintainer role: %+v", role)
	}
	w = f.admin("POST", "/api/v1/stewards", `{"person":"s1"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("add steward: %d %s", w.Code, w.Body)
	}
	w = f.admin("POST", "/api/v1/stewards", `{"person":"lasse"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("add lasse as steward: %d %s", w.Code, w.Body)
	}

	// zlib publishes a notice: from then on its maintainers change by handover alone.
	f.postNotice("zlib", `{"kind":"hiatus","text":"Away for a while."}`)

	f.checkRefusals(t, []refusalCase{
		{name: "maintainer without token", method: "POST", path: "/api/v1/projects/xz/maintainers", body: `{"person":"s1"}`, noToken: true, status: 401, says: []string{"admin token"}},
		{name: "maintainer twice", method: "POST", path: "/api/v1/projects/xz/maintainers", body: `{"person":"lasse"}`, status: 409, says: []string{"lasse is a maintainer of xz already"}},
		{name: "unknown person", method: "POST", path: "/api/v1/projects/xz/maintainers", body: `{"person":"jia"}`, status: 404, says: []string{`person "jia" not found`, "baton person add jia"}},
		{name: "a project as maintainer", method: "POST", path: "/api/v1/projects/xz/maintainers", body: `{"person":"zlib"}`, status: 422, says: []string{`"zlib" is a project, not a person`}},
		{name: "nobody", method: "POST", path: "/api/v1/projects/xz/maintainers", body: `{"person":""}`, status: 422, says: []string{"person: required"}},
		{name: "unknown project", method: "POST", path: "/api/v1/projects/nope/maintainers", body: `{"person":"lasse"}`, status: 404, says: []string{`project "nope" not found`}},
		{name: "a person as project", method: "POST", path: "/api/v1/projects/s1/maintainers", body: `{"person":"lasse"}`, status: 404, says: []string{`project "s1" not found`}},
		{name: "signing keys after a notice", method: "POST", path: "/api/v1/projects/zlib/maintainers", status: 409,
			body: `{"person":"lasse","signing_keys":[{"type":"openpgp","fingerprint":"3690C240CE51B4670D30AD1C38EE757D69184620"}]}`,
			says: []string{"the maintainers of zlib now change only through handover notices"}},
		{name: "unknown field", method: "POST", path: "/api/v1/projects/xz/maintainers", body: `{"name":"s1"}`, status: 400, says: []string{`unknown field "name"`}},
		{name: "GET maintainers of a person", method: "GET", path: "/api/v1/projects/s1/maintainers", noToken: true, status: 404, says: []string{`project "s1" not found`}},
		{name: "steward without token", method: "POST", path: "/api/v1/stewards", body: `{"person":"s1"}`, noToken: true, status: 401, says: []string{"admin token"}},
		{name: "steward twice", method: "POST", path: "/api/v1/stewards", body: `{"person":"s1"}`, status: 409, says: []string{"s1 is a steward already"}},
		{name: "unknown steward", method: "POST", path: "/api/v1/stewards", body: `{"person":"jia"}`, status: 404, says: []string{`person "jia" not found`}},
		{name: "a project as steward", method: "POST", path: "/api/v1/stewards", body: `{"person":"xz"}`, status: 422, says: []string{`"xz" is a project, not a person`}},
	})
	if roles, _ := f.store.RoleHolders(context.Background(), "zlib"); len(roles) != 0 {
		t.Errorf("zlib has roles after a refusal: %+v", roles)
	}

	// zlib has a notice and no maintainer: the instance offers it to lasse by a handover from zlib itself,
	// which gives lasse nothing until they accept it, and asks the stewards like any change of rights.
	w = f.admin("POST", "/api/v1/projects/zlib/maintainers", `{"person":"lasse"}`)
	if w.Code != http.StatusAccepted {
		t.Fatalf("adopt zlib: %d %s", w.Code, w.Body)
	}
	var adoption RoleView
	json.Unmarshal(w.Body.Bytes(), &adoption)
	if adoption.Notice == "" || !slices.ContainsFunc(adoption.Missing, func(m string) bool { return strings.HasPrefix(m, "acceptance: "+base+"/users/lasse") }) ||
		!slices.ContainsFunc(adoption.Missing, func(m string) bool { return strings.HasPrefix(m, "stewards: 0 of 2") }) {
		t.Errorf("adoption: %+v, want its notice, and missing lasse's acceptance and two stewards' endorsements", adoption)
	}
	state := decodeJSON(t, f.do("GET", "/api/v1/projects/zlib/state", ""))
	if reasons := fmt.Sprint(state["reasons"]); !strings.Contains(reasons, "pending acceptance: Lasse Collin ("+base+"/users/lasse) has not accepted handover "+adoption.Notice) {
		t.Errorf("zlib's state after the adoption: %s", reasons)
	}
	f.checkRefusals(t, []refusalCase{
		{name: "adoption twice", method: "POST", path: "/api/v1/projects/zlib/maintainers", body: `{"person":"lasse"}`, status: 409,
			says: []string{"lasse is offered zlib already by " + adoption.Notice, "baton notice endorse " + adoption.Notice + " --as lasse"}},
	})

	var list []RoleView
	w = f.do("GET", "/api/v1/projects/xz/maintainers", "")
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &list) != nil || len(list) != 1 || list[0].Person != "lasse" || list[0].Role != "maintainer" {
		t.Errorf("GET maintainers: %d %s", w.Code, w.Body)
	}
	w = f.do("GET", "/api/v1/projects/zlib/maintainers", "")
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("GET maintainers of zlib: %d %s", w.Code, w.Body)
	}
	w = f.do("GET", "/api/v1/stewards", "")
	list = nil
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &list) != nil || len(list) != 2 || list[0].Person != "s1" || list[0].Role != "steward" || list[0].Project != "" {
		t.Errorf("GET stewards: %d %s", w.Code, w.Body)
	}
	v := f.personJSON("lasse")
	if jsonBody(t, v.Roles) != `[{"role":"steward","since":"2024-06-15T12:00:00Z"},{"role":"maintainer","project":"xz","since":"2024-06-15T12:00:00Z"}]` {
		t.Errorf("lasse's roles: %s", jsonBody(t, v.Roles))
	}
	// The project's state now starts from its first maintainer.
	if st := f.state(""); len(st.State.Maintainers) != 1 || st.State.Maintainers[0].Person != base+"/users/lasse" {
		t.Errorf("xz's state: %+v", st.State)
	}
}

// actorJSON is what the tests read of an actor document.
type actorJSON struct {
	Context           []any  `json:"@context"`
	ID                string `json:"id"`
	Type              string `json:"type"`
	PreferredUsername string `json:"preferredUsername"`
	Name              string `json:"name"`
	Summary           string `json:"summary"`
	Inbox             string `json:"inbox"`
	Followers         string `json:"followers"`
	Published         string `json:"published"`
	PublicKey         struct {
		ID, Owner, PublicKeyPem string
	} `json:"publicKey"`
	Endpoints struct {
		SharedInbox string `json:"sharedInbox"`
	} `json:"endpoints"`
	AssertionMethod []map[string]string `json:"assertionMethod"`
	Attachment      []map[string]string `json:"attachment"`
}

func TestPersonActor(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	k1, k2 := newSSHKey(t, "old"), newSSHKey(t, "new")
	f.registerPerson("lasse", `<script>alert("x")</script> & Lasse`, k1, k2)
	f.admin("POST", "/api/v1/projects/xz/maintainers", `{"person":"lasse"}`)
	f.admin("POST", "/api/v1/stewards", `{"person":"lasse"}`)
	f.clock.now = f.clock.now.Add(time.Hour)
	if w := f.admin("POST", "/api/v1/people/lasse/keys/revoke", jsonBody(t, RevokeKeyRequest{Fingerprint: k1.fingerprint})); w.Code != 200 {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}

	w := f.do("GET", "/users/lasse", "", "Accept", "application/activity+json")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != federation.ContentType || w.Header().Get("Vary") != "Accept" {
		t.Fatalf("GET person actor: %d %q %s", w.Code, w.Header(), w.Body)
	}
	var doc actorJSON
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	id := base + "/users/lasse"
	if doc.ID != id || doc.Type != "Person" || doc.PreferredUsername != "lasse" || doc.Name != `<script>alert("x")</script> & Lasse` ||
		doc.Inbox != id+"/inbox" || doc.Followers != id+"/followers" || doc.Endpoints.SharedInbox != base+"/inbox" ||
		doc.Published != "2024-06-15T12:00:00Z" {
		t.Errorf("person actor: %+v", doc)
	}
	if doc.PublicKey.ID != id+"#main-key" || doc.PublicKey.Owner != id || !strings.Contains(doc.PublicKey.PublicKeyPem, "BEGIN PUBLIC KEY") {
		t.Errorf("publicKey: %+v", doc.PublicKey)
	}
	if _, err := federation.ParsePublicKeyPEM(doc.PublicKey.PublicKeyPem); err != nil {
		t.Errorf("publicKeyPem: %v", err)
	}
	for _, s := range []string{"Steward of this instance", `Maintainer of <a href="` + base + `/users/xz">XZ Utils</a>`, "&lt;script&gt;"} {
		if !strings.Contains(doc.Summary, s) {
			t.Errorf("summary does not say %q: %s", s, doc.Summary)
		}
	}
	if strings.Contains(doc.Summary, "<script>") {
		t.Errorf("summary carries the display name unescaped: %s", doc.Summary)
	}
	if len(doc.Attachment) != 1 || doc.Attachment[0]["name"] != "Signing keys" || doc.Attachment[0]["value"] != k2.fingerprint {
		t.Errorf("attachment: %+v", doc.Attachment)
	}
	if len(doc.AssertionMethod) != 2 {
		t.Fatalf("assertionMethod: %+v", doc.AssertionMethod)
	}
	urls, _ := federation.NewURLs(base)
	for i, k := range []sshKey{k1, k2} {
		m := doc.AssertionMethod[i]
		if m["id"] != urls.PersonKey("lasse", k.pub) || m["type"] != "Multikey" || m["controller"] != id {
			t.Errorf("assertionMethod[%d] = %+v", i, m)
		}
		pub, err := proof.DecodeMultikey(m["publicKeyMultibase"])
		if err != nil || !pub.Equal(k.pub) {
			t.Errorf("assertionMethod[%d].publicKeyMultibase decodes to %x (%v), want %x", i, pub, err, k.pub)
		}
	}
	if doc.AssertionMethod[0]["revoked"] != "2024-06-15T13:00:00Z" {
		t.Errorf("the revoked key says revoked %q", doc.AssertionMethod[0]["revoked"])
	}
	if _, ok := doc.AssertionMethod[1]["revoked"]; ok {
		t.Errorf("the key in use says revoked: %+v", doc.AssertionMethod[1])
	}
	ctx := jsonBody(t, doc.Context)
	for _, c := range []string{federation.ActivityStreamsContext, federation.MultikeyContext} {
		if !strings.Contains(ctx, c) {
			t.Errorf("@context %s lacks %s", ctx, c)
		}
	}

	// WebFinger finds the person, so they can be followed like a project.
	w = f.do("GET", "/.well-known/webfinger?resource=acct:lasse@notices.example.org", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), id) {
		t.Errorf("webfinger: %d %s", w.Code, w.Body)
	}
	// The project is still a Service with its own key.
	w = f.do("GET", "/users/xz", "", "Accept", "application/activity+json")
	var project actorJSON
	json.Unmarshal(w.Body.Bytes(), &project)
	if w.Code != http.StatusOK || project.Type != "Service" || len(project.AssertionMethod) != 1 || project.AssertionMethod[0]["id"] != base+"/users/xz#ed25519-key" {
		t.Errorf("project actor: %d %+v", w.Code, project)
	}

	// The page, for people: the name escaped, roles, every key with when it was added and revoked.
	w = f.do("GET", "/users/lasse", "", "Accept", "text/html")
	page := w.Body.String()
	unescaped := html.UnescapeString(page) // html/template writes + as &#43;
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || w.Header().Get("Vary") != "Accept" {
		t.Fatalf("GET person page: %d %q", w.Code, w.Header())
	}
	if strings.Contains(page, "<script>") {
		t.Errorf("the page carries the display name unescaped:\n%s", page)
	}
	for _, s := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Lasse", "@lasse@notices.example.org", "Steward",
		`<a href="` + base + `/users/xz">XZ Utils</a>`, "2024-06-15", "in use", `class="revoked"`} {
		if !strings.Contains(page, s) {
			t.Errorf("the page does not show %q:\n%s", s, page)
		}
	}
	for _, s := range []string{k1.fingerprint, k2.fingerprint, `<link rel="alternate" type="application/activity+json" href="` + id + `">`} {
		if !strings.Contains(unescaped, s) {
			t.Errorf("the page does not show %q:\n%s", s, page)
		}
	}
}

// A person is followable like a project: a change of their keys or roles goes to their followers as
// an Update of their actor, signed by them.
func TestPersonUpdateReachesFollowers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	k1, k2 := newSSHKey(t, "one"), newSSHKey(t, "two")
	f.registerPerson("lasse", "", k1)
	if err := f.store.AddFollower(ctx, store.Follower{Local: "lasse", Actor: "https://mastodon.example/users/alice",
		Inbox: "https://mastodon.example/users/alice/inbox", SharedInbox: "https://mastodon.example/inbox", FollowID: "https://mastodon.example/f/1", Created: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	steps := []struct{ path, body string }{
		{"/api/v1/people/lasse/keys", jsonBody(t, KeyRequest{Key: k2.line})},
		{"/api/v1/people/lasse/keys/revoke", jsonBody(t, RevokeKeyRequest{Fingerprint: k1.fingerprint})},
		{"/api/v1/stewards", `{"person":"lasse"}`},
	}
	for i, step := range steps {
		f.clock.now = f.clock.now.Add(time.Minute)
		if w := f.admin("POST", step.path, step.body); w.Code >= 300 {
			t.Fatalf("POST %s: %d %s", step.path, w.Code, w.Body)
		}
		ds, err := f.store.Claim(ctx, f.clock.Now(), 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].Inbox != "https://mastodon.example/inbox" || ds[0].Activity.Signer != "lasse" {
			t.Fatalf("step %d: deliveries %+v", i, ds)
		}
		var update struct {
			Type   string    `json:"type"`
			Actor  string    `json:"actor"`
			Object actorJSON `json:"object"`
		}
		if err := json.Unmarshal(ds[0].Activity.Body, &update); err != nil {
			t.Fatal(err)
		}
		if update.Type != "Update" || update.Actor != base+"/users/lasse" || update.Object.Type != "Person" || update.Object.ID != base+"/users/lasse" {
			t.Errorf("step %d: %s", i, ds[0].Activity.Body)
		}
		if i == 1 && (len(update.Object.AssertionMethod) != 2 || update.Object.AssertionMethod[0]["revoked"] == "") {
			t.Errorf("the Update after revoking lists %+v", update.Object.AssertionMethod)
		}
		if i == 2 && !strings.Contains(update.Object.Summary, "Steward") {
			t.Errorf("the Update after the steward role says %q", update.Object.Summary)
		}
		f.store.Complete(ctx, ds[0].ID)
	}
	if n, _ := f.store.QueueDepth(ctx); n != 0 {
		t.Errorf("queue depth %d", n)
	}
}
