package web

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"baton/ledger"
	"baton/notice"
	"baton/relief"
	"baton/store"
)

const testCaseID = "00112233445566778899aabbccddeeff"

var queryCount int

// signed signs a relief document (an envelope or a query) as s, with a fresh urn:uuid id.
func (f *fixture) signedRelief(s signer, v any) string {
	f.t.Helper()
	doc, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(f.signStatement(doc, s))
}

func freshID() string {
	queryCount++
	return fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", queryCount)
}

// envelope is a message by author, sealed to the keys of to, signed by author.
func (f *fixture) envelope(caseID, project string, index int, author signer, to ...signer) string {
	f.t.Helper()
	letter, err := relief.LetterDocument(caseID, author.id, "words", f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	var keys []ed25519.PublicKey
	for _, s := range to {
		keys = append(keys, s.key.Public().(ed25519.PublicKey))
	}
	sealed, err := relief.Seal(f.signStatement(letter, author), keys)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.signedRelief(author, relief.Envelope{Type: relief.EnvelopeType, ID: freshID(), Case: caseID, Project: project,
		Author: author.id, Index: index, Ciphertext: sealed})
}

func (f *fixture) caseQuery(s signer, q relief.Query) string {
	q.ID = freshID()
	return f.signedRelief(s, q)
}

// TestReliefCaseRefusals: each request a case refuses says why and changes nothing.
func TestReliefCaseRefusals(t *testing.T) {
	f := newFixture(t)
	f.createProject(`{"name":"xz"}`)
	f.createProject(`{"name":"curl"}`)
	lasse := f.person("lasse", "xz")
	jia := f.person("jia")

	open := f.envelope(testCaseID, "xz", 0, lasse, lasse)
	if w := f.do("POST", "/api/v1/relief/cases", open); w.Code != http.StatusConflict || !strings.Contains(errorMessage(t, w), "no stewards yet") {
		t.Fatalf("a case on an instance without stewards: %d %s", w.Code, w.Body)
	}
	s1 := f.person("steward1", "")
	s2 := f.person("steward2", "")
	for name, tt := range map[string]struct {
		body   string
		status int
		says   string
	}{
		"by no maintainer":        {f.envelope(testCaseID, "xz", 0, jia, jia, s1, s2), 403, "not a maintainer of xz"},
		"for another's project":   {f.envelope(testCaseID, "curl", 0, lasse, lasse, s1, s2), 403, "not a maintainer of curl"},
		"for no project":          {f.envelope(testCaseID, "nosuch", 0, lasse, lasse, s1, s2), 404, "not found"},
		"sealed without steward2": {f.envelope(testCaseID, "xz", 0, lasse, lasse, s1), 422, "sealed to 2 of the participants' 3 keys"},
		"sealed to an outsider":   {f.envelope(testCaseID, "xz", 0, lasse, lasse, s1, s2, jia), 422, "not a participant's key"},
		"not message 0":           {f.envelope(testCaseID, "xz", 1, lasse, lasse, s1, s2), 400, "message 0"},
		"unsigned":                {`{"type":"ReliefMessage","id":"urn:uuid:x"}`, 401, "proof"},
		"a steward's query":       {f.signedRelief(s1, map[string]string{"type": ledger.StewardQueryType, "id": freshID()}), 400, "want a ReliefMessage"},
	} {
		if w := f.do("POST", "/api/v1/relief/cases", tt.body); w.Code != tt.status || !strings.Contains(errorMessage(t, w), tt.says) {
			t.Errorf("%s: %d %s, want %d saying %q", name, w.Code, w.Body, tt.status, tt.says)
		}
	}
	if cases, _ := f.store.ListCases(context.Background()); len(cases) != 0 {
		t.Fatalf("%d cases stored after refusals", len(cases))
	}

	open = f.envelope(testCaseID, "xz", 0, lasse, lasse, s1, s2)
	if w := f.do("POST", "/api/v1/relief/cases", open); w.Code != http.StatusCreated {
		t.Fatalf("open: %d %s", w.Code, w.Body)
	}
	if w := f.do("POST", "/api/v1/relief/cases", open); w.Code != http.StatusUnauthorized || !strings.Contains(errorMessage(t, w), "used already") {
		t.Errorf("the same envelope again: %d %s", w.Code, w.Body)
	}
	path := "/api/v1/relief/cases/" + testCaseID
	stale := f.envelope(testCaseID, "", 1, s1, lasse, s1, s2)
	f.clock.Advance(10 * time.Minute)
	for name, tt := range map[string]struct {
		path, body string
		status     int
		says       string
	}{
		"signed ten minutes ago":   {path + "/messages", stale, 401, "more than 5m0s from now"},
		"by an outsider":           {path + "/messages", f.envelope(testCaseID, "", 1, jia, lasse, s1, s2, jia), 404, "case not found"},
		"to no case":               {"/api/v1/relief/cases/ffffffffffffffffffffffffffffffff/messages", f.envelope("ffffffffffffffffffffffffffffffff", "", 1, s1, lasse, s1, s2), 404, "case not found"},
		"for another case":         {path + "/messages", f.envelope("ffffffffffffffffffffffffffffffff", "", 1, s1, lasse, s1, s2), 400, "for case"},
		"out of place":             {path + "/messages", f.envelope(testCaseID, "", 3, s1, lasse, s1, s2), 409, "read it again"},
		"closing another case":     {path + "/close", f.caseQuery(s1, relief.Query{Type: relief.CloseType, Case: "ffffffffffffffffffffffffffffffff"}), 400, "is for case"},
		"sharing another case":     {path + "/share", f.caseQuery(s1, relief.Query{Type: relief.ShareType, Case: "ffffffffffffffffffffffffffffffff", With: s2.id}), 400, "is for case"},
		"closed by an outsider":    {path + "/close", f.caseQuery(jia, relief.Query{Type: relief.CloseType, Case: testCaseID}), 404, "case not found"},
		"led to no notice":         {path + "/close", f.caseQuery(s1, relief.Query{Type: relief.CloseType, Case: testCaseID, LedTo: base + "/notices/9"}), 422, "not a notice of xz"},
		"led to a foreign URL":     {path + "/close", f.caseQuery(s1, relief.Query{Type: relief.CloseType, Case: testCaseID, LedTo: "https://elsewhere.example/notices/1"}), 422, "not a notice of this instance"},
		"shared by the maintainer": {path + "/share", f.caseQuery(lasse, relief.Query{Type: relief.ShareType, Case: testCaseID, With: s2.id}), 403, "not a steward"},
		"shared with no steward":   {path + "/share", f.caseQuery(s1, relief.Query{Type: relief.ShareType, Case: testCaseID, With: jia.id}), 422, "not a steward"},
		"shared without messages":  {path + "/share", f.caseQuery(s1, relief.Query{Type: relief.ShareType, Case: testCaseID, With: s2.id}), 409, "1 messages, and 0 came sealed again"},
		"read by an outsider":      {"/api/v1/relief/read", f.caseQuery(jia, relief.Query{Type: relief.QueryType, Case: testCaseID}), 404, "case not found"},
	} {
		if w := f.do("POST", tt.path, tt.body); w.Code != tt.status || !strings.Contains(errorMessage(t, w), tt.says) {
			t.Errorf("%s: %d %s, want %d saying %q", name, w.Code, w.Body, tt.status, tt.says)
		}
	}
	c, err := f.store.Case(context.Background(), testCaseID)
	if err != nil || len(c.Messages) != 1 || !c.Closed.IsZero() || len(c.Participants) != 3 || c.Revision != 0 {
		t.Fatalf("the case after refusals: %+v, %v", c, err)
	}

	// A participant reads it with its envelopes; the admin sees who and when, never an envelope; an
	// outsider's list is empty.
	w := f.do("POST", "/api/v1/relief/read", f.caseQuery(s2, relief.Query{Type: relief.QueryType, Case: testCaseID}))
	var v CaseView
	json.Unmarshal(w.Body.Bytes(), &v)
	if w.Code != 200 || len(v.Messages) != 1 || len(v.Messages[0].Envelope) == 0 || v.Messages[0].Author != lasse.id {
		t.Errorf("read by a steward: %d %s", w.Code, w.Body)
	}
	w = f.admin("GET", "/api/v1/relief/cases", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), testCaseID) || strings.Contains(w.Body.String(), "envelope") {
		t.Errorf("the admin's list: %d %s", w.Code, w.Body)
	}
	if w := f.do("GET", "/api/v1/relief/cases", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("the list without the token: %d", w.Code)
	}
	w = f.do("POST", "/api/v1/relief/read", f.caseQuery(jia, relief.Query{Type: relief.QueryType}))
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("an outsider's list: %d %s", w.Code, w.Body)
	}
}

