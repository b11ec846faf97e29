package outbox

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/ledger"
	"baton/notice"
	"baton/store"
)

// person is someone with a signing key on the fixture's instance.
type person struct {
	name string
	id   string
	key  ed25519.PrivateKey
}

func (f *fixture) addPerson(t *testing.T, name string, roles ...string) person {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := f.store.CreateActor(ctx, store.Actor{Name: name, Kind: "person", RSAKeyPEM: f.project.RSAKeyPEM, Created: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	fp, _ := proof.Fingerprint(pub)
	if err := f.store.AddKey(ctx, store.PersonKey{Person: name, Fingerprint: fp, PublicKey: pub, Added: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, project := range roles {
		if project == "steward" {
			project = ""
		}
		if err := f.store.AddRole(ctx, store.Role{Person: name, Project: project, Since: f.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	return person{name: name, id: f.urls.Actor(name), key: priv}
}

// statement writes n as a statement about xz, signed by signers in turn.
func (f *fixture) statement(t *testing.T, n notice.Notice, signers ...person) []byte {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	doc, err := federation.StatementDocument(fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%x", b), f.urls.Actor("xz"), n)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range signers {
		doc = f.sign(t, doc, s)
	}
	return doc
}

func (f *fixture) sign(t *testing.T, doc []byte, s person) []byte {
	t.Helper()
	vm := s.id + "#" + proof.EncodeMultikey(s.key.Public().(ed25519.PublicKey))
	out, err := proof.Sign(doc, s.key, vm, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantRefused(t *testing.T, what string, err error, status int, contains string) {
	t.Helper()
	var refused *ledger.Error
	if !errors.As(err, &refused) || refused.Status != status || !strings.Contains(err.Error(), contains) {
		t.Fatalf("%s: err = %v, want a %d refusal saying %q", what, err, status, contains)
	}
}

// noteOf reads what the trust policy said in a published Note.
func noteOf(t *testing.T, doc []byte) federation.NoteView {
	t.Helper()
	v, err := federation.ParseNote(doc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMaintainerSignedNotices(t *testing.T) {
	f := newFixture(t)
	ib := newInbox(t, nil)
	f.follow(t, "alice", ib)
	f.run(t)
	ctx := context.Background()
	lasse := f.addPerson(t, "lasse", "xz")
	jia := f.addPerson(t, "jia")
	s1, s2 := f.addPerson(t, "steward1", "steward"), f.addPerson(t, "steward2", "steward")

	// A maintainer's hiatus: published as it is, no endorsement asked.
	hiatus := notice.Notice{Kind: notice.Hiatus, Author: lasse.id, Text: "Stepping back for a while."}
	hiatusDoc := f.statement(t, hiatus, lasse)
	pub, err := f.outbox.PublishStatement(ctx, "xz", hiatusDoc)
	if err != nil {
		t.Fatal(err)
	}
	if v := noteOf(t, pub.Notice.Document); v.Statement == nil || v.Endorsed != nil {
		t.Fatalf("hiatus Note: statement %s, endorsed %v", v.Statement, v.Endorsed)
	}
	_, err = f.outbox.PublishStatement(ctx, "xz", hiatusDoc)
	wantRefused(t, "the same statement again", err, 409, "published already")

	// Refusals: each changes nothing.
	before, _ := f.store.CountNotices(ctx, "xz", false)
	notMaintainer := notice.Notice{Kind: notice.Hiatus, Author: jia.id, Text: "I am not a maintainer here."}
	_, err = f.outbox.PublishStatement(ctx, "xz", f.statement(t, notMaintainer, jia))
	wantRefused(t, "a hiatus by a non-maintainer", err, 422, "maintainer")
	tampered := f.statement(t, notice.Notice{Kind: notice.Scrutiny, Author: lasse.id, Text: "Review carefully.",
		Until: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, lasse)
	tampered = []byte(strings.Replace(string(tampered), "Review carefully.", "Nothing to see.", 1))
	_, err = f.outbox.PublishStatement(ctx, "xz", tampered)
	wantRefused(t, "a statement changed after signing", err, 422, "does not verify")
	byProject := f.statement(t, notice.Notice{Kind: notice.Hiatus, Author: lasse.id, Text: "x"}, person{name: "xz", id: f.urls.Actor("xz"), key: ed25519.NewKeyFromSeed(f.project.Ed25519Seed)})
	_, err = f.outbox.PublishStatement(ctx, "xz", byProject)
	wantRefused(t, "a proof by a key no person holds", err, 422, "not one of")
	if after, _ := f.store.CountNotices(ctx, "xz", false); after != before {
		t.Fatalf("refused statements stored %d notices", after-before)
	}

	// A handover signed by both maintainers-to-be but no steward: published, loudly unendorsed.
	handover := notice.Notice{Kind: notice.Handover, Author: lasse.id, Text: "Jia Tan joins as co-maintainer.",
		From: []string{lasse.id}, To: []string{jia.id}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit}}
	pub, err = f.outbox.PublishStatement(ctx, "xz", f.statement(t, handover, lasse, jia))
	if err != nil {
		t.Fatal(err)
	}
	v := noteOf(t, pub.Notice.Document)
	if v.Endorsed == nil || *v.Endorsed || !strings.Contains(v.ContentHTML, "Not endorsed by any steward") {
		t.Fatalf("unendorsed handover: endorsed %v, content %s", v.Endorsed, v.ContentHTML)
	}

	// Two stewards endorse, one after the other; the second makes it endorsed.
	statement := v.Statement
	for i, s := range []person{s1, s2} {
		statement = f.sign(t, statement, s)
		res, err := f.outbox.EndorseStatement(ctx, pub.Notice.ID, statement)
		if err != nil {
			t.Fatalf("endorsement by %s: %v", s.name, err)
		}
		if res.Endorsed != (i == 1) {
			t.Fatalf("after %d endorsements: endorsed %v, missing %v", i+1, res.Endorsed, res.Missing)
		}
	}
	stored, _ := f.store.Notice(ctx, pub.Notice.ID)
	if v := noteOf(t, stored.Document); v.Endorsed == nil || !*v.Endorsed || !strings.Contains(v.ContentHTML, `Endorsed by <a href="`+s1.id+`">steward1</a> and <a href="`+s2.id+`">steward2</a>`) {
		t.Fatalf("endorsed handover: endorsed %v, content %s", v.Endorsed, v.ContentHTML)
	}
	_, err = f.outbox.EndorseStatement(ctx, pub.Notice.ID, statement)
	wantRefused(t, "an endorsement adding nothing", err, 422, "no proof it did not have")

	// Followers got the notices and the Update of the endorsed handover (and, when the profile Update
	// is due, that too).
	f.clock.Advance(profileUpdateEvery)
	waitFor(t, "deliveries", func() bool { return f.depth(t) == 0 })
	var updates int
	for _, body := range ib.received {
		var a struct{ Type string }
		json.Unmarshal(body, &a)
		if a.Type == "Update" {
			updates++
		}
	}
	if updates < 2 {
		t.Fatalf("%d Updates delivered, want one per endorsement", updates)
	}

	// A revoked key signs nothing new.
	fp, _ := proof.Fingerprint(lasse.key.Public().(ed25519.PublicKey))
	if err := f.store.RevokeKey(ctx, "lasse", fp, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, err = f.outbox.PublishStatement(ctx, "xz", f.statement(t, notice.Notice{Kind: notice.Return, Author: lasse.id, Text: "Back."}, lasse))
	wantRefused(t, "a statement signed with a revoked key", err, 422, "revoked")
}

// A relief request is refused now (its words would be kept in plain text): one stored before, as an
// older instance admitted it, stays in the record for stewards and reaches no follower.
func TestReliefRequestRefusedAndOldOnesStayPrivate(t *testing.T) {
	f := newFixture(t)
	ib := newInbox(t, nil)
	f.follow(t, "alice", ib)
	f.run(t)
	lasse := f.addPerson(t, "lasse", "xz")
	f.addPerson(t, "steward1", "steward")
	ctx := context.Background()
	relief := notice.Notice{Kind: notice.ReliefRequest, Author: lasse.id, Text: "I cannot keep up with reviews.",
		Help: []notice.Help{notice.HelpReview}}
	raw := f.statement(t, relief, lasse)
	_, err := f.outbox.PublishStatement(ctx, "xz", raw)
	wantRefused(t, "a new relief request", err, 422, "baton relief open")
	if n, _ := f.store.CountNotices(ctx, "xz", false); n != 0 {
		t.Fatalf("%d notices stored after a refused relief request", n)
	}

	// As an older instance stored it: admitted without the check that now refuses it.
	st, err := federation.ParseStatement(raw)
	if err != nil {
		t.Fatal(err)
	}
	st.Notice.Project = "xz"
	a, err := f.outbox.ledger.AdmitStatement(ctx, ledger.Checked{Project: "xz", Statement: st,
		Proofs: []notice.Proof{{Person: lasse.id, Created: f.clock.Now()}}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.store.NextNoticeID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.Signed.ID = f.urls.Notice(id)
	pub, err := f.outbox.publishSigned(ctx, a.History, id, a.Signed, a.Statement, a.Revision)
	if err != nil {
		t.Fatal(err)
	}
	if pub.Notice.Public || pub.Queued != 0 {
		t.Fatalf("relief request: public %v, queued %d", pub.Notice.Public, pub.Queued)
	}
	if n, _ := f.store.CountNotices(ctx, "xz", true); n != 0 {
		t.Fatalf("%d public notices after a relief request", n)
	}
	h, err := f.outbox.ledger.History(ctx, "xz")
	if err != nil {
		t.Fatal(err)
	}
	if pending := h.Fold(f.outbox.ledger.Policy(), f.clock.Now()).PendingRelief; len(pending) != 1 {
		t.Fatalf("the stored relief request is not pending for stewards: %+v", pending)
	}
	time.Sleep(50 * time.Millisecond)
	if ib.count() != 0 {
		t.Fatalf("a follower received %d deliveries", ib.count())
	}
}

// A maintainer who handed everything over cannot grant rights again by dating a handover back to when
// they still held them.
func TestFormerMaintainerCannotBackdateAHandover(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	lasse, jia, mal := f.addPerson(t, "lasse", "xz"), f.addPerson(t, "jia"), f.addPerson(t, "mal")
	successor := notice.Notice{Kind: notice.Handover, Author: lasse.id, Text: "Jia takes over.", From: []string{lasse.id},
		To: []string{jia.id}, Mode: notice.Successor, Scope: notice.Rights}
	if _, err := f.outbox.PublishStatement(ctx, "xz", f.statement(t, successor, lasse, jia)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(24 * time.Hour)
	backdated := notice.Notice{Kind: notice.Handover, Author: lasse.id, Text: "Mal joins.", From: []string{lasse.id},
		To: []string{mal.id}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit},
		Since: f.clock.Now().Add(-30 * 24 * time.Hour)}
	_, err := f.outbox.PublishStatement(ctx, "xz", f.statement(t, backdated, lasse, mal))
	wantRefused(t, "a backdated handover by a former maintainer", err, 422, "")
}

// An endorsement counts from when it is made: one dated back is refused.
func TestBackdatedEndorsementRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	lasse, jia, s1 := f.addPerson(t, "lasse", "xz"), f.addPerson(t, "jia"), f.addPerson(t, "s1", "steward")
	handover := notice.Notice{Kind: notice.Handover, Author: lasse.id, Text: "Jia joins.", From: []string{lasse.id},
		To: []string{jia.id}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit}}
	pub, err := f.outbox.PublishStatement(ctx, "xz", f.statement(t, handover, lasse, jia))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * 24 * time.Hour)
	statement := noteOf(t, pub.Notice.Document).Statement
	vm := s1.id + "#" + proof.EncodeMultikey(s1.key.Public().(ed25519.PublicKey))
	backdated, err := proof.Sign(statement, s1.key, vm, pub.Notice.Published)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.outbox.EndorseStatement(ctx, pub.Notice.ID, backdated)
	wantRefused(t, "an endorsement dated a month back", err, 422, "ago")
}

// The Note says what a packager must know before acting on it: a handover dated back says so, and one
// whose incoming person has not accepted says it is pending; once they accept, the Update says neither.
func TestNoteSaysBackdatedAndPending(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.clock.Advance(90 * 24 * time.Hour) // the project's record started 90 days ago
	lasse, jia := f.addPerson(t, "lasse", "xz"), f.addPerson(t, "jia")
	handover := notice.Notice{Kind: notice.Handover, Author: lasse.id, Text: "Jia joins.", From: []string{lasse.id},
		To: []string{jia.id}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit},
		Since: f.clock.Now().Add(-30 * 24 * time.Hour).Truncate(24 * time.Hour)}
	pub, err := f.outbox.PublishStatement(ctx, "xz", f.statement(t, handover, lasse))
	if err != nil {
		t.Fatal(err)
	}
	content := noteOf(t, pub.Notice.Document).ContentHTML
	var note struct {
		ContentMap map[string]string `json:"contentMap"`
	}
	if json.Unmarshal(pub.Notice.Document, &note); note.ContentMap["en"] != content {
		t.Errorf("contentMap = %v, want the content under en", note.ContentMap)
	}
	for _, want := range []string{"⚠ Backdated: published " + f.clock.Now().Format(notice.Date), "⏳ Pending: pending acceptance by <a href=\"" + jia.id + "\">jia</a>: nothing passes to them until they accept"} {
		if !strings.Contains(content, want) {
			t.Errorf("the Note does not say %q:\n%s", want, content)
		}
	}
	f.clock.Advance(time.Minute)
	statement := noteOf(t, pub.Notice.Document).Statement
	if _, err := f.outbox.EndorseStatement(ctx, pub.Notice.ID, f.sign(t, statement, jia)); err != nil {
		t.Fatal(err)
	}
	stored, _ := f.store.Notice(ctx, pub.Notice.ID)
	if content := noteOf(t, stored.Document).ContentHTML; strings.Contains(content, "Pending") || !strings.Contains(content, "Backdated") {
		t.Errorf("after Jia accepts, the Note still says pending, or no longer says backdated:\n%s", content)
	}
}
