package testpeer

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/mr-tron/base58"
)

func readVector(t *testing.T) (doc []byte, key ed25519.PublicKey) {
	t.Helper()
	doc, err := os.ReadFile("../../testdata/eddsa-jcs-2022/signed.json")
	if err != nil {
		t.Fatal(err)
	}
	kp, err := os.ReadFile("../../testdata/eddsa-jcs-2022/keypair.json")
	if err != nil {
		t.Fatal(err)
	}
	var pair struct {
		PublicKeyMultibase string `json:"publicKeyMultibase"`
	}
	if err := json.Unmarshal(kp, &pair); err != nil {
		t.Fatal(err)
	}
	key, err = DecodeMultikey(pair.PublicKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	return doc, key
}

func TestVerifyProofsW3CVector(t *testing.T) {
	doc, key := readVector(t)
	resolve := func(vm string) (ed25519.PublicKey, error) { return key, nil }
	proofs, err := VerifyProofs(doc, resolve)
	if err != nil {
		t.Fatalf("the W3C vector does not verify: %v", err)
	}
	if len(proofs) != 1 || proofs[0].Purpose != "assertionMethod" ||
		!strings.HasPrefix(proofs[0].VerificationMethod, "https://vc.example/issuers/5678#") {
		t.Errorf("proofs = %+v", proofs)
	}

	// The intermediate hashes the spec gives.
	var m map[string]json.RawMessage
	json.Unmarshal(doc, &m)
	var proof map[string]json.RawMessage
	json.Unmarshal(m["proof"], &proof)
	delete(m, "proof")
	delete(proof, "proofValue")
	docHash, _ := jcsHash(m)
	proofHash, _ := jcsHash(proof)
	if got := hex.EncodeToString(docHash); got != "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19" {
		t.Errorf("docHash = %s", got)
	}
	if got := hex.EncodeToString(proofHash); got != "ac75a9fbdb9b5606c064a88bb59ab355900074f6def99d16a82dd071a7a67066" {
		t.Errorf("proofHash = %s", got)
	}

	// Any change to the document or the proof breaks it.
	tampered := map[string]func(doc, proof map[string]any){
		"name":         func(d, p map[string]any) { d["name"] = "Alumni Credential!" },
		"added member": func(d, p map[string]any) { d["extra"] = 1 },
		"subject":      func(d, p map[string]any) { d["credentialSubject"].(map[string]any)["alumniOf"] = "Elsewhere" },
		"document context": func(d, p map[string]any) {
			d["@context"] = []any{"https://www.w3.org/ns/credentials/v2"}
		},
		"proof created": func(d, p map[string]any) { p["created"] = "2023-02-24T23:36:39Z" },
		"proof purpose": func(d, p map[string]any) { p["proofPurpose"] = "authentication" },
		// (Removing the proof's @context changes nothing: the proof config takes the document's.)
		"proof context":  func(d, p map[string]any) { p["@context"] = []any{"https://www.w3.org/ns/credentials/v2", "x"} },
		"proof method":   func(d, p map[string]any) { p["verificationMethod"] = "https://vc.example/issuers/5678#other" },
		"cryptosuite":    func(d, p map[string]any) { p["cryptosuite"] = "eddsa-rdfc-2022" },
		"proofValue":     func(d, p map[string]any) { p["proofValue"] = "z" + base58.Encode(make([]byte, 64)) },
		"not multibase":  func(d, p map[string]any) { p["proofValue"] = strings.TrimPrefix(p["proofValue"].(string), "z") },
		"proof removed":  func(d, p map[string]any) { delete(d, "proof") },
		"empty proofset": func(d, p map[string]any) { d["proof"] = []any{} },
	}
	for name, change := range tampered {
		t.Run(name, func(t *testing.T) {
			var d map[string]any
			json.Unmarshal(doc, &d)
			p := d["proof"].(map[string]any)
			change(d, p)
			b, _ := json.Marshal(d)
			if _, err := VerifyProofs(b, resolve); err == nil {
				t.Errorf("a document with a changed %s verifies", name)
			}
		})
	}

	other, _, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := VerifyProofs(doc, func(string) (ed25519.PublicKey, error) { return other, nil }); err == nil {
		t.Error("verifies with another key")
	}
}

// signForTest is an eddsa-jcs-2022 signer written from the spec, to make proof sets.
func signForTest(t *testing.T, doc map[string]any, key ed25519.PrivateKey, vm string) {
	t.Helper()
	unsecured := map[string]any{}
	for k, v := range doc {
		if k != "proof" {
			unsecured[k] = v
		}
	}
	config := map[string]any{"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "verificationMethod": vm,
		"proofPurpose": "assertionMethod", "created": "2026-01-02T03:04:05Z", "@context": doc["@context"]}
	hash := func(v any) []byte {
		b, _ := json.Marshal(v)
		c, err := jcs.Transform(b)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(c)
		return s[:]
	}
	sig := ed25519.Sign(key, append(hash(config), hash(unsecured)...))
	config["proofValue"] = "z" + base58.Encode(sig)
	switch existing := doc["proof"].(type) {
	case nil:
		doc["proof"] = config
	case map[string]any:
		doc["proof"] = []any{existing, config}
	case []any:
		doc["proof"] = append(existing, config)
	}
}

func TestVerifyProofsSet(t *testing.T) {
	pub1, key1, _ := ed25519.GenerateKey(rand.Reader)
	pub2, key2, _ := ed25519.GenerateKey(rand.Reader)
	doc := map[string]any{"@context": []any{"https://www.w3.org/ns/activitystreams", map[string]any{"x": "y"}},
		"type": "Note", "content": "<p>1e1 “quotes” \u2028 &amp; 1.50</p>", "n": 1.5e300}
	signForTest(t, doc, key1, "https://a.example/users/a#k")
	signForTest(t, doc, key2, "https://b.example/users/b#k")
	b, _ := json.Marshal(doc)
	keys := map[string]ed25519.PublicKey{"https://a.example/users/a#k": pub1, "https://b.example/users/b#k": pub2}
	resolve := func(vm string) (ed25519.PublicKey, error) { return keys[vm], nil }
	proofs, err := VerifyProofs(b, resolve)
	if err != nil || len(proofs) != 2 {
		t.Fatalf("proof set: %v, %+v", err, proofs)
	}
	keys["https://b.example/users/b#k"] = pub1
	if _, err := VerifyProofs(b, resolve); err == nil {
		t.Error("a proof set with one wrong key verifies")
	}
}

func TestMultikey(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	got, err := DecodeMultikey(EncodeMultikey(pub))
	if err != nil || !got.Equal(pub) {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{"", "z", "u" + base58.Encode(append([]byte{0xed, 1}, pub...)),
		"z" + base58.Encode(append([]byte{0xec, 1}, pub...)), "z" + base58.Encode(pub)} {
		if _, err := DecodeMultikey(bad); err == nil {
			t.Errorf("DecodeMultikey(%q) works", bad)
		}
	}
}

func TestParseSignatureHeader(t *testing.T) {
	got, err := parseSignatureHeader(`keyId="https://h/u#main-key",algorithm="rsa-sha256", headers="(request-target) host date",signature="YWJj=="`)
	if err != nil || got["keyId"] != "https://h/u#main-key" || got["headers"] != "(request-target) host date" || got["signature"] != "YWJj==" {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{`keyId`, `keyId="a`, `keyId="a"x`, `keyId="a",keyId="b"`} {
		if _, err := parseSignatureHeader(bad); err == nil {
			t.Errorf("%q parses", bad)
		}
	}
}

// Two peers of different dialects talk to each other: each verifies what the other sends.
func TestPeersTalk(t *testing.T) {
	ctx := context.Background()
	masto := New(t, Mastodon, "alice", "carol")
	gts := New(t, GoToSocial, "bob")

	// Mastodon looks up a GoToSocial account: GoToSocial demands a signed GET, Mastodon signs its lookups.
	bob, err := masto.Lookup(ctx, "@bob@"+gts.Host)
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if bob.ID != gts.ActorID("bob") || bob.SharedInbox != "" || bob.KeyID != bob.ID+"/main-key" || bob.Type != "Person" {
		t.Errorf("bob = %+v", bob)
	}
	alice, err := gts.Lookup(ctx, "@alice@"+masto.Host)
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if alice.SharedInbox != masto.URL+"/inbox" || alice.KeyID != alice.ID+"#main-key" {
		t.Errorf("alice = %+v", alice)
	}

	// GoToSocial's actor documents answer 401 to unsigned GETs; its key documents do not.
	for path, want := range map[string]int{"/users/bob": 401, "/users/bob/followers": 401, "/users/bob/main-key": 200, "/inbox": 405} {
		resp, err := http.Get(gts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("unsigned GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if resp, err := http.Post(gts.URL+"/inbox", ActivityJSON, strings.NewReader("{}")); err != nil || resp.StatusCode != 404 {
		t.Errorf("POST /inbox on GoToSocial: %v %v", resp, err)
	}

	// GoToSocial follows a Mastodon account: the Follow goes to the shared inbox, and Mastodon verifies it
	// with a key fetched unsigned.
	f, err := gts.Follow(ctx, "bob", alice)
	if err != nil {
		t.Fatal(err)
	}
	if f.Inbox != masto.URL+"/inbox" {
		t.Errorf("GoToSocial sent its Follow to %s", f.Inbox)
	}
	got, ok := masto.WaitReceived(time.Second, 1, func(d Delivery) bool { return d.Type == "Follow" })
	if !ok {
		t.Fatalf("no Follow; failures %v", masto.Failures())
	}
	if got[0].Signer != bob.ID || got[0].KeyID != bob.KeyID || got[0].Path != "/inbox" ||
		!strings.Contains(got[0].Header.Get("Signature"), `algorithm="hs2019"`) ||
		!strings.Contains(got[0].Header.Get("Content-Type"), "ld+json") {
		t.Errorf("Follow = %+v", got[0])
	}

	// Mastodon follows the GoToSocial account at its own inbox, signing rsa-sha256 with content-type.
	f2, err := masto.Follow(ctx, "alice", bob)
	if err != nil {
		t.Fatal(err)
	}
	got, ok = gts.WaitReceived(time.Second, 1, func(d Delivery) bool { return d.Type == "Follow" })
	if !ok || got[0].Path != "/users/bob/inbox" || got[0].Signer != alice.ID ||
		!strings.Contains(got[0].Header.Get("Signature"), `algorithm="rsa-sha256"`) ||
		!strings.Contains(got[0].Header.Get("Signature"), "content-type") {
		t.Fatalf("Follow at GoToSocial: %+v; failures %v", got, gts.Failures())
	}
	if err := masto.Undo(ctx, f2); err != nil {
		t.Fatal(err)
	}
	if got, ok := gts.WaitReceived(time.Second, 1, func(d Delivery) bool { return d.Type == "Undo" }); !ok ||
		got[0].ObjectField("id") != f2.ID || got[0].ObjectField("type") != "Follow" {
		t.Errorf("Undo: %+v", got)
	}

	// Hostile POSTs are refused and recorded.
	body := []byte(`{"id":"` + masto.NewID("alice", "x") + `","type":"Like","actor":"` + alice.ID + `","object":"x"}`)
	bad := []struct {
		name   string
		body   []byte
		opts   PostOptions
		status int
	}{
		{"unsigned", body, PostOptions{Unsigned: true}, 401},
		{"wrong digest", body, PostOptions{DigestOf: []byte("other")}, 401},
		{"old date", body, PostOptions{Date: time.Now().Add(-2 * time.Hour)}, 401},
		{"future date", body, PostOptions{Date: time.Now().Add(2 * time.Hour)}, 401},
		{"other actor", body, PostOptions{As: "carol"}, 401},
		{"text/plain", body, PostOptions{ContentType: "text/plain"}, 406},
		{"not JSON", []byte("{"), PostOptions{}, 400},
	}
	for _, b := range bad {
		before := len(gts.Failures())
		resp, err := masto.Post(ctx, gts.ActorID("bob")+"/inbox", b.body, b.opts)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != b.status || resp.ErrorMessage() == "" {
			t.Errorf("%s: %d %s, want %d", b.name, resp.Status, resp.Body, b.status)
		}
		if len(gts.Failures()) != before+1 {
			t.Errorf("%s: not recorded as a failure", b.name)
		}
	}
	if resp, err := masto.Post(ctx, gts.ActorID("bob")+"/inbox", body, PostOptions{}); err != nil || resp.Status != 202 {
		t.Errorf("a good POST: %v %v", resp, err)
	}

	// Injected failures, then success.
	gts.FailNext(2, 503)
	for i, want := range []int{503, 503, 202} {
		resp, err := masto.Post(ctx, gts.ActorID("bob")+"/inbox", body, PostOptions{})
		if err != nil || resp.Status != want {
			t.Errorf("attempt %d: %v %v, want %d", i, resp, err, want)
		}
	}
	if n := len(gts.Refused()); n != 2 {
		t.Errorf("%d refused", n)
	}

	// The GoToSocial account deletes itself: Mastodon gets a Delete it can verify with the key it has,
	// though the actor is now gone.
	if err := gts.Delete(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if got, ok := masto.WaitReceived(time.Second, 1, func(d Delivery) bool { return d.Type == "Delete" }); !ok ||
		got[0].Signer != bob.ID || got[0].ObjectField("id") != "" || idOf(got[0].Object) != bob.ID || got[0].Path != "/inbox" {
		t.Errorf("Delete: %+v; failures %v", got, masto.Failures())
	}
	if _, err := masto.FetchActor(ctx, bob.ID); err == nil || !strings.Contains(err.Error(), "410") {
		t.Errorf("fetching a deleted actor: %v", err)
	}
	if n := len(masto.Failures()); n != 0 {
		t.Errorf("Mastodon peer refused %d requests: %v", n, masto.Failures())
	}
}

// A signed proof on a document is verified against the actor document's assertionMethod.
func TestVerifyNote(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/xz", func(w http.ResponseWriter, r *http.Request) {
		actorID := "http://" + r.Host + "/users/xz"
		writeDoc(w, ActivityJSON, map[string]any{"id": actorID, "type": "Service",
			"assertionMethod": []map[string]string{{"id": actorID + "#ed25519-key", "type": "Multikey",
				"controller": actorID, "publicKeyMultibase": EncodeMultikey(pub)}}})
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Start()
	t.Cleanup(srv.Close)
	actorID := srv.URL + "/users/xz"
	p := New(t, Mastodon, "reader")

	note := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": srv.URL + "/notices/1",
		"type": "Note", "attributedTo": actorID, "content": "<p>Hiatus</p>"}
	signForTest(t, note, key, actorID+"#ed25519-key")
	b, _ := json.Marshal(note)
	proofs, err := p.VerifyNote(context.Background(), b)
	if err != nil || len(proofs) != 1 || proofs[0].Controller != actorID {
		t.Fatalf("VerifyNote: %+v, %v", proofs, err)
	}
	signForTest(t, note, key, actorID+"#other-key")
	b, _ = json.Marshal(note)
	if _, err := p.VerifyNote(context.Background(), b); err == nil {
		t.Error("a proof by a key the actor does not list verifies")
	}
}
