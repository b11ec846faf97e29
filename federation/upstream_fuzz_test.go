package federation

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	vocab "github.com/go-ap/activitypub"

	"baton/notice"
)

// upstreamSeed is a project actor as Baton writes it, with a genesis, stewards and a revoked key.
func upstreamSeed(f *testing.F) []byte {
	u, err := NewURLs("https://notices.example.org")
	if err != nil {
		f.Fatal(err)
	}
	alice := "https://people.example/users/alice"
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	old := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	doc, err := u.ActorDocument(ActorProfile{
		Name: "xz", Username: "xz", Type: vocab.ServiceType, DisplayName: "XZ Utils", RSAPublicPEM: "PEM",
		ProofKey:    key,
		SigningKeys: []SigningKey{{Key: old, Revoked: time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)}},
		Genesis: &notice.Genesis{Project: "xz", Maintainers: []string{alice}, Since: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC),
			Keys: []notice.SigningKey{{Fingerprint: "0123456789ABCDEF0123456789ABCDEF01234567", Type: notice.OpenPGP, Holder: alice}}},
		Stewards: []StewardRef{{ID: "https://people.example/users/steward", Since: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)}},
	})
	if err != nil {
		f.Fatal(err)
	}
	return doc
}

func FuzzParseUpstreamActor(f *testing.F) {
	f.Add(upstreamSeed(f))
	f.Add([]byte(`{"id":"https://a.example/users/p","type":"Service","preferredUsername":"p","inbox":"https://a.example/users/p/inbox","outbox":"https://a.example/users/p/outbox","assertionMethod":{"id":"https://a.example/users/p#k","type":"Multikey","controller":"https://a.example/users/p","publicKeyMultibase":"z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX","revoked":"2024-01-01T00:00:00Z"},"genesis":{"since":"2024-01-01T00:00:00Z","maintainers":[]},"stewards":[]}`))
	f.Add([]byte(`{"id":"https://a.example/u","type":"Person","inbox":"https://a.example/i","genesis":{"maintainers":[7]},"assertionMethod":["x",{"type":"Multikey"}],"stewards":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := ParseUpstreamActor(body)
		if err != nil {
			return
		}
		if !isHTTPURL(u.ID) || !isHTTPURL(u.Inbox) || !isHTTPURL(u.Outbox) || !sameOrigin(u.Outbox, u.ID) {
			t.Fatalf("accepted an actor without http(s) id, inbox or outbox on its origin: %+v", u)
		}
		if len(u.Keys) == 0 {
			t.Fatalf("accepted an actor without a key: %+v", u)
		}
		for _, k := range u.Keys {
			if k.Controller != u.ID || stripFragment(k.ID) != u.ID || len(k.Key) != ed25519.PublicKeySize {
				t.Fatalf("accepted a key that is not the actor's own Ed25519 key: %+v of %s", k, u.ID)
			}
		}
		if u.Genesis.Project != u.Username {
			t.Fatalf("genesis of project %q on actor %q", u.Genesis.Project, u.Username)
		}
		if len(u.Genesis.Maintainers) > 0 {
			if err := u.Genesis.Validate(); err != nil {
				t.Fatalf("accepted an invalid genesis: %v", err)
			}
		}
	})
}

// FuzzParseAssertionKeys checks the keys read from any assertionMethod: every one the actor's own, and
// none read as in use when its document gives a revocation date.
func FuzzParseAssertionKeys(f *testing.F) {
	const actor = "https://a.example/users/p"
	f.Add([]byte(`[{"id":"https://a.example/users/p#k","type":"Multikey","controller":"https://a.example/users/p","publicKeyMultibase":"z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX","revoked":"2024-01-01T00:00:00Z"}]`))
	f.Add([]byte(`{"id":"https://a.example/users/p#k","type":"Multikey","controller":"https://a.example/users/p","publicKeyMultibase":"z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, k := range parseAssertionKeys(actor, raw) {
			if k.Controller != actor || stripFragment(k.ID) != actor || len(k.Key) != ed25519.PublicKeySize {
				t.Fatalf("read a key that is not the actor's: %+v", k)
			}
		}
	})
}

func FuzzParseCollectionPage(f *testing.F) {
	const outbox = "https://a.example/users/p/outbox"
	head, err := OrderedCollection(outbox, 2, outbox+"?page=true")
	if err != nil {
		f.Fatal(err)
	}
	page, err := OrderedCollectionPage(outbox+"?page=true", outbox, outbox+"?page=true&max_id=1",
		[]json.RawMessage{json.RawMessage(`{"id":"https://a.example/notices/1/activity","type":"Create","object":{"id":"https://a.example/notices/1","type":"Note"}}`)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(head)
	f.Add(page)
	f.Add([]byte(`{"type":["CollectionPage"],"items":["x",7,null],"first":{"id":"f"},"next":{"type":"Link"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParseCollectionPage(body)
		if err != nil {
			return
		}
		for _, item := range p.Items {
			if !json.Valid(item) {
				t.Fatalf("item %q is not JSON", item)
			}
		}
	})
}
