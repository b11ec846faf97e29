package upstream

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
)

// setStewards names the stewards of the fake's instance, stewards since 2020.
func (f *fakeUpstream) setStewards(names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stewards = nil
	for _, n := range names {
		f.stewards = append(f.stewards, federation.StewardRef{ID: f.actor(n), Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
}

// reissue renders a Note again as its project does when it changed: mutate edits it, then the project
// signs it again, and it is served at its id and in the outbox in place of the old one.
func (f *fakeUpstream) reissue(note []byte, mutate func(n map[string]any)) []byte {
	f.t.Helper()
	var n map[string]any
	if err := json.Unmarshal(note, &n); err != nil {
		f.t.Fatal(err)
	}
	delete(n, "proof")
	mutate(n)
	doc, err := json.Marshal(n)
	if err != nil {
		f.t.Fatal(err)
	}
	signed := f.sign(doc)
	u, _ := url.Parse(n["id"].(string))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notes[u.Path] = signed
	for i, item := range f.outbox {
		var c struct {
			Object struct {
				ID string `json:"id"`
			} `json:"object"`
		}
		if json.Unmarshal(item, &c) == nil && c.Object.ID == n["id"] {
			var create map[string]any
			json.Unmarshal(item, &create)
			create["object"] = json.RawMessage(signed)
			f.outbox[i], _ = json.Marshal(create)
		}
	}
	return signed
}

// endorse is signer's endorsement of a Note's statement, as its project sends it again.
func (f *fakeUpstream) endorse(note []byte, signer string, at time.Time) []byte {
	f.t.Helper()
	var n struct {
		Statement json.RawMessage `json:"statement"`
	}
	if err := json.Unmarshal(note, &n); err != nil {
		f.t.Fatal(err)
	}
	key := f.keys[signer]
	stmt, err := proof.Sign(n.Statement, key, f.urls.PersonKey(signer, key.Public().(ed25519.PublicKey)), at)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.reissue(note, func(m map[string]any) {
		m["statement"] = json.RawMessage(stmt)
		m["updated"] = at.UTC().Format(time.RFC3339)
	})
}

// revoked is a Note as its project renders it once revoked.
func (f *fakeUpstream) revoked(note []byte, revocation string, at time.Time) []byte {
	return f.reissue(note, func(m map[string]any) {
		m["revokedBy"] = revocation
		m["updated"] = at.UTC().Format(time.RFC3339)
	})
}

// changeSetup is xz with Lasse its maintainer and two stewards, a distro with two packages from it,
// and a handover to Jia that Jia accepted, mirrored.
func changeSetup(t *testing.T) (*fakeUpstream, *distro, []byte, time.Time) {
	t.Helper()
	f := newFakeUpstream(t, "lasse", "jia", "s1", "s2")
	f.setMaintainers("lasse")
	f.setStewards("s1", "s2")
	f.names = map[string]string{"s1": "Sam One", "s2": "Sue Two", "lasse": "Lasse Collin", "jia": "Jia Tan"}
	d := newDistro(t)
	up := d.follow(t, f)
	for _, pkg := range []string{"xz-utils", "liblzma"} {
		if err := d.packageActor(t.Context(), pkg, up); err != nil {
			t.Fatal(err)
		}
		if err := d.store.AddWatch(t.Context(), store.Watch{Package: pkg, Upstream: up.Actor, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	published := time.Now().Add(-time.Hour).Truncate(time.Second)
	handover := f.publish(notice.Notice{Kind: notice.Handover, Text: "Jia joins.", From: []string{f.actor("lasse")},
		To: []string{f.actor("jia")}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit}}, published, "lasse", "jia")
	if outcome, err := d.deliver(t, f, handover); err != nil || outcome != Mirrored {
		t.Fatalf("the handover: %q, %v", outcome, err)
	}
	return f, d, handover, published
}

// A mirrored notice whose endorsement completes by this instance's policy is told to every package's
// followers once, naming who endorsed it; a notice that is not endorsed yet, or is sent again, is not.
func TestCompletedEndorsementIsTold(t *testing.T) {
	f, d, handover, published := changeSetup(t)
	id := noteIDOf(t, handover)
	once := f.endorse(handover, "s1", published.Add(time.Minute))
	if outcome, err := d.deliver(t, f, once); err != nil || outcome != Updated {
		t.Fatalf("the first steward's endorsement: %q, %v", outcome, err)
	}
	if got := d.told.list(); len(got) != 0 {
		t.Fatalf("told %q while one steward endorsement of two is missing", got)
	}
	twice := f.endorse(once, "s2", published.Add(2*time.Minute))
	if outcome, err := d.deliver(t, f, twice); err != nil || outcome != Updated {
		t.Fatalf("the second steward's endorsement: %q, %v", outcome, err)
	}
	text := "Upstream now endorsed by Sam One and Sue Two: " + id
	want := []string{"xz-utils handover: " + text, "liblzma handover: " + text}
	if got := d.told.list(); !sameSet(got, want) {
		t.Fatalf("told %q, want %q", got, want)
	}
	if outcome, err := d.deliver(t, f, twice); err != nil || outcome != Unchanged {
		t.Fatalf("the endorsed handover again: %q, %v", outcome, err)
	}
	if n, err := d.CatchUp(t.Context(), f.actor("xz")); err != nil || n != 0 {
		t.Fatalf("catch-up: %d, %v", n, err)
	}
	if got := d.told.list(); len(got) != 2 {
		t.Fatalf("told %q, want the endorsement told once per package", got)
	}
}

// A revoked notice is told once per package, with the revocation's reason, whichever the distro sees
// first: the revocation, or the revoked Note marked by its project.
func TestRevocationIsTold(t *testing.T) {
	for _, first := range []string{"revocation", "revoked note"} {
		t.Run(first, func(t *testing.T) {
			f, d, handover, published := changeSetup(t)
			id := noteIDOf(t, handover)
			revocation := f.publish(notice.Notice{Kind: notice.Revocation, Text: "Withdrawn.", Revokes: []string{id},
				Reason: "Jia was never vetted."}, published.Add(10*time.Minute), "lasse", "s1", "s2")
			marked := f.revoked(handover, noteIDOf(t, revocation), published.Add(11*time.Minute))
			order := [][]byte{revocation, marked}
			if first != "revocation" {
				order = [][]byte{marked, revocation}
			}
			for _, note := range order {
				if _, err := d.deliver(t, f, note); err != nil {
					t.Fatalf("deliver %s: %v", noteIDOf(t, note), err)
				}
			}
			text := "Upstream REVOKED this handover: Jia was never vetted. " + id
			want := []string{"xz-utils revocation: " + text, "liblzma revocation: " + text}
			if got := d.told.list(); !sameSet(got, want) {
				t.Fatalf("told %q, want %q", got, want)
			}
			views, err := d.Mirrored(t.Context(), "xz-utils")
			if err != nil || len(views) != 2 {
				t.Fatalf("mirrored views: %d, %v", len(views), err)
			}
			if v := views[0]; v.RevokedBy != noteIDOf(t, revocation) || v.Revocation.Notice.Reason != "Jia was never vetted." || !v.Updated.After(v.Published) {
				t.Errorf("the handover's view: revoked by %q (%q), updated %s", v.RevokedBy, v.Revocation.Notice.Reason, v.Updated)
			}
		})
	}
}

// Without Tell, a watcher tells nobody and nothing fails.
func TestNilTellIsNoOp(t *testing.T) {
	w := New(Options{})
	if err := w.tell(context.Background(), "xz-utils", notice.Handover, "text"); err != nil {
		t.Fatal(err)
	}
}

func TestChangeText(t *testing.T) {
	long := strings.Repeat("x", 2*maxReasonRunes)
	got := ChangeText(notice.SignerChange, "https://u.example/notices/1", nil, true, long)
	if !strings.HasPrefix(got, "Upstream REVOKED this signer change: xxx") || !strings.HasSuffix(got, "… https://u.example/notices/1") {
		t.Errorf("ChangeText = %q", got)
	}
	if got := ChangeText(notice.Handover, "U", []string{"A", "B", "C"}, false, ""); got != "Upstream now endorsed by A, B and C: U" {
		t.Errorf("ChangeText = %q", got)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
