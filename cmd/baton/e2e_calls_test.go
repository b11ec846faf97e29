package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/internal/testpeer"
	"baton/notice"
)

// A call for stewards answered across instances: a project on instance A calls; people on instance B
// offer to step in with offers signed by their keys, sent through B; A's stewards list the offers with
// each person's track record, gathered from B and checked at its origin, warnings first; forged offers
// are refused and kept nowhere; a reply from a fediverse account is interest, not an offer; accepting
// an offer prints the interim handover to post.
func TestE2ECallForStewards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := startBaton(t), startBaton(t)
	keys := t.TempDir()
	lasse, s1, s2 := sshKey(t, keys, "lasse"), sshKey(t, keys, "steward1"), sshKey(t, keys, "steward2")
	jia, mallory, newbie := sshKey(t, keys, "jia"), sshKey(t, keys, "mallory"), sshKey(t, keys, "newbie")

	// Instance A: xz, its maintainer, two stewards.
	a.addProject("xz", "XZ Utils")
	a.mustCLI("person", "add", "lasse", "--key", lasse+".pub", "--display-name", "Lasse Collin")
	a.mustCLI("maintainer", "add", "lasse", "--project", "xz")
	a.mustCLI("steward", "add", "steward1", "--key", s1+".pub")
	a.mustCLI("steward", "add", "steward2", "--key", s2+".pub")

	// Instance B: Jia maintains zlib from its start; he hands part of it to Mallory and then revokes
	// that handover; Newbie has done nothing anywhere.
	b.addProject("zlib", "zlib")
	b.mustCLI("person", "add", "jia", "--key", jia+".pub", "--display-name", "Jia Tan")
	b.mustCLI("maintainer", "add", "jia", "--project", "zlib")
	b.mustCLI("person", "add", "mallory", "--key", mallory+".pub")
	b.mustCLI("person", "add", "newbie", "--key", newbie+".pub")
	handover := b.mustCLI("notice", "post", "--project", "zlib", "--kind", "handover", "--as", "jia", "--key", jia,
		"--from", "jia", "--to", "mallory", "--mode", "co-maintainer", "--scope", "commit", "--text", "Mallory joins zlib.")
	b.mustCLI("notice", "endorse", handover, "--as", "mallory", "--key", mallory)
	b.mustCLI("notice", "post", "--project", "zlib", "--kind", "revocation", "--as", "jia", "--key", jia,
		"--revokes", handover, "--reason", "Mallory pushed an obfuscated test file.", "--text", "The handover to Mallory is withdrawn.")

	hiatus := a.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", lasse,
		"--text", "I am stepping back for a while.")

	// The call: the rights it wants, for how long, and how to answer, in its Note and on its page.
	call := a.mustCLI("notice", "post", "--project", "xz", "--kind", "call-for-stewards", "--as", "lasse", "--key", lasse,
		"--role", "co-maintainer", "--scope", "commit,release-signing", "--term", "6m", "--public",
		"--requirements", "A track record in C.", "--text", "XZ Utils looks for a trusted co-maintainer.")
	_, _, note := a.get(call, "application/activity+json")
	for _, want := range []string{"Wanted: co-maintainer, with commit, release-signing, for 6 months.", "baton call answer " + call, "signed by your key"} {
		if !strings.Contains(string(note), want) {
			t.Errorf("the call's Note does not say %q:\n%s", want, note)
		}
	}
	if _, errOut, err := a.cli("notice", "post", "--project", "xz", "--kind", "call-for-stewards", "--as", "lasse", "--key", lasse,
		"--role", "co-maintainer", "--public", "--text", "Help."); err == nil || !strings.Contains(errOut, "call-for-stewards: scope: name the rights wanted") ||
		!strings.Contains(errOut, "call-for-stewards: term: say for how long") {
		t.Errorf("a call without rights or term: %v\n%s", err, errOut)
	}

	// Jia, Mallory and Newbie answer from their own instance.
	answer := func(name, key, text string, extra ...string) string {
		t.Helper()
		out, errOut, err := b.cli(append([]string{"call", "answer", call, "--as", name, "--key", key, "--text", text}, extra...)...)
		if err != nil || !strings.Contains(errOut, "offer delivered to "+a.base+"/users/xz") {
			t.Fatalf("%s answers: %v\n%s%s", name, err, out, errOut)
		}
		return strings.TrimSpace(out)
	}
	jiaOffer := answer("jia", jia, "I maintain zlib and know compression code.")
	answer("mallory", mallory, "I can help right away.")
	answer("newbie", newbie, "I would like to learn.", "--until", "2099-01-01")

	// Forgeries, refused with a reason and stored nowhere. Through B: a proof by a key that is not
	// Jia's, and a key file the client will not sign with.
	stranger, strangerKey, _ := ed25519.GenerateKey(rand.Reader)
	forged := signedOffer(t, call, a.base+"/users/xz", b.base+"/users/jia", strangerKey, b.base+"/users/jia#"+proof.EncodeMultikey(stranger))
	if status, msg := postJSON(t, b.base+"/api/v1/people/jia/offers", forged); status != http.StatusUnauthorized || !strings.Contains(msg, "is not one of jia's keys") {
		t.Errorf("B took an offer signed with a key that is not Jia's: %d %s", status, msg)
	}
	if _, errOut, err := b.cli("call", "answer", call, "--as", "jia", "--key", mallory, "--text", "x"); err == nil || !strings.Contains(errOut, "not one of jia's keys") {
		t.Errorf("the client signed as Jia with Mallory's key: %v %s", err, errOut)
	}
	// Straight to A's inbox, from a fediverse server: an offer signed with a key the sender's actor does
	// not publish, and one in Jia's name.
	peer := testpeer.New(t, testpeer.Mastodon, "eve", "fan")
	eve := peer.ActorID("eve")
	for _, tt := range []struct {
		name, says string
		offer      []byte
	}{
		{"a key its actor does not publish", "does not list the key", signedOffer(t, call, a.base+"/users/xz", eve, strangerKey, eve+"#"+proof.EncodeMultikey(stranger))},
		{"in another person's name", "each person sends their own", forged},
		{"to a notice that is no call", "not a call for stewards", signedOffer(t, hiatus, a.base+"/users/xz", eve, strangerKey, eve+"#k")},
	} {
		var o federation.OfferStatement
		o, err := federation.ParseOfferStatement(tt.offer)
		if err != nil {
			t.Fatal(err)
		}
		o.Author = eve // the Offer is eve's, whatever its object says
		activity, _ := federation.OfferDocument(o, tt.offer)
		resp, err := peer.Post(ctx, a.base+"/users/xz/inbox", activity, testpeer.PostOptions{As: "eve"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != http.StatusUnprocessableEntity || !strings.Contains(resp.ErrorMessage(), tt.says) {
			t.Errorf("an offer %s: %d %s, want 422 saying %q", tt.name, resp.Status, resp.Body, tt.says)
		}
	}

	// A reply to the call from Mastodon is interest, not an offer.
	reply := map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": peer.NewID("fan", "create"), "type": "Create", "actor": peer.ActorID("fan"),
		"object": map[string]any{"id": peer.ActorID("fan") + "/statuses/1", "type": "Note", "attributedTo": peer.ActorID("fan"),
			"inReplyTo": call, "content": "<p>I&#39;d be glad to help<br>with reviews!</p>", "to": []string{a.base + "/users/xz"}},
	}
	body, _ := json.Marshal(reply)
	if resp, err := peer.Post(ctx, a.base+"/inbox", body, testpeer.PostOptions{As: "fan"}); err != nil || resp.Status != http.StatusAccepted {
		t.Fatalf("the reply: %v %+v", err, resp)
	}

	// The page counts signed offers only.
	_, _, page := a.get(call, "text/html")
	if !strings.Contains(string(page), "3 signed offers</strong>; 1 reply from the fediverse, read as interest, not as offers") {
		t.Errorf("the call's page does not count its answers:\n%s", page)
	}

	// A steward lists them: warnings first, each offer with its person's record.
	list := a.mustCLI("call", "offers", call, "--as", "steward1", "--key", s1)
	lines := strings.Split(list, "\n")
	mallorysHandle, newbiesHandle := "@mallory@"+b.addr, "@newbie@"+b.addr
	if len(lines) < 3 || lines[0] != "⚠ "+mallorysHandle+": 1 revocation against them" ||
		!strings.HasPrefix(lines[1], "⚠ "+newbiesHandle+": no track record") || !strings.HasPrefix(lines[2], "call "+call) {
		t.Fatalf("the offers list does not start with its warnings:\n%s", list)
	}
	for _, want := range []string{
		"3 signed offer(s)",
		"offer " + jiaOffer + "\tfrom @jia@" + b.addr,
		"maintains " + b.base + "/users/zlib since ",
		"(first maintainer)",
		"handover " + handover + " of " + b.base + "/users/zlib, outgoing (co-maintainer: commit)",
		"REVOCATION AGAINST THEM: ",
		"Mallory pushed an obfuscated test file.",
		"can serve until 2099-01-01",
		"1 repl(ies) from the fediverse, read as interest, not offers:",
		"interest " + peer.ActorID("fan") + "/statuses/1\tfrom " + peer.ActorID("fan"),
		"I'd be glad to help\n\twith reviews!",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("the offers list does not say %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "@jia@"+b.addr+": ") || strings.Contains(list, "eve") {
		t.Errorf("the offers list warns about Jia, or lists a refused offer:\n%s", list)
	}
	// Someone who is not a steward cannot read them.
	if _, errOut, err := a.cli("call", "offers", call, "--as", "lasse", "--key", lasse); err == nil || !strings.Contains(errOut, "is not a steward") {
		t.Errorf("a maintainer read the offers: %v %s", err, errOut)
	}

	// Track records on their own, from instance A.
	jiaRecord := a.mustCLI("person", "record", "@jia@"+b.addr)
	if strings.Contains(jiaRecord, "⚠") || !strings.Contains(jiaRecord, "record of Jia Tan ("+b.base+"/users/jia): Person made ") ||
		!strings.Contains(jiaRecord, "revocation they made: ") {
		t.Errorf("Jia's record:\n%s", jiaRecord)
	}
	if r := a.mustCLI("person", "record", b.base+"/users/newbie"); !strings.HasPrefix(r, "⚠ no track record") {
		t.Errorf("Newbie's record does not warn first:\n%s", r)
	}
	var rec struct {
		Warnings []string `json:"warnings"`
		Served   bool     `json:"served"`
	}
	if err := json.Unmarshal([]byte(a.mustCLI("person", "record", peer.ActorID("fan"), "--json")), &rec); err != nil || rec.Served ||
		len(rec.Warnings) == 0 || !strings.HasPrefix(rec.Warnings[0], "no track record: their instance serves none") {
		t.Errorf("a fediverse account's record: %v %+v", err, rec)
	}

	// A steward accepts Jia's offer: the interim handover to post, with the call's rights and term.
	out, errOut, err := a.cli("call", "accept", jiaOffer, "--as", "steward2", "--key", s2)
	until := time.Now().UTC().AddDate(0, 6, 0).Format(notice.Date)
	want := "baton notice post --project xz --kind handover --mode interim --as lasse --from lasse --to @jia@" + b.addr +
		" --scope commit,release-signing --until " + until + " --text "
	if err != nil || !strings.HasPrefix(out, want) {
		t.Fatalf("call accept: %v\n%s%s\nwant it to start %q", err, out, errOut, want)
	}
	if _, errOut, err := a.cli("call", "accept", jiaOffer, "--as", "steward1", "--key", s1); err == nil || !strings.Contains(errOut, "accepted already") {
		t.Errorf("an offer accepted twice: %v %s", err, errOut)
	}
	if list := a.mustCLI("call", "offers", call); !strings.Contains(list, "accepted by "+a.base+"/users/steward2 on ") || !strings.Contains(list, want) {
		t.Errorf("the admin's offers list does not show the acceptance and its draft:\n%s", list)
	}
	// A reply is no offer to accept.
	if _, errOut, err := a.cli("call", "accept", peer.ActorID("fan")+"/statuses/1"); err == nil || !strings.Contains(errOut, "not a signed offer") {
		t.Errorf("a reply was accepted: %v %s", err, errOut)
	}
}

// signedOffer is an offer to answer call, by author, signed with key as vm.
func signedOffer(t *testing.T, call, project, author string, key ed25519.PrivateKey, vm string) []byte {
	t.Helper()
	doc, err := federation.OfferStatementDocument(federation.OfferStatement{ID: federation.NewStatementID(), Call: call, Project: project, Author: author, Text: "Let me in."})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := proof.Sign(doc, key, vm, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// postJSON posts body and returns the status and the answer's error message.
func postJSON(t *testing.T, url string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error string `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error
}
