package upstream

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"baton/notice"
	"baton/store"
)

// An actor whose keys verification needs that cannot be fetched (the project's, or a signer's; not
// answering, answering 5xx or 404, or answering with a page that is not the actor) makes the notice
// unavailable, not refused: 503, nothing kept, and the next delivery of it is mirrored.
func TestUnreachableKeysAreTriedAgain(t *testing.T) {
	f := newFakeUpstream(t, "lasse")
	f.setMaintainers("lasse")
	d := newDistro(t)
	d.follow(t, f)
	note := f.publish(hiatus("Stepping back for a while."), time.Now().Add(-time.Minute), "lasse")

	for _, c := range []struct {
		path   string
		status int
		whose  string
	}{
		{"/users/xz", http.StatusBadGateway, f.actor("xz")},
		{"/users/xz", http.StatusOK, f.actor("xz")}, // a proxy's error page, served as 200
		{"/users/lasse", http.StatusServiceUnavailable, f.actor("lasse")},
		{"/users/lasse", http.StatusNotFound, f.actor("lasse")},
	} {
		f.fail(c.path, c.status)
		_, err := d.deliver(t, f, note)
		wantStatus(t, c.path+" answering "+http.StatusText(c.status), err, http.StatusServiceUnavailable, "could not be fetched", c.whose)
		f.heal()
	}
	if got := d.rejected(t, f); len(got) != 0 {
		t.Fatalf("kept as refused: %+v, want nothing (it was never judged)", got)
	}
	if got := d.mirrored(t, f); len(got) != 0 {
		t.Fatalf("mirrored %v while its keys could not be fetched", got)
	}
	if outcome, err := d.deliver(t, f, note); err != nil || outcome != Mirrored {
		t.Fatalf("delivered again once the upstream answers: %q, %v; want mirrored", outcome, err)
	}
	if n := d.log.count("upstream notice not verifiable now"); n != 4 {
		t.Errorf("logged %d notices not verifiable now, want 4", n)
	}
	if n := d.log.count("upstream notice rejected"); n != 0 {
		t.Errorf("logged %d rejections, want none", n)
	}
}

// A refusal for the document itself is kept with its reason: the same version delivered again, or
// read by a catch-up, after a restart too, is answered from what was kept without fetching any key,
// and logged once per process. Another version of the notice is judged afresh; following the upstream
// anew forgets them.
func TestDocumentRefusalsAreKept(t *testing.T) {
	f := newFakeUpstream(t, "lasse")
	f.setMaintainers("lasse")
	d := newDistro(t)
	d.follow(t, f)
	genuine := f.publish(hiatus("Stepping back for a while."), time.Now().Add(-time.Minute), "lasse")
	// The project re-signs the Note with words Lasse never signed.
	var m map[string]json.RawMessage
	json.Unmarshal(genuine, &m)
	var stmt map[string]json.RawMessage
	json.Unmarshal(m["statement"], &stmt)
	stmt["text"], _ = json.Marshal("Stepping back for good; Jia Tan takes over.")
	m["statement"], _ = json.Marshal(stmt)
	delete(m, "proof")
	unsigned, _ := json.Marshal(m)
	tampered := f.sign(unsigned)

	_, err := d.deliver(t, f, tampered)
	wantStatus(t, "the tampered notice", err, http.StatusUnprocessableEntity, "the statement's proofs")
	kept := d.rejected(t, f)
	if len(kept) != 1 || kept[0].ID != noteIDOf(t, tampered) || kept[0].Basis != "" || kept[0].Reason != err.(*Error).Reason {
		t.Fatalf("kept %+v, want the tampered notice with the reason it was refused for", kept)
	}
	if kept[0].Digest != documentDigest(tampered) || kept[0].Digest == documentDigest(genuine) {
		t.Fatalf("kept digest %s, want the tampered version's", kept[0].Digest)
	}

	// A restart: delivered again, it is answered from the store, without a fetch.
	d = startDistro(t, d.store)
	before := f.fetched("/users/xz") + f.fetched("/users/lasse")
	_, err = d.deliver(t, f, tampered)
	wantStatus(t, "the tampered notice again", err, http.StatusUnprocessableEntity, "the statement's proofs")
	if after := f.fetched("/users/xz") + f.fetched("/users/lasse"); after != before {
		t.Errorf("judging a notice refused before fetched %d actors", after-before)
	}
	// Two catch-ups read it in the outbox (where it replaced the genuine one): logged once.
	f.mu.Lock()
	f.outbox = nil
	f.mu.Unlock()
	f.serveNote(1, tampered, time.Now())
	before = f.fetched("/users/lasse")
	for range 2 {
		if n, err := d.CatchUp(t.Context(), f.actor("xz")); err != nil || n != 0 {
			t.Fatalf("catch-up: %d mirrored, %v", n, err)
		}
	}
	if n := d.log.count("upstream notice rejected"); n != 1 {
		t.Errorf("this process logged the refusal %d times, want once", n)
	}
	if after := f.fetched("/users/lasse"); after != before {
		t.Errorf("the catch-ups fetched the signer's actor %d times", after-before)
	}

	// The genuine version is another document: judged, and mirrored.
	if outcome, err := d.deliver(t, f, genuine); err != nil || outcome != Mirrored {
		t.Fatalf("the genuine version: %q, %v; want mirrored", outcome, err)
	}

	// Following anew forgets what was refused.
	up, _ := d.store.Upstream(t.Context(), f.actor("xz"))
	up.Follow = store.FollowNone
	d.store.PutUpstream(t.Context(), up)
	d.follow(t, f)
	if got := d.rejected(t, f); len(got) != 0 {
		t.Fatalf("kept after following anew: %+v", got)
	}
}