// A relief request stored before relief cases (an older instance admitted it) stays readable by
// stewards; a new one is refused with a pointer to a case.
func TestStoredReliefRequestStaysReadable(t *testing.T) {
	f := newFixture(t)
	f.createProject(`{"name":"xz"}`)
	lasse := f.person("lasse", "xz")
	s1 := f.person("steward1", "")
	n := notice.Notice{Kind: notice.ReliefRequest, Author: lasse.id, Text: "Help with reviews, please.", Help: []notice.Help{notice.HelpReview}}
	w := f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(n, lasse)))
	if w.Code != 422 || !strings.Contains(errorMessage(t, w), "baton relief open") {
		t.Fatalf("a new relief request: %d %s", w.Code, w.Body)
	}
	ctx := context.Background()
	id, err := f.store.NextNoticeID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	note, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("%s/notices/%d", base, id), "type": "Note", "noticeKind": "relief-request",
		"statement": json.RawMessage(f.newStatement(n, lasse))})
	if _, err := f.store.PublishNotice(ctx, store.Notice{ID: id, Actor: "xz", Kind: "relief-request", Document: note, Published: f.clock.Now()},
		store.Activity{ID: "old"}, store.AnyRevision); err != nil {
		t.Fatal(err)
	}
	w = f.do("POST", "/api/v1/stewards/notices", f.signedRelief(s1, map[string]string{"type": ledger.StewardQueryType, "id": freshID()}))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Help with reviews, please.") || !strings.Contains(w.Body.String(), lasse.id) {
		t.Errorf("a steward reads the notices for stewards: %d %s", w.Code, w.Body)
	}
}
