package web

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
)

// signer is a person of the fixture's instance with a key.
type signer struct {
	id  string
	key ed25519.PrivateKey
}

func (f *fixture) person(name string, roles ...string) signer {
	f.t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	ctx := context.Background()
	if err := f.store.CreateActor(ctx, store.Actor{Name: name, Kind: "person", RSAKeyPEM: "unused", Created: f.clock.Now()}); err != nil {
		f.t.Fatal(err)
	}
	fp, _ := proof.Fingerprint(pub)
	if err := f.store.AddKey(ctx, store.PersonKey{Person: name, Fingerprint: fp, PublicKey: pub, Added: f.clock.Now()}); err != nil {
		f.t.Fatal(err)
	}
	for _, project := range roles {
		if err := f.store.AddRole(ctx, store.Role{Person: name, Project: project, Since: f.clock.Now()}); err != nil {
			f.t.Fatal(err)
		}
	}
	return signer{id: base + "/users/" + name, key: priv}
}

func (f *fixture) signStatement(doc []byte, signers ...signer) []byte {
	f.t.Helper()
	for _, s := range signers {
		var err error
		doc, err = proof.Sign(doc, s.key, s.id+"#"+proof.EncodeMultikey(s.key.Public().(ed25519.PublicKey)), f.clock.Now())
		if err != nil {
			f.t.Fatal(err)
		}
	}
	return doc
}

func (f *fixture) newStatement(n notice.Notice, signers ...signer) []byte {
	f.t.Helper()
	var b [6]byte
	rand.Read(b[:])
	doc, err := federation.StatementDocument(fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%x", b), base+"/users/xz", n)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.signStatement(doc, signers...)
}

func (f *fixture) state(at string) StateView {
	f.t.Helper()
	if at != "" {
		return f.stateQuery("?at=" + at)
	}
	return f.stateQuery("")
}

func TestSignedStatementsAndState(t *testing.T) {
	f := newFixture(t)
	f.createProject(`{"name":"xz","display_name":"XZ Utils"}`)
	lasse, jia := f.person("lasse", "xz"), f.person("jia")
	s1, s2 := f.person("s1", ""), f.person("s2", "")

	if v := f.state(""); v.Code != notice.ExitNormal || len(v.State.Maintainers) != 1 || v.State.Maintainers[0].Person != lasse.id {
		t.Fatalf("state before any notice: %+v", v)
	}
	// The admin no longer speaks for a project with maintainers.
	w := f.admin("POST", "/api/v1/projects/xz/notices", `{"kind":"hiatus","text":"x"}`)
	if w.Code != http.StatusConflict || !strings.Contains(errorMessage(t, w), "maintainers, who sign") {
		t.Fatalf("admin notice on a maintained project: %d %s", w.Code, w.Body)
	}

	handover := notice.Notice{Kind: notice.Handover, Author: lasse.id, Text: "Jia joins.", From: []string{lasse.id},
		To: []string{jia.id}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit}}
	w = f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(handover, lasse, jia)))
	if w.Code != http.StatusCreated {
		t.Fatalf("post handover: %d %s", w.Code, w.Body)
	}
	var posted NoticeView
	json.Unmarshal(w.Body.Bytes(), &posted)

	v := f.state("")
	if v.Code != notice.ExitUnendorsed || len(v.State.Maintainers) != 2 || !v.State.Scrutiny.Open() {
		t.Fatalf("after an unendorsed handover: code %d, state %+v", v.Code, v.State)
	}
	// The project was added on 2024-06-15: of the day before there is no record, which is not "normal".
	if old := f.state("2024-06-14"); old.Code != notice.ExitNoRecord || len(old.Notices) != 0 || len(old.State.Maintainers) != 0 {
		t.Fatalf("the day before: code %d, notices %v", old.Code, old.Notices)
	}

	// Endorse through the API, as `baton notice endorse` does.
	w = f.do("GET", fmt.Sprintf("/api/v1/notices/%d", posted.ID), "")
	var current NoticeAPIView
	json.Unmarshal(w.Body.Bytes(), &current)
	if current.Statement == nil || current.Endorsed == nil || *current.Endorsed {
		t.Fatalf("GET notice: %s", w.Body)
	}
	statement := []byte(current.Statement)
	for i, s := range []signer{s1, s2} {
		statement = f.signStatement(statement, s)
		w = f.do("POST", fmt.Sprintf("/api/v1/notices/%d/endorsements", posted.ID), string(statement))
		var e EndorsementView
		json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != http.StatusOK || e.Endorsed != (i == 1) {
			t.Fatalf("endorsement %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	if v := f.state(""); v.Code != notice.ExitScrutiny {
		t.Fatalf("after two endorsements: code %d, reasons %v", v.Code, v.Reasons)
	}

	// Refusals name the problem and change nothing.
	for _, tc := range []struct {
		name, path, body string
		status           int
		says             string
	}{
		{"not JSON", "/api/v1/projects/xz/statements", "{", 400, "statement"},
		{"another project's statement", "/api/v1/projects/other/statements", string(f.newStatement(notice.Notice{Kind: notice.Hiatus, Author: lasse.id, Text: "x"}, lasse)), 422, "is about"},
		{"unsigned", "/api/v1/projects/xz/statements", string(f.newStatement(notice.Notice{Kind: notice.Hiatus, Author: lasse.id, Text: "x"})), 422, "proof"},
		{"unknown notice", "/api/v1/notices/999/endorsements", string(statement), 404, "not found"},
	} {
		w := f.do("POST", tc.path, tc.body)
		if w.Code != tc.status || !strings.Contains(errorMessage(t, w), tc.says) {
			t.Errorf("%s: %d %s, want %d saying %q", tc.name, w.Code, w.Body, tc.status, tc.says)
		}
	}
	if n, _ := f.store.CountNotices(context.Background(), "xz", false); n != 1 {
		t.Fatalf("%d notices stored, want 1", n)
	}
}

// A person is not a project: nothing may publish in a person's name, and no project listing shows one.
func TestPeopleAreNotProjects(t *testing.T) {
	f := newFixture(t)
	f.createProject(`{"name":"xz"}`)
	lasse := f.person("lasse", "xz")
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/v1/projects/lasse/notices", `{"kind":"hiatus","text":"x"}`},
		{"POST", "/api/v1/projects/lasse/statements", string(f.newStatement(notice.Notice{Kind: notice.Hiatus, Author: lasse.id, Text: "x"}, lasse))},
		{"GET", "/api/v1/projects/lasse", ""},
		{"GET", "/api/v1/projects/lasse/state", ""},
	} {
		w := f.admin(tc.method, tc.path, tc.body)
		if w.Code != http.StatusNotFound && w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s %s: %d %s, want 404 or 422", tc.method, tc.path, w.Code, w.Body)
		}
	}
	w := f.do("GET", "/api/v1/projects", "")
	if strings.Contains(w.Body.String(), "lasse") {
		t.Errorf("the project list shows a person: %s", w.Body)
	}
}