// A refusal by the trust policy is kept with what it was judged against: it stands while that stays
// as it was, and the notice is judged again once it changed. Jia's hiatus, delivered before the
// handover that made Jia a maintainer, is mirrored at its next delivery after the handover, and in the
// catch-up that brings the missed handover.
func TestPolicyRefusalsStandUntilTheStateChanges(t *testing.T) {
	for _, via := range []string{viaDelivery, viaCatchUp} {
		t.Run(via, func(t *testing.T) {
			f := newFakeUpstream(t, "lasse", "jia")
			f.setMaintainers("lasse")
			d := newDistro(t)
			d.follow(t, f)
			published := time.Now().Add(-time.Hour).Truncate(time.Second)
			handover := f.publish(notice.Notice{Kind: notice.Handover, Text: "Jia joins.", From: []string{f.actor("lasse")},
				To: []string{f.actor("jia")}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit}}, published, "lasse", "jia")
			away := f.publish(hiatus("Jia steps back."), published.Add(time.Minute), "jia")

			_, err := d.deliver(t, f, away)
			wantStatus(t, "Jia's hiatus before the handover", err, http.StatusUnprocessableEntity, "trust policy", "not a maintainer")
			kept := d.rejected(t, f)
			if len(kept) != 1 || !strings.HasPrefix(kept[0].Basis, "policy:") {
				t.Fatalf("kept %+v, want Jia's hiatus refused by the policy", kept)
			}
			before := f.fetched("/users/jia")
			_, err = d.deliver(t, f, away)
			wantStatus(t, "Jia's hiatus again", err, http.StatusUnprocessableEntity, "not a maintainer")
			if f.fetched("/users/jia") != before {
				t.Errorf("a standing refusal fetched the signer's keys again")
			}

			want := []string{noteIDOf(t, handover), noteIDOf(t, away)}
			if via == viaDelivery {
				if outcome, err := d.deliver(t, f, handover); err != nil || outcome != Mirrored {
					t.Fatalf("the handover: %q, %v", outcome, err)
				}
				if outcome, err := d.deliver(t, f, away); err != nil || outcome != Mirrored {
					t.Fatalf("Jia's hiatus after the handover: %q, %v; want mirrored", outcome, err)
				}
			} else if n, err := d.CatchUp(t.Context(), f.actor("xz")); err != nil || n != 2 {
				t.Fatalf("the catch-up mirrored %d, %v; want the handover and Jia's hiatus", n, err)
			}
			if got := d.mirrored(t, f); !slices.Equal(got, want) {
				t.Fatalf("mirrored %v, want %v", got, want)
			}
		})
	}
}

