package ledger

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
	"baton/store/sqlite"
)

// newLedger is a ledger over a real SQLite store, with a steward and a person who is none.
func newLedger(t *testing.T) (*Ledger, map[string]ed25519.PrivateKey, federation.URLs) {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	urls, _ := federation.NewURLs("https://notices.example.org")
	ctx, now := context.Background(), time.Now()
	keys := map[string]ed25519.PrivateKey{}
	for _, name := range []string{"sarah", "bob"} {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		fp, _ := proof.Fingerprint(pub)
		if err := st.CreateActor(ctx, store.Actor{Name: name, Kind: store.KindPerson, RSAKeyPEM: "unused", Created: now}); err != nil {
			t.Fatal(err)
		}
		if err := st.AddKey(ctx, store.PersonKey{Person: name, Fingerprint: fp, PublicKey: pub, Added: now}); err != nil {
			t.Fatal(err)
		}
		keys[name] = priv
	}
	if err := st.AddRole(ctx, store.Role{Person: "sarah", Since: now}); err != nil {
		t.Fatal(err)
	}
	return New(st, urls, notice.Policy{}, time.Now), keys, urls
}

// query is a steward query with id, signed by name's key for purpose.
func query(t *testing.T, urls federation.URLs, keys map[string]ed25519.PrivateKey, name, id, purpose string) []byte {
	t.Helper()
	key := keys[name]
	vm := urls.Actor(name) + "#" + proof.EncodeMultikey(key.Public().(ed25519.PublicKey))
	doc, err := proof.Sign([]byte(`{"type":"`+StewardQueryType+`","id":"`+id+`"}`), key, vm, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.Replace(string(doc), `"proofPurpose":"assertionMethod"`, `"proofPurpose":"`+purpose+`"`, 1))
}

func wantStatus(t *testing.T, what string, err error, status int) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Status != status {
		t.Errorf("%s: %v, want a refusal with status %d", what, err, status)
	}
}

// A steward's signed query opens what is meant for stewards once: not twice, not for someone who is no
// steward, not with a proof made for another purpose.
func TestStewardQuery(t *testing.T) {
	l, keys, urls := newLedger(t)
	ctx := context.Background()
	q := query(t, urls, keys, "sarah", "urn:uuid:11111111-1111-4111-8111-111111111111", "assertionMethod")
	if who, err := l.Steward(ctx, q); err != nil || who != urls.Actor("sarah") {
		t.Fatalf("a steward's query: %q, %v", who, err)
	}
	_, err := l.Steward(ctx, q)
	wantStatus(t, "the same query again", err, 401)
	_, err = l.Steward(ctx, query(t, urls, keys, "bob", "urn:uuid:22222222-2222-4222-8222-222222222222", "assertionMethod"))
	wantStatus(t, "a query by someone who is no steward", err, 403)
	for _, purpose := range []string{"authentication", "capabilityDelegation"} {
		_, err = l.Steward(ctx, query(t, urls, keys, "sarah", "urn:uuid:33333333-3333-4333-8333-333333333333", purpose))
		wantStatus(t, "a query proved for "+purpose, err, 401)
	}
}

// Sent many times at once, one query is answered once.
func TestStewardQueryOnceUnderRace(t *testing.T) {
	l, keys, urls := newLedger(t)
	q := query(t, urls, keys, "sarah", "urn:uuid:44444444-4444-4444-8444-444444444444", "assertionMethod")
	var answered atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := l.Steward(context.Background(), q); err == nil {
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	if n := answered.Load(); n != 1 {
		t.Errorf("the query was answered %d times, want once", n)
	}
}

// A notice admitted before the record start was kept, and dated before the project was added, stays
// part of the record: the record reaches back to it rather than dropping it.
func TestHistoryKeepsNoticesFromBeforeTheRecordStart(t *testing.T) {
	l, keys, urls := newLedger(t)
	ctx := context.Background()
	created := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	st := l.store
	if err := st.CreateActor(ctx, store.Actor{Name: "xz", Kind: store.KindProject, RSAKeyPEM: "unused", Ed25519Seed: make([]byte, 32), Created: created}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddRole(ctx, store.Role{Person: "bob", Project: "xz", Since: created}); err != nil {
		t.Fatal(err)
	}
	hiatus := notice.Notice{Kind: notice.Hiatus, Author: urls.Actor("bob"), Text: "Away since spring.", Since: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
	doc, err := federation.StatementDocument("urn:uuid:55555555-5555-4555-8555-555555555555", urls.Actor("xz"), hiatus)
	if err != nil {
		t.Fatal(err)
	}
	key := keys["bob"]
	doc, err = proof.Sign(doc, key, urls.Actor("bob")+"#"+proof.EncodeMultikey(key.Public().(ed25519.PublicKey)), created)
	if err != nil {
		t.Fatal(err)
	}
	note, _ := urls.NoteDocument(federation.NoteFields{ID: 1, Actor: "xz", Published: created, Public: true, Kind: "hiatus", Statement: doc})
	if _, err := st.PublishNotice(ctx, store.Notice{ID: 1, Actor: "xz", Kind: "hiatus", Public: true, Document: note, Published: created}, store.Activity{ID: "a1", Signer: "xz", Body: []byte("{}")}, store.AnyRevision); err != nil {
		t.Fatal(err)
	}
	h, err := l.History(ctx, "xz")
	if err != nil {
		t.Fatal(err)
	}
	if !h.Genesis.Since.Equal(hiatus.Since) {
		t.Errorf("the record starts %s, want the hiatus's date %s", h.Genesis.Since, hiatus.Since)
	}
	state := h.Fold(l.Policy(), created.Add(time.Hour))
	if len(state.Rejected) != 0 || len(state.Hiatus) != 1 {
		t.Errorf("the old hiatus: rejected %+v, hiatus %+v", state.Rejected, state.Hiatus)
	}
}
