package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"baton/notice"
)

const lasseFP = "3690C240CE51B4670D30AD1C38EE757D69184620"

// A project taken on with its history: its record starts earlier than today, and the key its first
// maintainer signs releases with is part of its genesis, so check --signer on that key is not "never
// announced".
func TestProjectGenesisKeysAndRecord(t *testing.T) {
	f := newFixture(t)
	lasse := f.person("lasse")
	w := f.admin("POST", "/api/v1/projects", `{"name":"xz","since":"2021-10-01","signing_keys":[{"type":"openpgp","fingerprint":"`+lasseFP+`","holder":"lasse"}]}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var created ProjectView
	json.Unmarshal(w.Body.Bytes(), &created)
	if created.RecordSince != "2021-10-01T00:00:00Z" || len(created.SigningKeys) != 1 || created.SigningKeys[0].Holder != lasse.id {
		t.Errorf("created %+v", created)
	}
	v := f.stateQuery("?signer=" + lasseFP)
	if v.Code != notice.ExitNormal || v.Signer == nil || !v.Signer.Valid || len(v.State.Maintainers) != 1 {
		t.Errorf("check --signer on the genesis key: %d %+v %+v", v.Code, v.Signer, v.State.Maintainers)
	}
	page := f.do("GET", "/users/xz", "", "Accept", "text/html").Body.String()
	for _, want := range []string{"Who holds what", "every right", lasseFP, "a first key"} {
		if !strings.Contains(page, want) {
			t.Errorf("the project page does not show %q", want)
		}
	}
	// As known, the project was added on 2024-06-15; with hindsight its record starts in 2021.
	if v := f.stateQuery("?at=2022-06-01"); v.Code != notice.ExitNoRecord {
		t.Errorf("as known in 2022: code %d, want no record", v.Code)
	}
	if v := f.stateQuery("?at=2022-06-01&hindsight=1"); v.Code != notice.ExitNormal || !v.Hindsight {
		t.Errorf("with hindsight in 2022: code %d, hindsight %v", v.Code, v.Hindsight)
	}
	if v := f.stateQuery("?at=2021-09-30&hindsight=true"); v.Code != notice.ExitNoRecord {
		t.Errorf("with hindsight before the record: code %d", v.Code)
	}
	// A maintainer declares their own keys while the project has no notices, and only then.
	jia := f.person("jia")
	sshFP := "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
	if w := f.admin("POST", "/api/v1/projects/xz/maintainers", `{"person":"jia","signing_keys":[{"type":"ssh","fingerprint":"`+sshFP+`"}]}`); w.Code != http.StatusCreated {
		t.Fatalf("maintainer add with a key: %d %s", w.Code, w.Body)
	}
	a, _ := f.store.Actor(context.Background(), "xz")
	if len(a.SigningKeys) != 2 || a.SigningKeys[1].Holder != jia.id {
		t.Errorf("genesis keys %+v", a.SigningKeys)
	}
	hiatus := notice.Notice{Kind: notice.Hiatus, Author: lasse.id, Text: "Away."}
	if w := f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(hiatus, lasse))); w.Code != http.StatusCreated {
		t.Fatalf("hiatus: %d %s", w.Code, w.Body)
	}
	w = f.admin("POST", "/api/v1/projects/xz/maintainers", `{"person":"jia","signing_keys":[{"type":"openpgp","fingerprint":"22D465F2B4C173803B20C6DE59FCF207FEA7F445"}]}`)
	if w.Code != http.StatusConflict {
		t.Errorf("a genesis key after the first notice: %d %s, want 409", w.Code, w.Body)
	}
}

// Input errors name the problem and change nothing.
func TestProjectGenesisRefusals(t *testing.T) {
	f := newFixture(t)
	f.person("lasse")
	for _, tc := range []struct{ body, says string }{
		{`{"name":"a","since":"2099-01-01"}`, "in the future"},
		{`{"name":"b","since":"0001-01-01"}`, "before 1970"},
		{`{"name":"c","since":"yesterday"}`, "want YYYY-MM-DD"},
		{`{"name":"d","signing_keys":[{"type":"openpgp","fingerprint":"0x38EE757D69184620"}]}`, "without 0x"},
		{`{"name":"e","signing_keys":[{"type":"openpgp","fingerprint":"38EE757D69184620"}]}`, "long key id"},
		{`{"name":"f","signing_keys":[{"type":"openpgp","fingerprint":"nothex"}]}`, "40 (v4) or 64 (v5) hex digits"},
		{`{"name":"g","signing_keys":[{"type":"ssh","fingerprint":"` + lasseFP + `"}]}`, "does not match the fingerprint"},
		{`{"name":"h","signing_keys":[{"type":"openpgp","fingerprint":"` + lasseFP + `","holder":"nobody"}]}`, "not a person on this instance"},
	} {
		w := f.admin("POST", "/api/v1/projects", tc.body)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(errorMessage(t, w), tc.says) {
			t.Errorf("%s: %d %s, want 422 saying %q", tc.body, w.Code, w.Body, tc.says)
		}
	}
	if n, _ := f.store.ListActors(context.Background()); len(n) != 1 {
		t.Errorf("%d actors stored, want only lasse", len(n))
	}
	f.createProject(`{"name":"xz"}`)
	for _, q := range []string{"?signer=0x38EE757D69184620", "?signer=38EE757D69184620", "?signer=nothex", "?hindsight=maybe", "?at=0001-01-01"} {
		if w := f.do("GET", "/api/v1/projects/xz/state"+q, ""); w.Code != http.StatusBadRequest {
			t.Errorf("state%s: %d %s, want 400", q, w.Code, w.Body)
		}
	}
}

// Only the people a notice concerns, and the stewards, may sign it: at publication and when endorsing.
func TestOnlyPartiesSign(t *testing.T) {
	f := newFixture(t)
	f.createProject(`{"name":"xz"}`)
	lasse, jia, bob, s1 := f.person("lasse", "xz"), f.person("jia"), f.person("bob"), f.person("s1", "")
	handover := notice.Notice{Kind: notice.Handover, Author: lasse.id, Text: "Jia joins.", From: []string{lasse.id},
		To: []string{jia.id}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit}}
	w := f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(handover, lasse, bob)))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(errorMessage(t, w), "bob may not sign this handover") {
		t.Fatalf("a handover signed by a bystander: %d %s", w.Code, w.Body)
	}
	w = f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(handover, lasse)))
	if w.Code != http.StatusCreated {
		t.Fatalf("post handover: %d %s", w.Code, w.Body)
	}
	var posted NoticeView
	json.Unmarshal(w.Body.Bytes(), &posted)
	var current NoticeAPIView
	json.Unmarshal(f.do("GET", fmt.Sprintf("/api/v1/notices/%d", posted.ID), "").Body.Bytes(), &current)
	path := fmt.Sprintf("/api/v1/notices/%d/endorsements", posted.ID)
	if w := f.do("POST", path, string(f.signStatement(current.Statement, bob))); w.Code != http.StatusUnprocessableEntity || !strings.Contains(errorMessage(t, w), "only its author") {
		t.Errorf("a bystander's endorsement: %d %s, want 422 saying who may sign", w.Code, w.Body)
	}
	// Before Jia accepts, he holds nothing; the state says so.
	if v := f.state(""); len(v.State.Maintainers) != 1 || len(v.State.Pending) != 1 {
		t.Errorf("before acceptance: maintainers %+v, pending %+v", v.State.Maintainers, v.State.Pending)
	}
	// Jia and a steward sign their own copies at once: both proofs are kept.
	a, b := f.signStatement(current.Statement, jia), f.signStatement(current.Statement, s1)
	for _, doc := range [][]byte{a, b} {
		if w := f.do("POST", path, string(doc)); w.Code != http.StatusOK {
			t.Fatalf("endorse: %d %s", w.Code, w.Body)
		}
	}
	json.Unmarshal(f.do("GET", fmt.Sprintf("/api/v1/notices/%d", posted.ID), "").Body.Bytes(), &current)
	if n := strings.Count(string(current.Statement), `"proofValue"`); n != 3 {
		t.Errorf("the statement carries %d proofs, want 3 (author, acceptance, steward)", n)
	}
	if v := f.state(""); len(v.State.Maintainers) != 2 || len(v.State.Pending) != 0 {
		t.Errorf("after acceptance: maintainers %+v, pending %+v", v.State.Maintainers, v.State.Pending)
	}
}

func (f *fixture) stateQuery(query string) StateView {
	f.t.Helper()
	w := f.do("GET", "/api/v1/projects/xz/state"+query, "")
	if w.Code != http.StatusOK {
		f.t.Fatalf("GET state%s: %d %s", query, w.Code, w.Body)
	}
	var v StateView
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		f.t.Fatal(err)
	}
	return v
}

// check's reasons name a person on this instance by the name people read, keeping the id after it (a
// link on the page); the state answer names the people it lists.
func TestReasonsNamePeople(t *testing.T) {
	f := newFixture(t)
	f.createProject(`{"name":"xz"}`)
	lasse := f.person("lasse", "xz")
	jiaKey := newSSHKey(t, "jia@laptop")
	f.registerPerson("jia", "Jia Tan", jiaKey)
	jiaID := base + "/users/jia"
	handover := notice.Notice{Kind: notice.Handover, Author: lasse.id, Text: "Jia joins.", From: []string{lasse.id},
		To: []string{jiaID}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit}}
	if w := f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(handover, lasse))); w.Code != http.StatusCreated {
		t.Fatalf("handover: %d %s", w.Code, w.Body)
	}
	v := f.stateQuery("")
	text := strings.Join(v.Reasons, "\n")
	if !strings.Contains(text, "Jia Tan ("+jiaID+") has not accepted") {
		t.Errorf("the reasons do not name Jia Tan:\n%s", text)
	}
	if strings.Contains(text, "lasse (") {
		t.Errorf("a person with no display name got one:\n%s", text)
	}
	if v.Names[jiaID] != "Jia Tan" || v.Names[lasse.id] != "" {
		t.Errorf("the state's names are %q, want Jia Tan's alone", v.Names)
	}
	if got := v.Person(jiaID); got != "Jia Tan ("+jiaID+")" {
		t.Errorf("check names Jia as %q", got)
	}
	// On the page, the name links to the id.
	page := f.do("GET", "/users/xz", "", "Accept", "text/html").Body.String()
	if !strings.Contains(page, `<a href="`+jiaID+`" rel="nofollow noopener">Jia Tan</a> has not accepted`) {
		t.Errorf("the page's check box does not name Jia Tan with a link:\n%s", page)
	}
}