// A distro that followed a project before its first maintainer was named mirrors that maintainer's
// first notice when it is delivered: an open genesis is read again first. While the upstream's actor
// cannot be read, the notice is unavailable, not refused.
func TestOpenGenesisIsReadAgain(t *testing.T) {
	f := newFakeUpstream(t, "lasse")
	d := newDistro(t)
	if up := d.follow(t, f); len(up.Genesis.Maintainers) != 0 {
		t.Fatalf("followed with maintainers %v", up.Genesis.Maintainers)
	}
	f.setMaintainers("lasse")
	note := f.publish(hiatus("First notice."), time.Now().Add(-time.Minute), "lasse")

	f.fail("/users/xz", http.StatusBadGateway)
	_, err := d.deliver(t, f, note)
	wantStatus(t, "with the upstream's actor unreachable", err, http.StatusServiceUnavailable, "names no maintainers", "try again later")
	f.heal()
	if got := d.rejected(t, f); len(got) != 0 {
		t.Fatalf("kept as refused: %+v", got)
	}

	if outcome, err := d.deliver(t, f, note); err != nil || outcome != Mirrored {
		t.Fatalf("the first maintainer's first notice: %q, %v; want mirrored", outcome, err)
	}
	up, err := d.store.Upstream(t.Context(), f.actor("xz"))
	if err != nil || !slices.Equal(up.Genesis.Maintainers, []string{f.actor("lasse")}) {
		t.Fatalf("pinned genesis %+v, %v; want Lasse", up.Genesis, err)
	}
	// Pinned now: the upstream's actor naming others changes nothing.
	f.setMaintainers("mallory")
	other := f.publish(hiatus("Second notice."), time.Now(), "lasse")
	if outcome, err := d.deliver(t, f, other); err != nil || outcome != Mirrored {
		t.Fatalf("a second notice: %q, %v", outcome, err)
	}
	if up, _ := d.store.Upstream(t.Context(), f.actor("xz")); !slices.Equal(up.Genesis.Maintainers, []string{f.actor("lasse")}) {
		t.Fatalf("the pinned genesis changed to %v", up.Genesis.Maintainers)
	}
}

// A catch-up that cannot fetch a notice's keys leaves it for the next one, which mirrors it.
func TestCatchUpTriesUnavailableNoticesAgain(t *testing.T) {
	f := newFakeUpstream(t, "lasse")
	f.setMaintainers("lasse")
	d := newDistro(t)
	d.follow(t, f)
	note := f.publish(hiatus("Stepping back for a while."), time.Now().Add(-time.Minute), "lasse")
	f.fail("/users/lasse", http.StatusBadGateway)
	if n, err := d.CatchUp(t.Context(), f.actor("xz")); err != nil || n != 0 {
		t.Fatalf("catch-up with the signer unreachable: %d, %v", n, err)
	}
	f.heal()
	if got := d.rejected(t, f); len(got) != 0 {
		t.Fatalf("kept as refused: %+v", got)
	}
	if n, err := d.CatchUp(t.Context(), f.actor("xz")); err != nil || n != 1 {
		t.Fatalf("the next catch-up: %d, %v; want %s mirrored", n, err, noteIDOf(t, note))
	}
}

// What a refusal by the policy was judged against changes with everything the policy reads, and not
// with how a time was written, nor within a day.
func TestPolicyBasis(t *testing.T) {
	noon := time.Date(2024, 3, 29, 12, 0, 0, 0, time.UTC)
	type judged struct {
		policy notice.Policy
		now    time.Time
		up     store.Upstream
		h      history
	}
	basis := func(j judged) string {
		return New(Options{Policy: j.policy, Now: func() time.Time { return j.now }}).policyBasis(j.up, j.h)
	}
	start := func() judged {
		return judged{policy: notice.DefaultPolicy(), now: noon,
			up: store.Upstream{Genesis: notice.Genesis{Project: "xz", Since: day("2020-01-01"), Maintainers: []string{lasse}},
				Stewards: []store.Steward{{ID: "https://up/users/s1", Since: day("2021-01-01")}}},
			h: history{signed: []notice.Signed{{ID: "https://up/notices/1",
				Proofs: []notice.Proof{{Person: lasse, Key: "SHA256:a", Created: day("2022-01-01")}}}}}}
	}
	base := basis(start())
	for what, change := range map[string]func(*judged){
		"the genesis's time written in another zone": func(j *judged) { j.up.Genesis.Since = j.up.Genesis.Since.In(time.FixedZone("CET", 3600)) },
		"an hour later": func(j *judged) { j.now = noon.Add(time.Hour) },
	} {
		j := start()
		change(&j)
		if basis(j) != base {
			t.Errorf("%s: the basis changed", what)
		}
	}
	for what, change := range map[string]func(*judged){
		"a maintainer":     func(j *judged) { j.up.Genesis.Maintainers = []string{lasse, jia} },
		"a genesis key":    func(j *judged) { j.up.Genesis.Keys = []notice.SigningKey{{Fingerprint: "AB"}} },
		"the record start": func(j *judged) { j.up.Genesis.Since = day("2019-01-01") },
		"a steward":        func(j *judged) { j.up.Stewards = nil },
		"a notice":         func(j *judged) { j.h.signed = nil },
		"a proof":          func(j *judged) { j.h.signed[0].Proofs = append(j.h.signed[0].Proofs, notice.Proof{Person: jia}) },
		"the policy":       func(j *judged) { j.policy.StewardEndorsements = 3 },
		"the day":          func(j *judged) { j.now = noon.Add(24 * time.Hour) },
	} {
		j := start()
		change(&j)
		if basis(j) == base {
			t.Errorf("changing %s leaves the basis as it was", what)
		}
	}
}
