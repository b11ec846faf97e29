package federation

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	vocab "github.com/go-ap/activitypub"

	"baton/federation/proof"
)

// decode reads a document with encoding/json, the way any receiver does, failing on invalid JSON.
func decode(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	if !json.Valid(doc) {
		t.Fatalf("not valid JSON: %s", doc)
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("decode: %v\n%s", err, doc)
	}
	return m
}

// rawField returns the bytes of one member of a JSON object, as they appear in the document.
func rawField(t *testing.T, doc []byte, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("decode: %v", err)
	}
	v, ok := m[name]
	if !ok {
		t.Fatalf("no %q in %s", name, doc)
	}
	return v
}

func strs(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func contains(list []any, v any) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, v) {
			return true
		}
	}
	return false
}

func TestActorDocument(t *testing.T) {
	u := testURLs(t)
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	const pem = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"
	for _, typ := range []vocab.ActivityVocabularyType{vocab.ServiceType, vocab.ApplicationType} {
		t.Run(string(typ), func(t *testing.T) {
			doc, err := u.ActorDocument(ActorProfile{
				Name:         "xz",
				Username:     "xz",
				Type:         typ,
				DisplayName:  `XZ "Utils" <b> & \ co`,
				SummaryHTML:  "<p>Signed notices about xz.</p>",
				Fields:       []Field{{Name: "Status", ValueHTML: "hiatus until 2024-07-01"}, {Name: "Homepage", ValueHTML: `<a href="https://tukaani.org/">https://tukaani.org/</a>`}},
				RSAPublicPEM: pem,
				ProofKey:     pub,
				Published:    time.Date(2024, 1, 2, 3, 4, 5, 999, time.FixedZone("x", 3600)),
			})
			if err != nil {
				t.Fatal(err)
			}
			m := decode(t, doc)
			ctx, ok := m["@context"].([]any)
			if !ok {
				t.Fatalf("@context is %T, want an array", m["@context"])
			}
			for _, want := range []string{ActivityStreamsContext, SecurityContext, MultikeyContext} {
				if !contains(ctx, want) {
					t.Errorf("@context lacks %s: %v", want, ctx)
				}
			}
			wantStrings := map[string]string{
				"type":              string(typ),
				"id":                base + "/users/xz",
				"url":               base + "/users/xz",
				"inbox":             base + "/users/xz/inbox",
				"outbox":            base + "/users/xz/outbox",
				"followers":         base + "/users/xz/followers",
				"following":         base + "/users/xz/following",
				"preferredUsername": "xz",
				"name":              `XZ "Utils" <b> & \ co`,
				"summary":           "<p>Signed notices about xz.</p>",
				"published":         "2024-01-02T02:04:05Z",
			}
			for k, want := range wantStrings {
				if got, _ := m[k].(string); got != want {
					t.Errorf("%s = %#v, want %q", k, m[k], want)
				}
			}
			if got := m["endpoints"]; !reflect.DeepEqual(got, map[string]any{"sharedInbox": base + "/inbox"}) {
				t.Errorf("endpoints = %#v", got)
			}
			wantKey := map[string]any{"id": base + "/users/xz#main-key", "owner": base + "/users/xz", "publicKeyPem": pem}
			if got := m["publicKey"]; !reflect.DeepEqual(got, wantKey) {
				t.Errorf("publicKey = %#v\nwant %#v", got, wantKey)
			}
			if got, ok := m["manuallyApprovesFollowers"].(bool); !ok || got {
				t.Errorf("manuallyApprovesFollowers = %#v, want false", m["manuallyApprovesFollowers"])
			}
			if got, ok := m["discoverable"].(bool); !ok || !got {
				t.Errorf("discoverable = %#v, want true", m["discoverable"])
			}
			if got, ok := m["indexable"].(bool); !ok || !got {
				t.Errorf("indexable = %#v, want true", m["indexable"])
			}
			wantAttachment := []any{
				map[string]any{"type": "PropertyValue", "name": "Status", "value": "hiatus until 2024-07-01"},
				map[string]any{"type": "PropertyValue", "name": "Homepage", "value": `<a href="https://tukaani.org/">https://tukaani.org/</a>`},
			}
			if got := m["attachment"]; !reflect.DeepEqual(got, wantAttachment) {
				t.Errorf("attachment = %#v\nwant %#v", got, wantAttachment)
			}
			methods, ok := m["assertionMethod"].([]any)
			if !ok || len(methods) != 1 {
				t.Fatalf("assertionMethod = %#v, want one entry", m["assertionMethod"])
			}
			am, _ := methods[0].(map[string]any)
			if am["id"] != base+"/users/xz#ed25519-key" || am["type"] != "Multikey" || am["controller"] != base+"/users/xz" {
				t.Errorf("assertionMethod[0] = %#v", am)
			}
			mb, _ := am["publicKeyMultibase"].(string)
			key, err := proof.DecodeMultikey(mb)
			if err != nil {
				t.Fatalf("publicKeyMultibase %q: %v", mb, err)
			}
			if !key.Equal(pub) {
				t.Errorf("publicKeyMultibase decodes to %x, want %x", key, pub)
			}
			// The context must define the terms Mastodon reads from it.
			var terms map[string]any
			for _, c := range ctx {
				if m, ok := c.(map[string]any); ok {
					terms = m
				}
			}
			for term, want := range map[string]string{
				"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
				"toot":                      "http://joinmastodon.org/ns#",
				"discoverable":              "toot:discoverable",
				"indexable":                 "toot:indexable",
				"schema":                    "http://schema.org#",
				"PropertyValue":             "schema:PropertyValue",
				"value":                     "schema:value",
			} {
				if terms[term] != want {
					t.Errorf("@context %s = %#v, want %q", term, terms[term], want)
				}
			}
		})
	}
}

