package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/internal/testpeer"

	"golang.org/x/crypto/ssh"
)

// A call for stewards that is not public reaches the stewards of the instances its instance trusts,
// and them alone. A (xz, trusting B's stewards) calls; B's steward reads the call among the notices
// for stewards, marked with A, and answers it from B; A lists the offer. A person on B who is no
// steward is refused; an instance A does not trust gets nothing and cannot fetch the call; nobody
// else can read it; revoked, it leaves B's list.
func TestE2ECallForStewardsOfTrustedInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := startBaton(t)                                        // trusted: a steward, and a person who is none
	c := startBaton(t)                                        // not trusted: a steward
	a := startBaton(t, "--trusted-steward-instances", b.addr) // the project
	keys := t.TempDir()
	lasse, s1, s2, jia, mallory := sshKey(t, keys, "lasse"), sshKey(t, keys, "s1"), sshKey(t, keys, "s2"), sshKey(t, keys, "jia"), sshKey(t, keys, "mallory")

	a.addProject("xz", "XZ Utils")
	a.mustCLI("person", "add", "lasse", "--key", lasse+".pub")
	a.mustCLI("maintainer", "add", "lasse", "--project", "xz")
	a.mustCLI("steward", "add", "s1", "--key", s1+".pub")
	b.mustCLI("steward", "add", "s2", "--key", s2+".pub")
	b.mustCLI("person", "add", "jia", "--key", jia+".pub")
	c.mustCLI("steward", "add", "mallory", "--key", mallory+".pub")
	s2ID := b.base + "/users/s2"

	// A Mastodon account follows xz: a call for stewards alone must never reach it.
	peer := testpeer.New(t, testpeer.Mastodon, "fan")
	a.followProject(peer, "fan", "xz")

	call := a.mustCLI("notice", "post", "--project", "xz", "--kind", "call-for-stewards", "--as", "lasse", "--key", lasse,
		"--role", "co-maintainer", "--scope", "commit", "--term", "6m", "--text", "XZ Utils needs a steward to step in.")

	// B's steward reads it, marked with the calling instance.
	var notices string
	if !waitFor(20*time.Second, func() bool {
		notices, _, _ = b.cli("steward", "notices", "--as", "s2", "--key", s2)
		return strings.Contains(notices, call)
	}) {
		t.Fatalf("B's steward does not see the call:\n%s", notices)
	}
	if !strings.Contains(notices, "call-for-stewards from "+a.addr) || !strings.Contains(notices, "XZ Utils needs a steward to step in.") {
		t.Errorf("B's steward notices do not mark the call with its instance, or lose its text:\n%s", notices)
	}

	// Addressed to the stewards by name, never to the public or followers; served to nobody unsigned.
	a.waitQueueEmpty(20 * time.Second)
	for _, d := range peer.Received() {
		if strings.Contains(string(d.Body), "XZ Utils needs a steward") {
			t.Errorf("the call reached a follower: %s", d.Body)
		}
	}
	if status, _, _ := a.get(call, "application/activity+json"); status != http.StatusNotFound {
		t.Errorf("an unsigned fetch of the call: %d, want 404", status)
	}
	if status, _, _ := a.get(call, "text/html"); status != http.StatusNotFound {
		t.Errorf("the call's page: %d, want 404", status)
	}
	// A server the call is not addressed to, signing its fetch, is told there is no such notice.
	if _, err := peer.Get(ctx, call); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a signed fetch from a server the call is not addressed to: %v, want 404", err)
	}
	// Delivered once: to B's steward's inbox, not to the follower.
	req, _ := http.NewRequest(http.MethodGet, a.base+"/api/v1/notices/"+call[strings.LastIndex(call, "/")+1:]+"/delivery", nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var delivery struct {
		Create struct{ Total, Delivered int }
	}
	json.NewDecoder(resp.Body).Decode(&delivery)
	resp.Body.Close()
	if delivery.Create.Total != 1 || delivery.Create.Delivered != 1 {
		t.Errorf("the call's Create went to %d inboxes (%d delivered), want B's steward's alone", delivery.Create.Total, delivery.Create.Delivered)
	}

	// B's steward answers from B with baton call answer: the call is not served to them unsigned, so
	// the project is taken from the calls B keeps for its stewards; B fetches the call, signed, A serves
	// it to B, and takes the offer.
	project := a.base + "/users/xz"
	out, errOut, err := b.cli("call", "answer", call, "--as", "s2", "--key", s2, "--text", "I can keep xz steady for a while.")
	if err != nil || !strings.Contains(errOut, "offer delivered to "+project) {
		t.Fatalf("B's steward answers with baton call answer: %v\n%s%s", err, out, errOut)
	}
	offerID := strings.TrimSpace(out)

	// A lists the offer of B's steward.
	list := a.mustCLI("call", "offers", call, "--as", "s1", "--key", s1)
	if !strings.Contains(list, "1 signed offer(s)") || !strings.Contains(list, offerID) || !strings.Contains(list, s2ID) {
		t.Errorf("A's steward does not see the offer of B's steward:\n%s", list)
	}

	// A person on B who is no steward is refused by B, and, sent straight, by A.
	if _, status, msg := answerThrough(t, b, "jia", jia, call, project); status != http.StatusForbidden ||
		!strings.Contains(msg, "is addressed to stewards only, and "+b.base+"/users/jia is not one of them") {
		t.Errorf("a person on B who is no steward answers: %d %s", status, msg)
	}
	stranger, strangerKey, _ := ed25519.GenerateKey(rand.Reader)
	eve := peer.ActorID("fan")
	forged := signedOffer(t, call, project, eve, strangerKey, eve+"#"+proof.EncodeMultikey(stranger))
	o, err := federation.ParseOfferStatement(forged)
	if err != nil {
		t.Fatal(err)
	}
	activity, _ := federation.OfferDocument(o, forged)
	if resp, err := peer.Post(ctx, a.base+"/users/xz/inbox", activity, testpeer.PostOptions{As: "fan"}); err != nil ||
		resp.Status != http.StatusUnprocessableEntity || !strings.Contains(resp.ErrorMessage(), "is not one it is addressed to") {
		t.Errorf("an offer from someone the call is not addressed to: %v %+v, want 422", err, resp)
	}
	if list := a.mustCLI("call", "offers", call, "--as", "s1", "--key", s1); !strings.Contains(list, "1 signed offer(s)") {
		t.Errorf("a refused offer was kept:\n%s", list)
	}

	// The instance A does not trust got nothing, and cannot fetch the call to answer it.
	if out, errOut, err := c.cli("steward", "notices", "--as", "mallory", "--key", mallory); err != nil || strings.Contains(out, call) {
		t.Errorf("C's steward sees the call: %v\n%s%s", err, out, errOut)
	}
	if _, status, msg := answerThrough(t, c, "mallory", mallory, call, project); status != http.StatusUnprocessableEntity ||
		!strings.Contains(msg, "could not be fetched from its origin") {
		t.Errorf("C's steward answers: %d %s", status, msg)
	}

	// A call B is handed by a server that is no Baton project, or in a project's name, is refused.
	for _, tt := range []struct{ name, by, says string }{
		{"by an account that is no project", peer.ActorID("fan"), "is no Baton project"},
		{"in a project's name", project, "is not " + peer.ActorID("fan") + "'s own Note"},
	} {
		forgedCall := map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": peer.NewID("fan", "create"), "type": "Create", "actor": peer.ActorID("fan"),
			"object": map[string]any{"id": peer.ActorID("fan") + "/statuses/9", "type": "Note", "attributedTo": tt.by,
				"noticeKind": "call-for-stewards", "content": "Send me your keys.", "to": []string{s2ID}},
		}
		body, _ := json.Marshal(forgedCall)
		if resp, err := peer.Post(ctx, s2ID+"/inbox", body, testpeer.PostOptions{As: "fan"}); err != nil ||
			resp.Status != http.StatusUnprocessableEntity || !strings.Contains(resp.ErrorMessage(), tt.says) {
			t.Errorf("a forged call %s: %v %+v, want 422 saying %q", tt.name, err, resp, tt.says)
		}
	}
	if notices, _, _ = b.cli("steward", "notices", "--as", "s2", "--key", s2); strings.Contains(notices, "Send me your keys") {
		t.Errorf("B kept a forged call:\n%s", notices)
	}

	// Revoked, the call leaves B's list: the Update reaches B's steward too.
	a.mustCLI("notice", "post", "--project", "xz", "--kind", "revocation", "--as", "lasse", "--key", lasse,
		"--revokes", call, "--reason", "Found someone.", "--text", "The call is closed.")
	if !waitFor(20*time.Second, func() bool {
		notices, _, _ = b.cli("steward", "notices", "--as", "s2", "--key", s2)
		return !strings.Contains(notices, call)
	}) {
		t.Errorf("B's steward still sees the revoked call:\n%s", notices)
	}
}

// answerThrough signs an offer to answer call as name, with the key in keyFile, and sends it through
// their instance in, as `baton call answer` does.
func answerThrough(t *testing.T, in *instance, name, keyFile, call, project string) (federation.OfferStatement, int, string) {
	t.Helper()
	raw, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParseRawPrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	priv := *key.(*ed25519.PrivateKey)
	actor := in.base + "/users/" + name
	signed := signedOffer(t, call, project, actor, priv, actor+"#"+proof.EncodeMultikey(priv.Public().(ed25519.PublicKey)))
	o, err := federation.ParseOfferStatement(signed)
	if err != nil {
		t.Fatal(err)
	}
	status, msg := postJSON(t, in.base+"/api/v1/people/"+name+"/offers", signed)
	return o, status, msg
}
