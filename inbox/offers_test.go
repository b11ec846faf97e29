package inbox_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/internal/hostile"
	"baton/notice"
	"baton/store"
)

// offerer is a person on a hostile peer whose actor publishes an Ed25519 key.
type offerer struct {
	actor *hostile.Actor
	key   ed25519.PrivateKey
	vm    string
}

func newOfferer(t *testing.T, peer *hostile.Peer, name, typ string) offerer {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := peer.Actor(name)
	o := offerer{actor: a, key: key, vm: a.ID + "#" + proof.EncodeMultikey(pub)}
	peer.EditActor(name, func(doc map[string]any) {
		doc["type"] = typ
		doc["assertionMethod"] = []map[string]string{{"id": o.vm, "type": "Multikey", "controller": a.ID, "publicKeyMultibase": proof.EncodeMultikey(pub)}}
	})
	return o
}

// offer is an Offer by o answering call, signed at signed.
func (o offerer) offer(t *testing.T, call string, signed time.Time) []byte {
	t.Helper()
	st := federation.OfferStatement{ID: "urn:uuid:" + randomUUID(), Call: call, Project: base + "/users/xz", Author: o.actor.ID, Text: "I can help."}
	doc, err := federation.OfferStatementDocument(st)
	if err != nil {
		t.Fatal(err)
	}
	doc, err = proof.Sign(doc, o.key, o.vm, signed)
	if err != nil {
		t.Fatal(err)
	}
	activity, err := federation.OfferDocument(st, doc)
	if err != nil {
		t.Fatal(err)
	}
	return activity
}

func randomUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out)
}

// storeCall stores a call for stewards of xz, open until until, revoked when revokedBy is set, public
// unless it is addressed to someone (to), and returns its URL.
func (e *env) storeCall(id int64, until time.Time, revokedBy string, to ...string) string {
	e.t.Helper()
	n := notice.Notice{Kind: notice.CallForStewards, Author: base + "/users/lasse", Text: "Help.", Role: "co-maintainer", Public: len(to) == 0,
		Scope: []notice.Right{notice.RightCommit}, Term: notice.Term{Months: 6}, Until: until}
	st, err := federation.StatementDocument("urn:uuid:"+randomUUID(), base+"/users/xz", n)
	if err != nil {
		e.t.Fatal(err)
	}
	note := map[string]any{"id": e.urls.Notice(id), "type": "Note", "attributedTo": base + "/users/xz", "noticeKind": string(n.Kind),
		"statement": json.RawMessage(st)}
	if revokedBy != "" {
		note["revokedBy"] = revokedBy
	}
	if len(to) > 0 {
		note["to"] = to
	}
	doc, _ := json.Marshal(note)
	_, err = e.store.Store.PublishNotice(context.Background(), store.Notice{ID: id, Actor: "xz", Kind: string(n.Kind), Public: n.Public,
		Document: doc, Published: e.now()}, store.Activity{ID: e.urls.NoticeActivity(id), Signer: "xz", Body: []byte("{}")}, store.AnyRevision)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.urls.Notice(id)
}

func (e *env) answers() []store.Offer {
	e.t.Helper()
	got, err := e.store.Store.Offers(context.Background(), "xz")
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func TestOffers(t *testing.T) {
	e := newEnv(t, envOptions{})
	peer := hostile.New(t)
	ann, bot := newOfferer(t, peer, "ann", "Person"), newOfferer(t, peer, "bot", "Service")
	open := e.storeCall(1, e.now().Add(30*24*time.Hour), "")
	closed := e.storeCall(2, e.now().Add(-time.Hour), "")
	revoked := e.storeCall(3, time.Time{}, base+"/notices/9")

	want(t, "an offer", e.post(ann.actor, "/users/xz/inbox", ann.offer(t, open, e.now())), http.StatusAccepted)
	for _, tt := range []struct {
		name   string
		from   offerer
		call   string
		signed time.Time
		says   string
	}{
		{"to a closed call", ann, closed, e.now(), "the call closed on"},
		{"to a revoked call", ann, revoked, e.now(), "was revoked by " + base + "/notices/9"},
		{"to a call that does not exist", ann, base + "/notices/77", e.now(), "there is no notice"},
		{"from a Service", bot, open, e.now(), "only a Person may offer"},
		{"signed a week ago", ann, open, e.now().Add(-7 * 24 * time.Hour), "too far from now"},
	} {
		want(t, "an offer "+tt.name, e.post(tt.from.actor, "/users/xz/inbox", tt.from.offer(t, tt.call, tt.signed)), http.StatusUnprocessableEntity, tt.says)
	}
	if got := e.answers(); len(got) != 1 || got[0].Person != ann.actor.ID || !got[0].Signed || got[0].Call != 1 {
		t.Fatalf("answers kept: %+v", got)
	}

	// A newer offer replaces the older; once one is accepted, it stands.
	want(t, "a newer offer", e.post(ann.actor, "/users/xz/inbox", ann.offer(t, open, e.now())), http.StatusAccepted)
	got := e.answers()
	if len(got) != 1 {
		t.Fatalf("two offers of one person kept: %+v", got)
	}
	if _, err := e.store.Store.AcceptOffer(context.Background(), got[0].ID, "admin", e.now()); err != nil {
		t.Fatal(err)
	}
	want(t, "an offer after one was accepted", e.post(ann.actor, "/users/xz/inbox", ann.offer(t, open, e.now())), http.StatusConflict, "accepted already")

	// Replies: to an open call, interest; to a closed one, or to no call, a reply like any other.
	reply := func(to string) []byte {
		return hostile.Body(ann.actor.Activity("Create", ann.actor.NewID("create"), map[string]any{
			"id": ann.actor.NewID("statuses"), "type": "Note", "attributedTo": ann.actor.ID, "inReplyTo": to, "content": "<p>Count me in &amp; more</p>"}))
	}
	want(t, "a reply to an open call", e.post(ann.actor, "/inbox", reply(open)), http.StatusAccepted)
	want(t, "a reply to a closed call", e.post(ann.actor, "/inbox", reply(closed)), http.StatusAccepted)
	want(t, "a reply to another server's post", e.post(ann.actor, "/inbox", reply("https://elsewhere.example/notes/1")), http.StatusAccepted)
	var interest []store.Offer
	for _, o := range e.answers() {
		if !o.Signed {
			interest = append(interest, o)
		}
	}
	if len(interest) != 1 || interest[0].Call != 1 || interest[0].Text != "Count me in & more" {
		t.Fatalf("interest kept: %+v", interest)
	}
}