func TestActorDocumentInstanceActor(t *testing.T) {
	u := testURLs(t)
	doc, err := u.ActorDocument(ActorProfile{Username: "notices.example.org", Type: vocab.ApplicationType, DisplayName: "notices.example.org", RSAPublicPEM: "PEM"})
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, doc)
	for k, want := range map[string]string{
		"type":              "Application",
		"id":                base + "/actor",
		"inbox":             base + "/actor/inbox",
		"outbox":            base + "/actor/outbox",
		"followers":         base + "/actor/followers",
		"following":         base + "/actor/following",
		"preferredUsername": "notices.example.org",
	} {
		if got, _ := m[k].(string); got != want {
			t.Errorf("%s = %#v, want %q", k, m[k], want)
		}
	}
	if pk, _ := m["publicKey"].(map[string]any); pk["id"] != base+"/actor#main-key" || pk["owner"] != base+"/actor" {
		t.Errorf("publicKey = %#v", m["publicKey"])
	}
	if _, ok := m["assertionMethod"]; ok {
		t.Errorf("the instance actor has an assertionMethod: %#v", m["assertionMethod"])
	}
	if _, ok := m["published"]; ok {
		t.Errorf("a zero Published was written: %#v", m["published"])
	}
	if got, ok := m["attachment"].([]any); !ok || len(got) != 0 {
		t.Errorf("attachment = %#v, want []", m["attachment"])
	}
}

// tricky is text that go-ap, or a careless encoder, would mangle.
const tricky = "<p>C:\\temp\\new \"quoted\" <b>bold</b> & more — ünïcødé 日本語 🎉\ttab\nnewline \u2028 </script></p>"

func noteFields() NoteFields {
	return NoteFields{
		ID:          42,
		Actor:       "xz",
		ContentHTML: tricky,
		Published:   time.Date(2024, 6, 1, 10, 20, 30, 123456789, time.UTC),
		Public:      true,
		Tags:        []Tag{{Name: "xz", Href: base + "/tags/xz"}, {Name: "MaintainerHiatus", Href: base + "/tags/maintainerhiatus"}},
		Kind:        "hiatus",
		Since:       time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		Until:       time.Date(2024, 7, 1, 0, 0, 0, 0, time.FixedZone("CEST", 2*3600)),
	}
}

