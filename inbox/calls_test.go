package inbox_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/internal/hostile"
	"baton/notice"
	"baton/store"
)

// callingProject is a Baton project on another instance, whose actor lists the key its Notes are
// signed with.
type callingProject struct {
	actor *hostile.Actor
	key   ed25519.PrivateKey
	vm    string
}

func newCallingProject(t *testing.T, peer *hostile.Peer, name string, baton bool) callingProject {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := peer.Actor(name)
	p := callingProject{actor: a, key: key, vm: a.ID + "#ed25519-key"}
	peer.EditActor(name, func(doc map[string]any) {
		doc["type"] = "Service"
		doc["outbox"] = a.ID + "/outbox"
		doc["assertionMethod"] = []map[string]string{{"id": p.vm, "type": "Multikey", "controller": a.ID, "publicKeyMultibase": proof.EncodeMultikey(pub)}}
		if baton {
			doc["genesis"] = map[string]any{"since": "2020-01-01T00:00:00Z", "maintainers": []string{}}
		}
	})
	return p
}

// call is a Create of a signed call for stewards by the project, addressed to to, signed with key.
func (p callingProject) call(t *testing.T, id string, to []string, key ed25519.PrivateKey, until time.Time) []byte {
	t.Helper()
	n := notice.Notice{Kind: notice.CallForStewards, Author: p.actor.ID, Text: "Help us.", Role: "co-maintainer",
		Scope: []notice.Right{notice.RightCommit}, Term: notice.Term{Months: 6}, Until: until}
	st, err := federation.StatementDocument("urn:uuid:"+randomUUID(), p.actor.ID, n)
	if err != nil {
		t.Fatal(err)
	}
	note, _ := json.Marshal(map[string]any{"id": id, "type": "Note", "attributedTo": p.actor.ID, "noticeKind": string(n.Kind),
		"to": to, "cc": []string{}, "published": time.Now().UTC().Format(time.RFC3339), "statement": json.RawMessage(st)})
	signed, err := proof.Sign(note, key, p.vm, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return hostile.Body(p.actor.Activity("Create", p.actor.NewID("create"), json.RawMessage(signed)))
}

func (e *env) receivedCalls() []store.ReceivedCall {
	e.t.Helper()
	got, err := store.ReceivedCalls(context.Background(), e.store.Store)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// A call another instance addresses to this instance's stewards is kept once the project's proof
// verifies against its actor; anything else is refused or left alone, and nothing of it kept.
func TestCallsFromOtherInstances(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	for _, name := range []string{"s1", "ann"} {
		if err := e.store.Store.CreateActor(ctx, store.Actor{Name: name, Kind: store.KindPerson, Created: e.now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.store.Store.AddRole(ctx, store.Role{Person: "s1", Since: e.now()}); err != nil {
		t.Fatal(err)
	}
	s1, ann := base+"/users/s1", base+"/users/ann"
	peer := hostile.New(t)
	proj, impostor := newCallingProject(t, peer, "proj", true), newCallingProject(t, peer, "mastodon-account", false)
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	open := e.now().Add(30 * 24 * time.Hour)

	for _, tt := range []struct {
		name   string
		from   callingProject
		body   []byte
		status int
		says   string
	}{
		{"signed by a key its project does not list", proj, proj.call(t, proj.actor.NewID("notices"), []string{s1}, stranger, open), 422, "the call's proof"},
		{"by an account that is no Baton project", impostor, impostor.call(t, impostor.actor.NewID("notices"), []string{s1}, impostor.key, open), 422, "is no Baton project"},
		{"addressed to someone who is no steward", proj, proj.call(t, proj.actor.NewID("notices"), []string{ann}, proj.key, open), 202, ""},
		{"addressed to the public", proj, proj.call(t, proj.actor.NewID("notices"), []string{federation.Public, s1}, proj.key, open), 202, ""},
	} {
		if tt.says != "" {
			want(t, "a call "+tt.name, e.post(tt.from.actor, "/users/s1/inbox", tt.body), tt.status, tt.says)
		} else {
			want(t, "a call "+tt.name, e.post(tt.from.actor, "/users/s1/inbox", tt.body), tt.status)
		}
	}
	if got := e.receivedCalls(); len(got) != 0 {
		t.Fatalf("calls kept after refusals: %+v", got)
	}

	id := proj.actor.NewID("notices")
	want(t, "a call addressed to a steward", e.post(proj.actor, "/users/s1/inbox", proj.call(t, id, []string{s1, "https://other.example/users/s9"}, proj.key, open)), http.StatusAccepted)
	got := e.receivedCalls()
	if len(got) != 1 || got[0].ID != id || got[0].Project != proj.actor.ID || got[0].Host != hostOfURL(proj.actor.ID) {
		t.Fatalf("calls kept: %+v", got)
	}

	// Another project of the same instance cannot take the call's id: its own proof checks out, the
	// call stays proj's.
	other := newCallingProject(t, peer, "other", true)
	want(t, "another project's call under proj's call's id", e.post(other.actor, "/users/s1/inbox", other.call(t, id, []string{s1}, other.key, open)),
		http.StatusUnprocessableEntity, "is "+proj.actor.ID+"'s")
	if got := e.receivedCalls(); len(got) != 1 || got[0].Project != proj.actor.ID {
		t.Fatalf("after another project sent a call under its id, calls kept: %+v", got)
	}
}

func hostOfURL(id string) string {
	u, _ := url.Parse(id)
	return u.Host
}

// A call that is not public takes offers only from the stewards on other instances it names, still
// stewards as their own actors say.
func TestOffersToACallForStewardsAlone(t *testing.T) {
	e := newEnv(t, envOptions{})
	peer := hostile.New(t)
	steward, former, bystander := newOfferer(t, peer, "steward", "Person"), newOfferer(t, peer, "former", "Person"), newOfferer(t, peer, "bystander", "Person")
	peer.EditActor("steward", func(doc map[string]any) {
		doc["type"] = "Person"
		doc["assertionMethod"] = []map[string]string{{"id": steward.vm, "type": "Multikey", "controller": steward.actor.ID,
			"publicKeyMultibase": steward.vm[len(steward.actor.ID)+1:]}}
		doc["stewardSince"] = "2024-01-01T00:00:00Z"
	})
	call := e.storeCall(1, e.now().Add(30*24*time.Hour), "", base+"/users/s1", steward.actor.ID, former.actor.ID)

	want(t, "an offer by someone the call is not addressed to", e.post(bystander.actor, "/users/xz/inbox", bystander.offer(t, call, e.now())),
		http.StatusUnprocessableEntity, "is not one it is addressed to")
	want(t, "an offer by an addressee who is no longer a steward", e.post(former.actor, "/users/xz/inbox", former.offer(t, call, e.now())),
		http.StatusUnprocessableEntity, "no longer a steward")
	if got := e.answers(); len(got) != 0 {
		t.Fatalf("refused offers kept: %+v", got)
	}
	want(t, "an offer by an addressed steward", e.post(steward.actor, "/users/xz/inbox", steward.offer(t, call, e.now())), http.StatusAccepted)
	if got := e.answers(); len(got) != 1 || got[0].Person != steward.actor.ID {
		t.Fatalf("answers kept: %+v", got)
	}
}