func TestNoteDocument(t *testing.T) {
	u := testURLs(t)
	doc, err := u.NoteDocument(noteFields())
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, doc)
	wantStrings := map[string]string{
		"type":         "Note",
		"id":           base + "/notices/42",
		"url":          base + "/notices/42",
		"attributedTo": base + "/users/xz",
		"content":      tricky,
		"published":    "2024-06-01T10:20:30Z",
		"noticeKind":   "hiatus",
		"project":      base + "/users/xz",
		"effectiveAt":  "2024-06-01T00:00:00Z",
		"effectiveEnd": "2024-06-30T22:00:00Z",
	}
	for k, want := range wantStrings {
		if got, _ := m[k].(string); got != want {
			t.Errorf("%s = %#v, want %q", k, m[k], want)
		}
	}
	if got := strs(m["to"]); !reflect.DeepEqual(got, []string{"https://www.w3.org/ns/activitystreams#Public"}) {
		t.Errorf("to = %#v", m["to"])
	}
	if got := strs(m["cc"]); !reflect.DeepEqual(got, []string{base + "/users/xz/followers"}) {
		t.Errorf("cc = %#v", m["cc"])
	}
	if got, ok := m["sensitive"].(bool); !ok || got {
		t.Errorf("sensitive = %#v, want false", m["sensitive"])
	}
	if _, ok := m["summary"]; ok {
		t.Errorf("summary written without a content warning: %#v", m["summary"])
	}
	wantTags := []any{
		map[string]any{"type": "Hashtag", "name": "#xz", "href": base + "/tags/xz"},
		map[string]any{"type": "Hashtag", "name": "#MaintainerHiatus", "href": base + "/tags/maintainerhiatus"},
	}
	if !reflect.DeepEqual(m["tag"], wantTags) {
		t.Errorf("tag = %#v\nwant %#v", m["tag"], wantTags)
	}
	ctx, _ := m["@context"].([]any)
	if len(ctx) == 0 || ctx[0] != ActivityStreamsContext || !contains(ctx, DataIntegrityContext) {
		t.Errorf("@context = %#v", m["@context"])
	}
	// No literal control characters in the bytes: a TAB must travel as \t.
	if bytes.ContainsAny(doc, "\t\n") {
		t.Errorf("document holds a raw TAB or newline: %q", doc)
	}
	// No HTML escaping: Mastodon reads content as it is, and \u003c helps no one.
	if bytes.Contains(doc, []byte(`\u003c`)) || bytes.Contains(doc, []byte(`\u0026`)) {
		t.Errorf("content is HTML-escaped: %s", doc)
	}
}

func TestNoteDocumentSummaryAndOpenEnd(t *testing.T) {
	u := testURLs(t)
	n := noteFields()
	n.Summary = `CW: "C:\temp" <x>`
	n.Since, n.Until = time.Time{}, time.Time{}
	doc, err := u.NoteDocument(n)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, doc)
	if m["summary"] != n.Summary {
		t.Errorf("summary = %#v, want %q", m["summary"], n.Summary)
	}
	if m["sensitive"] != true {
		t.Errorf("sensitive = %#v, want true", m["sensitive"])
	}
	for _, k := range []string{"effectiveAt", "effectiveEnd"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s written for a zero time: %#v", k, m[k])
		}
	}
}

func TestNoteDocumentNotPublic(t *testing.T) {
	u := testURLs(t)
	n := noteFields()
	n.Public = false
	n.To = []string{"https://stewards.example/users/alice", "https://other.example/users/bob"}
	doc, err := u.NoteDocument(n)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, doc)
	if got := strs(m["to"]); !reflect.DeepEqual(got, n.To) {
		t.Errorf("to = %#v, want %#v", m["to"], n.To)
	}
	if cc, ok := m["cc"].([]any); !ok || len(cc) != 0 {
		t.Errorf("cc = %#v, want []", m["cc"])
	}
	for _, public := range []string{Public, "as:Public", "Public", "/followers"} {
		if bytes.Contains(doc, []byte(public)) {
			t.Errorf("a non-public note mentions %q: %s", public, doc)
		}
	}
}

func TestNoteDocumentRoundTripsThroughParseNote(t *testing.T) {
	u := testURLs(t)
	n := noteFields()
	doc, err := u.NoteDocument(n)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseNote(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := NoteView{
		ID:          base + "/notices/42",
		ContentHTML: tricky,
		Kind:        "hiatus",
		Published:   time.Date(2024, 6, 1, 10, 20, 30, 0, time.UTC),
		Since:       time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		Until:       time.Date(2024, 6, 30, 22, 0, 0, 0, time.UTC),
	}
	if v.ID != want.ID || v.ContentHTML != want.ContentHTML || v.Kind != want.Kind ||
		!v.Published.Equal(want.Published) || !v.Since.Equal(want.Since) || !v.Until.Equal(want.Until) || len(v.Proofs) != 0 {
		t.Errorf("ParseNote = %+v\nwant %+v", v, want)
	}

	// Signed: the proof shows up.
	_, priv, _ := ed25519.GenerateKey(nil)
	signed, err := proof.Sign(doc, priv, u.ProofKey("xz"), time.Date(2024, 6, 1, 10, 20, 30, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	v, err = ParseNote(signed)
	if err != nil {
		t.Fatal(err)
	}
	if v.ContentHTML != tricky {
		t.Errorf("signed content = %q", v.ContentHTML)
	}
	wantProofs := []ProofView{{VerificationMethod: base + "/users/xz#ed25519-key", Created: "2024-06-01T10:20:30Z"}}
	if !reflect.DeepEqual(v.Proofs, wantProofs) {
		t.Errorf("proofs = %+v, want %+v", v.Proofs, wantProofs)
	}
	// Two proofs (a proof set).
	_, priv2, _ := ed25519.GenerateKey(nil)
	twice, err := proof.Sign(signed, priv2, "https://other.example/users/s#k", time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	v, err = ParseNote(twice)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Proofs) != 2 || v.Proofs[1].VerificationMethod != "https://other.example/users/s#k" {
		t.Errorf("proof set = %+v", v.Proofs)
	}
}

func TestParseNote(t *testing.T) {
	if _, err := ParseNote([]byte(`not json`)); err == nil {
		t.Error("ParseNote(not json) = nil error")
	}
	v, err := ParseNote([]byte(`{"id":"x","published":"yesterday","effectiveAt":"2024-01-01"}`))
	if err != nil {
		t.Fatal(err)
	}
	if v.ID != "x" || !v.Published.IsZero() || !v.Since.IsZero() {
		t.Errorf("ParseNote = %+v, want zero times for unparsable dates", v)
	}
}

func signedNote(t *testing.T, u URLs, n NoteFields) ([]byte, ed25519.PublicKey) {
	t.Helper()
	doc, err := u.NoteDocument(n)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	signed, err := proof.Sign(doc, priv, u.ProofKey(n.Actor), n.Published)
	if err != nil {
		t.Fatal(err)
	}
	return signed, pub
}

func TestCreateDocument(t *testing.T) {
	u := testURLs(t)
	note, pub := signedNote(t, u, noteFields())
	published := time.Date(2024, 6, 1, 10, 20, 30, 999, time.UTC)
	doc, err := u.CreateDocument(42, "xz", true, nil, note, published)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, doc)
	for k, want := range map[string]string{
		"type":      "Create",
		"id":        base + "/notices/42/activity",
		"actor":     base + "/users/xz",
		"published": "2024-06-01T10:20:30Z",
	} {
		if got, _ := m[k].(string); got != want {
			t.Errorf("%s = %#v, want %q", k, m[k], want)
		}
	}
	if got := strs(m["to"]); !reflect.DeepEqual(got, []string{"https://www.w3.org/ns/activitystreams#Public"}) {
		t.Errorf("to = %#v", m["to"])
	}
	if got := strs(m["cc"]); !reflect.DeepEqual(got, []string{base + "/users/xz/followers"}) {
		t.Errorf("cc = %#v", m["cc"])
	}
	if got := rawField(t, doc, "object"); !bytes.Equal(got, note) {
		t.Errorf("object is not the signed note byte for byte:\n got %s\nwant %s", got, note)
	}
	obj, _ := m["object"].(map[string]any)
	if obj["content"] != tricky {
		t.Errorf("object.content = %q, want %q", obj["content"], tricky)
	}
	// The embedded note still verifies.
	proofs, err := proof.Verify(rawField(t, doc, "object"), func(vm string) (ed25519.PublicKey, error) {
		if vm != u.ProofKey("xz") {
			t.Errorf("verificationMethod = %q", vm)
		}
		return pub, nil
	})
	if err != nil || len(proofs) != 1 {
		t.Errorf("embedded note: %d proofs, %v", len(proofs), err)
	}
}

func TestCreateDocumentNotPublic(t *testing.T) {
	u := testURLs(t)
	to := []string{"https://stewards.example/users/alice"}
	n := noteFields()
	n.Public, n.To = false, to
	note, _ := signedNote(t, u, n)
	doc, err := u.CreateDocument(42, "xz", false, to, note, n.Published)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, doc)
	if got := strs(m["to"]); !reflect.DeepEqual(got, to) {
		t.Errorf("to = %#v, want %#v", m["to"], to)
	}
	if cc, ok := m["cc"].([]any); !ok || len(cc) != 0 {
		t.Errorf("cc = %#v, want []", m["cc"])
	}
	if bytes.Contains(doc, []byte(Public)) {
		t.Errorf("a non-public Create mentions Public: %s", doc)
	}
}

func TestCreateDocumentRejectsInvalidNote(t *testing.T) {
	u := testURLs(t)
	for _, note := range [][]byte{nil, []byte(`{`), []byte(`{"content":"C:\temp"`), []byte("{\"a\":\"\t\"}")} {
		if _, err := u.CreateDocument(1, "xz", true, nil, note, time.Now()); err == nil {
			t.Errorf("CreateDocument(%q) = nil error", note)
		}
	}
}

func TestAcceptDocument(t *testing.T) {
	u := testURLs(t)
	follow := json.RawMessage(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.example/users/alice#follows/1/<&>\\x","type":"Follow","actor":"https://mastodon.example/users/alice","object":"https://notices.example.org/users/xz","zzz":"\u00e9\t"}`)
	doc, err := u.AcceptDocument("xz", base+"/users/xz#accepts/1", follow, "https://mastodon.example/users/alice")
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, doc)
	for k, want := range map[string]string{
		"type":     "Accept",
		"id":       base + "/users/xz#accepts/1",
		"actor":    base + "/users/xz",
		"@context": ActivityStreamsContext,
	} {
		if got, _ := m[k].(string); got != want {
			t.Errorf("%s = %#v, want %q", k, m[k], want)
		}
	}
	if got := strs(m["to"]); !reflect.DeepEqual(got, []string{"https://mastodon.example/users/alice"}) {
		t.Errorf("to = %#v", m["to"])
	}
	// The Follow comes back trimmed to what Mastodon matches it on: a sender cannot make the instance
	// store and send out a large document of its own choosing.
	var got map[string]string
	if err := json.Unmarshal(rawField(t, doc, "object"), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"id": "https://mastodon.example/users/alice#follows/1/<&>\\x", "type": "Follow",
		"actor": "https://mastodon.example/users/alice", "object": "https://notices.example.org/users/xz"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("object is not the trimmed Follow:\n got %v\nwant %v", got, want)
	}
}

func TestOrderedCollection(t *testing.T) {
	tests := []struct {
		id    string
		total int
		first string
		want  map[string]any
	}{
		{base + "/users/xz/followers", 0, "", map[string]any{
			"@context": ActivityStreamsContext, "type": "OrderedCollection", "id": base + "/users/xz/followers", "totalItems": 0.0,
		}},
		{base + "/users/xz/followers", 7, "", map[string]any{
			"@context": ActivityStreamsContext, "type": "OrderedCollection", "id": base + "/users/xz/followers", "totalItems": 7.0,
		}},
		{base + "/users/xz/outbox", 3, base + "/users/xz/outbox?page=true", map[string]any{
			"@context": ActivityStreamsContext, "type": "OrderedCollection", "id": base + "/users/xz/outbox", "totalItems": 3.0,
			"first": base + "/users/xz/outbox?page=true",
		}},
	}
	for _, tt := range tests {
		doc, err := OrderedCollection(tt.id, tt.total, tt.first)
		if err != nil {
			t.Fatal(err)
		}
		if got := decode(t, doc); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("OrderedCollection(%q, %d, %q):\n got %v\nwant %v", tt.id, tt.total, tt.first, got, tt.want)
		}
	}
}

func TestOrderedCollectionPage(t *testing.T) {
	outbox := base + "/users/xz/outbox"
	items := []json.RawMessage{json.RawMessage(`{"id":"a","content":"C:\\temp <b>"}`), json.RawMessage(`{"id":"b"}`)}
	doc, err := OrderedCollectionPage(outbox+"?page=true", outbox, outbox+"?page=true&before=5", items)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, doc)
	for k, want := range map[string]string{
		"@context": ActivityStreamsContext,
		"type":     "OrderedCollectionPage",
		"id":       outbox + "?page=true",
		"partOf":   outbox,
		"next":     outbox + "?page=true&before=5",
	} {
		if got, _ := m[k].(string); got != want {
			t.Errorf("%s = %#v, want %q", k, m[k], want)
		}
	}
	if got, want := string(rawField(t, doc, "orderedItems")), `[{"id":"a","content":"C:\\temp <b>"},{"id":"b"}]`; got != want {
		t.Errorf("orderedItems = %s, want %s", got, want)
	}

	last, err := OrderedCollectionPage(outbox+"?page=true&before=5", outbox, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	m = decode(t, last)
	if _, ok := m["next"]; ok {
		t.Errorf("last page has next: %#v", m["next"])
	}
	if got, ok := m["orderedItems"].([]any); !ok || len(got) != 0 {
		t.Errorf("orderedItems of an empty page = %#v, want []", m["orderedItems"])
	}
}

func TestOrderedCollectionPageClaimsNoItems(t *testing.T) {
	outbox := base + "/users/xz/outbox"
	doc, err := OrderedCollectionPage(outbox+"?page=true", outbox, "", []json.RawMessage{json.RawMessage(`{"id":"a"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := decode(t, doc)["totalItems"]; ok && n == 0.0 {
		t.Errorf("a page with one item says totalItems 0: %s", doc)
	}
}

func TestDocumentsHaveNoTrailingNewline(t *testing.T) {
	u := testURLs(t)
	doc, err := u.NoteDocument(noteFields())
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(string(doc), "\n") {
		t.Error("NoteDocument ends with a newline")
	}
}
