package notice

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// maintainers sums up who holds what: "ann=all dan=commit,merge".
func maintainers(st State) string {
	var parts []string
	for _, m := range st.Maintainers {
		rights := make([]Right, len(m.Rights))
		for i, g := range m.Rights {
			rights[i] = g.Right
		}
		held := list(rights)
		if slices.Equal(rights, Rights) {
			held = "all"
		}
		parts = append(parts, m.Person+"="+held)
	}
	return strings.Join(parts, " ")
}

func allBut(r Right) string {
	return list(slices.DeleteFunc(slices.Clone(Rights), func(x Right) bool { return x == r }))
}

func rejected(st State) []string {
	var out []string
	for _, r := range st.Rejected {
		out = append(out, r.Notice+": "+r.Reason)
	}
	return out
}

func TestFoldHandovers(t *testing.T) {
	coMaintainer := pub("h1", "2023-01-01", handover(CoMaintainer, people(ann), people(dan), RightCommit, RightMerge), ann, dan)
	successor := pub("h1", "2023-01-01", handover(Successor, people(ann), people(dan), RightCommit), ann, dan)
	successorAll := pub("h1", "2023-01-01", handover(Successor, people(ann), people(dan), Rights...), ann, dan)
	interim := pub("h1", "2023-01-01", with(handover(Interim, people(ann), people(dan), RightCommit), func(n *Notice) { n.Until = day("2023-07-01") }), ann, dan)
	future := pub("h1", "2023-01-01", with(handover(CoMaintainer, people(ann), people(dan), RightCommit), func(n *Notice) { n.Since = day("2023-03-01") }), ann, dan)
	tests := []struct {
		name     string
		notices  []Signed
		at       string
		want     string
		rejected []string
	}{
		{"first maintainer holds every right", nil, "2023-06-01", "ann=all", nil},
		{"co-maintainer: both hold", []Signed{coMaintainer}, "2023-06-01", "ann=all dan=commit, merge", nil},
		{"before the handover", []Signed{coMaintainer}, "2022-12-31", "ann=all", nil},
		{"successor: the scope passes", []Signed{successor}, "2023-06-01", "ann=" + allBut(RightCommit) + " dan=commit", nil},
		{"successor of everything: the outgoing leave", []Signed{successorAll}, "2023-06-01", "dan=all", nil},
		{"interim: until its end", []Signed{interim}, "2023-06-30", "ann=all dan=commit", nil},
		{"interim: ended", []Signed{interim}, "2023-07-01", "ann=all", nil},
		{"interim: the incoming cannot act after the end", []Signed{interim, pub("x", "2023-08-01", hiatusBy(dan), dan)}, "2023-09-01", "ann=all",
			[]string{"x: hiatus: dan is not a maintainer of xz"}},
		{"announced ahead: not before it takes effect", []Signed{future}, "2023-02-01", "ann=all", nil},
		{"announced ahead: from its since", []Signed{future}, "2023-03-01", "ann=all dan=commit", nil},
		{"a co-maintainer can hand on what they got", []Signed{coMaintainer, pub("h2", "2023-02-01", handover(CoMaintainer, people(dan), people(eve), RightMerge), dan, eve)},
			"2023-06-01", "ann=all dan=commit, merge eve=merge", nil},
		{"a successor cannot hand on what they gave", []Signed{successor, pub("h2", "2023-02-01", handover(CoMaintainer, people(ann), people(eve), RightCommit), ann, eve)},
			"2023-06-01", "ann=" + allBut(RightCommit) + " dan=commit", []string{"h2: handover: scope: none of from holds commit, so none can pass it on"}},

		// Revocation takes the rights back.
		{"revoked co-maintainer handover", []Signed{coMaintainer, pub("r1", "2023-03-01", revocation(ann, "h1"), ann)}, "2023-06-01", "ann=all", nil},
		{"before the revocation", []Signed{coMaintainer, pub("r1", "2023-03-01", revocation(ann, "h1"), ann)}, "2023-02-28", "ann=all dan=commit, merge", nil},
		{"revoked successor handover: the outgoing get it back", []Signed{successorAll, pub("r1", "2023-03-01", revocation(ann, "h1"), ann)}, "2023-06-01", "ann=all", nil},
		{"revocation reaches what was handed on from it", []Signed{successorAll,
			pub("h2", "2023-02-01", handover(CoMaintainer, people(dan), people(eve), RightCommit), dan, eve),
			pub("r1", "2023-03-01", revocation(steward, "h1"), steward)}, "2023-06-01", "ann=all", nil},
		{"a notice accepted before the revocation stays accepted", []Signed{coMaintainer,
			pub("w1", "2023-02-01", infraChange(dan, RightWebsite, "https://dan.example"), dan),
			pub("r1", "2023-03-01", revocation(ann, "h1"), ann)}, "2023-06-01", "ann=all", nil},
		{"retirement", []Signed{coMaintainer, pub("x", "2023-02-01", Notice{Project: "xz", Kind: Retirement, Text: "Bye.", Author: ann}, ann)},
			"2023-06-01", "dan=commit, merge", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Fold(genesis(ann), tt.notices, stewards, DefaultPolicy(), day(tt.at))
			if got := maintainers(st); got != tt.want {
				t.Errorf("maintainers = %q, want %q", got, tt.want)
			}
			if got := rejected(st); !slices.Equal(got, tt.rejected) {
				t.Errorf("rejected = %q, want %q", got, tt.rejected)
			}
		})
	}
}

func TestFoldGrantProvenance(t *testing.T) {
	h := pub("h1", "2023-01-01", handover(CoMaintainer, people(ann, ben), people(dan), RightCommit), ann, ben, dan).endorsedOn(steward, "2023-02-01")
	for at, endorsed := range map[string]bool{"2023-01-15": false, "2023-02-01": true} {
		st := Fold(genesis(ann, ben), []Signed{h}, stewards, DefaultPolicy(), day(at))
		g := st.Maintainers[2].Rights[0]
		if g.Right != RightCommit || g.Notice != "h1" || !g.Since.Equal(day("2023-01-01")) || g.Endorsed != endorsed {
			t.Errorf("at %s: dan's grant = %+v, want commit from h1 since 2023-01-01, endorsed %v", at, g, endorsed)
		}
		if len(st.Unendorsed) == 0 == !endorsed {
			t.Errorf("at %s: unendorsed = %+v, want it listed: %v", at, st.Unendorsed, !endorsed)
		}
		if g := st.Maintainers[0].Rights[0]; g.Notice != "" || !g.Endorsed {
			t.Errorf("ann's first grant = %+v, want from genesis, endorsed", g)
		}
	}
}

func TestFoldHiatus(t *testing.T) {
	away := func(id, date, until string) Signed {
		n := hiatusBy(ann)
		if until != "" {
			n.Until = day(until)
		}
		return pub(id, date, n, ann)
	}
	tests := []struct {
		name    string
		notices []Signed
		at      string
		want    string // "person since..until" or ""
	}{
		{"none", nil, "2023-06-01", ""},
		{"open-ended", []Signed{away("a", "2023-01-01", "")}, "2023-06-01", "ann 2023-01-01..open"},
		{"until its end", []Signed{away("a", "2023-01-01", "2023-06-01")}, "2023-05-31", "ann 2023-01-01..2023-06-01"},
		{"ended", []Signed{away("a", "2023-01-01", "2023-06-01")}, "2023-06-01", ""},
		{"a return ends it", []Signed{away("a", "2023-01-01", ""), pub("r", "2023-03-01", returnOf(ann), ann)}, "2023-06-01", ""},
		{"a return does not end a later hiatus", []Signed{away("a", "2023-01-01", ""), pub("r", "2023-03-01", returnOf(ann), ann), away("b", "2023-04-01", "")},
			"2023-06-01", "ann 2023-04-01..open"},
		{"a later hiatus replaces the earlier", []Signed{away("a", "2023-01-01", "2023-12-01"), away("b", "2023-02-01", "2023-03-01")}, "2023-02-15", "ann 2023-02-01..2023-03-01"},
		{"a co-maintainer records another's hiatus", []Signed{pub("a", "2023-01-01", Notice{Project: "xz", Kind: Hiatus, Text: "x", Author: ben, From: people(ann)}, ben)},
			"2023-06-01", "ann 2023-01-01..open"},
		{"retirement ends it", []Signed{away("a", "2023-01-01", ""), pub("x", "2023-02-01", Notice{Project: "xz", Kind: Retirement, Text: "Bye.", Author: ann}, ann)}, "2023-06-01", ""},
		{"a revoked hiatus", []Signed{away("a", "2023-01-01", ""), pub("x", "2023-02-01", revocation(ben, "a"), ben)}, "2023-06-01", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Fold(genesis(ann, ben), tt.notices, stewards, DefaultPolicy(), day(tt.at))
			var got []string
			for _, a := range st.Hiatus {
				until := "open"
				if !a.Until.IsZero() {
					until = a.Until.Format(Date)
				}
				got = append(got, a.Person+" "+a.Since.Format(Date)+".."+until)
			}
			if strings.Join(got, "; ") != tt.want {
				t.Errorf("hiatus = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFoldScrutiny(t *testing.T) {
	h1 := pub("h1", "2023-01-01", handover(CoMaintainer, people(ann), people(dan), RightCommit), ann, dan)
	k1 := pub("k1", "2023-06-01", signerChange(dan, []SigningKey{pgp(pgpKey2, dan)}, nil), dan)
	w1 := pub("w1", "2023-03-01", infraChange(ann, RightCI, "ci.example.org"), ann)
	tests := []struct {
		name    string
		notices []Signed
		policy  Policy
		at      string
		want    string // "since..until: reasons", or "" when no window is open
	}{
		{"a handover opens a year", []Signed{h1}, DefaultPolicy(), "2023-01-01", "2023-01-01..2024-01-01: h1"},
		{"the window closes", []Signed{h1}, DefaultPolicy(), "2024-01-01", ""},
		{"a later change extends it", []Signed{h1, k1}, DefaultPolicy(), "2024-01-01", "2023-01-01..2024-05-31: h1 k1"},
		{"every infra-change opens one, CI included", []Signed{w1}, DefaultPolicy(), "2023-03-02", "2023-03-01..2024-02-29: w1"},
		{"a change after the window starts a new one", []Signed{h1, pub("k2", "2024-02-01", signerChange(dan, []SigningKey{pgp(pgpKey2, dan)}, nil), dan)},
			DefaultPolicy(), "2024-02-01", "2024-02-01..2025-01-31: k2"},
		{"an explicit window", []Signed{pub("s1", "2023-01-01", scrutinyUntil(steward, "2023-02-01"), steward)}, DefaultPolicy(), "2023-01-15", "2023-01-01..2023-02-01: s1"},
		{"an explicit window does not shorten one", []Signed{h1, pub("s1", "2023-02-01", scrutinyUntil(steward, "2023-03-01"), steward)},
			DefaultPolicy(), "2023-06-01", "2023-01-01..2024-01-01: h1 s1"},
		{"an explicit window lengthens one", []Signed{h1, pub("s1", "2023-02-01", scrutinyUntil(steward, "2025-01-01"), steward)},
			DefaultPolicy(), "2024-06-01", "2023-01-01..2025-01-01: h1 s1"},
		{"a revoked explicit window is gone", []Signed{pub("s1", "2023-01-01", scrutinyUntil(steward, "2023-06-01"), steward), pub("r1", "2023-02-01", revocation(ann, "s1"), ann)},
			DefaultPolicy(), "2023-03-01", ""},
		{"a revocation of a handover extends it", []Signed{h1, pub("r1", "2023-06-01", revocation(ann, "h1"), ann)},
			DefaultPolicy(), "2024-01-01", "2023-01-01..2024-05-31: h1 r1"},
		{"a revocation of a hiatus opens none", []Signed{pub("a", "2023-01-01", hiatusBy(ann), ann), pub("r1", "2023-06-01", revocation(ann, "a"), ann)},
			DefaultPolicy(), "2023-06-01", ""},
		{"a hiatus opens none", []Signed{pub("a", "2023-01-01", hiatusBy(ann), ann)}, DefaultPolicy(), "2023-06-01", ""},
		{"a policy window of 30 days", []Signed{h1}, Policy{ScrutinyWindow: 30 * 24 * time.Hour}, "2023-01-15", "2023-01-01..2023-01-31: h1"},
		{"a policy with no window", []Signed{h1}, Policy{}, "2023-01-01", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Fold(genesis(ann), tt.notices, stewards, tt.policy, day(tt.at))
			if got := window(st.Scrutiny); got != tt.want {
				t.Errorf("window = %q, want %q", got, tt.want)
			}
			if len(st.Rejected) > 0 {
				t.Errorf("rejected: %q", rejected(st))
			}
		})
	}
}

func window(w Window) string {
	if !w.Open() {
		return ""
	}
	var reasons []string
	for _, r := range w.Reasons {
		reasons = append(reasons, r.Notice)
	}
	return fmt.Sprintf("%s..%s: %s", w.Since.Format(Date), w.Until.Format(Date), strings.Join(reasons, " "))
}

// A notice recording the past is unknown before it is published. As known, its window runs from its
// publication, so dating it back shortens nothing; with hindsight, from the date it gives.
func TestFoldBackdated(t *testing.T) {
	n := handover(CoMaintainer, people(ann), people(dan), RightCommit)
	n.Since = day("2023-01-01")
	notices := []Signed{pub("h1", "2023-06-01", n, ann, dan)}
	now := day("2026-01-01")
	tests := []struct {
		at, maintainers, window, hindsight string
	}{
		{"2022-12-31", "ann=all", "", ""},
		{"2023-03-01", "ann=all", "", "2023-01-01..2024-01-01: h1"}, // in effect already, but not yet published
		{"2023-05-31", "ann=all", "", "2023-01-01..2024-01-01: h1"},
		{"2023-06-01", "ann=all dan=commit", "2023-06-01..2024-05-31: h1", "2023-01-01..2024-01-01: h1"},
		{"2024-01-01", "ann=all dan=commit", "2023-06-01..2024-05-31: h1", ""},
		{"2024-05-31", "ann=all dan=commit", "", ""},
	}
	for _, tt := range tests {
		st := Fold(genesis(ann), notices, stewards, DefaultPolicy(), day(tt.at))
		if got := maintainers(st); got != tt.maintainers {
			t.Errorf("at %s: maintainers = %q, want %q", tt.at, got, tt.maintainers)
		}
		if got := window(st.Scrutiny); got != tt.window {
			t.Errorf("at %s: window = %q, want %q", tt.at, got, tt.window)
		}
		if st.Scrutiny.Open() && (len(st.Scrutiny.Reasons) != 1 || !st.Scrutiny.Reasons[0].Backdated.Equal(day("2023-06-01"))) {
			t.Errorf("at %s: the window's reason is not marked backdated: %+v", tt.at, st.Scrutiny.Reasons)
		}
		if got := window(FoldHindsight(genesis(ann), notices, stewards, DefaultPolicy(), day(tt.at), now).Scrutiny); got != tt.hindsight {
			t.Errorf("at %s with hindsight: window = %q, want %q", tt.at, got, tt.hindsight)
		}
	}
}

// Backdating cannot skip a window: a handover dated years back opens a full window when published.
func TestFoldBackdatingSkipsNothing(t *testing.T) {
	for _, since := range []string{"2020-01-01", "2023-05-01", ""} {
		n := handover(Successor, people(ann), people(dan), RightCommit)
		if since != "" {
			n.Since = day(since)
		}
		notices := []Signed{pub("h1", "2024-06-01", n, ann, dan, steward, sarah)}
		st := Fold(genesis(ann), notices, stewards, DefaultPolicy(), day("2024-06-02"))
		if v := Check(st); v.Code != ExitScrutiny || window(st.Scrutiny) != "2024-06-01..2025-06-01: h1" {
			t.Errorf("since %q: check %d, window %q; want 2 and a window from publication", since, v.Code, window(st.Scrutiny))
		}
		backdated := since != "" && since != "2024-06-01"
		if got := strings.Contains(strings.Join(Check(st).Reasons, "\n"), "backdated: dated "+since+", published 2024-06-01"); got != backdated {
			t.Errorf("since %q: reasons say backdated %v, want %v", since, got, backdated)
		}
	}
}

// A notice may not take effect before the project's record starts.
func TestFoldBeforeRecord(t *testing.T) {
	n := hiatusBy(ann)
	n.Since = day("2019-12-31")
	st := Fold(genesis(ann), []Signed{pub("a", "2024-01-01", n, ann)}, stewards, DefaultPolicy(), day("2024-01-02"))
	wantContains(t, errors.New(strings.Join(rejected(st), "\n")), "since: 2019-12-31 is before the start of the project's record (2020-01-01)")
	n.Since = day("2020-01-01")
	if st := Fold(genesis(ann), []Signed{pub("a", "2024-01-01", n, ann)}, stewards, DefaultPolicy(), day("2024-01-02")); len(st.Rejected) > 0 {
		t.Errorf("a notice dated the day the record starts was rejected: %q", rejected(st))
	}
}

// Before the record starts there is no record: check says so, never "normal".
func TestFoldNoRecord(t *testing.T) {
	g := genesis(ann)
	g.Since, g.Added = day("2021-10-01"), day("2026-12-01")
	tests := []struct {
		at        string
		hindsight bool
		code      int
	}{
		{"2021-09-30", true, ExitNoRecord},
		{"2021-10-01", true, ExitNormal},
		{"2022-06-01", true, ExitNormal},
		{"2022-06-01", false, ExitNoRecord}, // as known: the instance took the project on in 2026
		{"2026-11-30", false, ExitNoRecord},
		{"2026-12-01", false, ExitNormal},
	}
	for _, tt := range tests {
		var st State
		if tt.hindsight {
			st = FoldHindsight(g, nil, stewards, DefaultPolicy(), day(tt.at), day("2026-12-03"))
		} else {
			st = Fold(g, nil, stewards, DefaultPolicy(), day(tt.at))
		}
		v := Check(st)
		if v.Code != tt.code {
			t.Errorf("at %s (hindsight %v): check %d %q, want %d", tt.at, tt.hindsight, v.Code, v.Reasons, tt.code)
		}
		if tt.code == ExitNoRecord && (len(st.Maintainers) != 0 || !strings.Contains(v.Reasons[0], "no record of the project")) {
			t.Errorf("at %s: no record, yet %+v %q", tt.at, st.Maintainers, v.Reasons)
		}
		if got := CheckSigner(st, pgpKey).Code; tt.code == ExitNoRecord && got != ExitNoRecord {
			t.Errorf("at %s: --signer answers %d with no record", tt.at, got)
		}
	}
}

// Notices apply in the order they took effect, whatever order they come in.
func TestFoldOrder(t *testing.T) {
	late := pub("r", "2023-03-01", returnOf(ann), ann)
	early := pub("a", "2023-01-01", hiatusBy(ann), ann)
	backdated := pub("b", "2023-04-01", with(hiatusBy(ann), func(n *Notice) { n.Since = day("2023-02-01") }), ann)
	for _, order := range [][]Signed{{early, late}, {late, early}} {
		if st := Fold(genesis(ann), order, stewards, DefaultPolicy(), day("2023-06-01")); len(st.Hiatus) != 0 {
			t.Errorf("order %v: hiatus = %+v, want the return to end it", ids(order), st.Hiatus)
		}
	}
	// Recorded later, the hiatus of 2023-02-01 falls before the return of 2023-03-01, which ends it.
	if st := Fold(genesis(ann), []Signed{early, late, backdated}, stewards, DefaultPolicy(), day("2023-06-01")); len(st.Hiatus) != 0 {
		t.Errorf("hiatus = %+v, want none", st.Hiatus)
	}
}

func TestFoldSigners(t *testing.T) {
	g := Genesis{Project: "xz", Maintainers: people(ann, ben), Since: day("2020-01-01"), Keys: []SigningKey{pgp(pgpKey, ann)}}
	add := pub("k1", "2023-01-01", signerChange(ben, []SigningKey{ssh(sshKey, ben)}, nil), ben)
	remove := pub("k2", "2023-02-01", signerChange(ann, nil, []SigningKey{pgp(pgpKey, "")}), ann, ben)
	revoke := pub("r1", "2023-03-01", revocation(ann, "k1"), ann)
	all := []Signed{add, remove, revoke}
	tests := []struct {
		name, at, fp string
		want         string // "valid/removed/revoked since notice endorsed", or "unknown"
	}{
		{"a first key", "2022-01-01", pgpKey, "valid 2020-01-01 - endorsed"},
		{"lower-case lookup", "2022-01-01", strings.ToLower(pgpKey), "valid 2020-01-01 - endorsed"},
		{"not yet announced", "2022-12-31", sshKey, "unknown"},
		{"announced, unendorsed", "2023-01-01", sshKey, "valid 2023-01-01 k1 unendorsed"},
		{"removed", "2023-02-01", pgpKey, "removed 2020-01-01 - endorsed"},
		{"revoked", "2023-03-01", sshKey, "revoked 2023-01-01 k1 unendorsed"},
		{"never announced", "2023-03-01", pgpKey2, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Fold(g, all, stewards, DefaultPolicy(), day(tt.at))
			if got := signerSummary(st, tt.fp); got != tt.want {
				t.Errorf("Signer(%s) = %q, want %q", tt.fp, got, tt.want)
			}
		})
	}
	st := Fold(g, all, stewards, DefaultPolicy(), day("2023-03-01"))
	if s, _ := st.Signer(pgpKey); s.RemovedBy != "k2" || !s.Removed.Equal(day("2023-02-01")) {
		t.Errorf("removed key: %+v, want removed by k2 on 2023-02-01", s)
	}
	if s, _ := st.Signer(sshKey); s.RevokedBy != "r1" || s.Valid() {
		t.Errorf("revoked key: %+v, want revoked by r1", s)
	}
}

func signerSummary(st State, fp string) string {
	s, ok := st.Signer(fp)
	if !ok {
		return "unknown"
	}
	status := "valid"
	switch {
	case s.RevokedBy != "":
		status = "revoked"
	case !s.Removed.IsZero():
		status = "removed"
	}
	notice, endorsed := s.Notice, "endorsed"
	if notice == "" {
		notice = "-"
	}
	if !s.Endorsed {
		endorsed = "unendorsed"
	}
	return fmt.Sprintf("%s %s %s %s", status, s.Since.Format(Date), notice, endorsed)
}

func TestFoldRelief(t *testing.T) {
	relief := func(until string) Signed {
		n := Notice{Project: "xz", Kind: ReliefRequest, Text: "I need help.", Author: ann, Help: []Help{HelpReview}}
		if until != "" {
			n.Until = day(until)
		}
		return pub("rr", "2023-01-01", n, ann)
	}
	tests := []struct {
		name    string
		notices []Signed
		at      string
		pending bool
	}{
		{"pending", []Signed{relief("")}, "2023-06-01", true},
		{"until its end", []Signed{relief("2023-06-01")}, "2023-05-31", true},
		{"ended", []Signed{relief("2023-06-01")}, "2023-06-01", false},
		{"answered by a handover", []Signed{relief(""), pub("h", "2023-02-01", handover(CoMaintainer, people(ann), people(dan), RightCommit), ann, dan)}, "2023-06-01", false},
		{"answered by a return", []Signed{relief(""), pub("r", "2023-02-01", returnOf(ann), ann)}, "2023-06-01", false},
		{"answered by a handover later revoked: pending again", []Signed{relief(""), pub("h", "2023-02-01", handover(CoMaintainer, people(ann), people(dan), RightCommit), ann, dan),
			pub("r", "2023-03-01", revocation(ann, "h"), ann)}, "2023-06-01", true},
		{"not answered by someone else's return", []Signed{relief(""), pub("r", "2023-02-01", returnOf(ben), ben)}, "2023-06-01", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Fold(genesis(ann, ben), tt.notices, stewards, DefaultPolicy(), day(tt.at))
			if got := len(st.PendingRelief) == 1; got != tt.pending {
				t.Errorf("pending relief = %+v, want pending: %v", st.PendingRelief, tt.pending)
			}
			if len(st.ForPublic().PendingRelief) != 0 {
				t.Errorf("ForPublic shows pending relief")
			}
		})
	}
}

func TestFoldRejects(t *testing.T) {
	zlib := hiatusBy(ann)
	zlib.Project = "zlib"
	badRelief := Notice{Project: "xz", Kind: ReliefRequest, Text: "Help.", Author: dan, Help: []Help{HelpReview}}
	notices := []Signed{
		pub("a", "2023-01-01", hiatusBy(ann), ann),
		pub("a", "2023-02-01", returnOf(ann), ann),
		pub("", "2023-02-01", returnOf(ann), ann),
		pub("z", "2023-02-01", zlib, ann),
		pub("s", "2023-02-01", handover(Successor, people(dan), people(eve), RightCommit), dan, eve),
		pub("rr", "2023-02-01", badRelief, dan),
	}
	st := Fold(genesis(ann), notices, stewards, DefaultPolicy(), day("2023-06-01"))
	want := []string{
		"a: id: another notice with id a took effect",
		": id: an id is empty",
		`z: project: the notice is for "zlib", the state for "xz"`,
		"s: handover: dan is not a maintainer of xz",
		"rr: relief-request: dan is not a maintainer of xz",
	}
	if got := rejected(st); !slices.Equal(got, want) {
		t.Errorf("rejected:\n got %q\nwant %q", got, want)
	}
	if maintainers(st) != "ann=all" || len(st.Hiatus) != 1 || st.Scrutiny.Open() {
		t.Errorf("a rejected notice changed the state: %s, hiatus %+v, window %+v", maintainers(st), st.Hiatus, st.Scrutiny)
	}
	public := rejected(st.ForPublic())
	if len(public) != 4 || slices.ContainsFunc(public, func(r string) bool { return strings.HasPrefix(r, "rr:") }) {
		t.Errorf("ForPublic rejections = %q, want all but the relief request", public)
	}
	if len(st.Rejected) != 5 {
		t.Errorf("ForPublic changed the state it copied")
	}
}

func TestFoldOrphaned(t *testing.T) {
	bye := pub("x", "2023-01-01", Notice{Project: "xz", Kind: Retirement, Text: "Bye.", Author: ann, Orphaned: true}, ann)
	st := Fold(genesis(ann), []Signed{bye}, stewards, DefaultPolicy(), day("2023-06-01"))
	if !st.Orphaned || len(st.Maintainers) != 0 || !slices.Equal(st.Retired, people(ann)) {
		t.Errorf("orphaned %v, maintainers %s, retired %v; want orphaned, none, [ann]", st.Orphaned, maintainers(st), st.Retired)
	}
	// Nobody is left to hand over, but a steward may still call for help and revoke.
	later := []Signed{bye,
		pub("c", "2023-02-01", Notice{Project: "xz", Kind: CallForStewards, Text: "Help xz.", Author: steward, Role: "maintainer", Public: true,
			Scope: []Right{RightCommit}, Term: Term{Months: 6}}, steward),
		pub("h", "2023-02-01", handover(CoMaintainer, people(ann), people(dan), RightCommit), ann, dan),
	}
	st = Fold(genesis(ann), later, stewards, DefaultPolicy(), day("2023-06-01"))
	if got := ids2(st.Rejected); !slices.Equal(got, []string{"h"}) {
		t.Errorf("rejected %v, want [h]", got)
	}
}

func ids2(rs []Rejection) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Notice)
	}
	return out
}

func TestFoldBeforeGenesis(t *testing.T) {
	st := Fold(genesis(ann), []Signed{pub("a", "2019-06-01", hiatusBy(ann), ann)}, stewards, DefaultPolicy(), day("2019-12-31"))
	if len(st.Maintainers) != 0 || st.Orphaned || len(st.Rejected) != 0 || st.Project != "xz" {
		t.Errorf("before genesis: %+v, want an empty state for xz", st)
	}
}

func TestGenesisValidate(t *testing.T) {
	good := Genesis{Project: "xz", Maintainers: people(ann, ben), Keys: []SigningKey{pgp(pgpKey, ann)}}
	tests := []struct {
		name string
		edit func(*Genesis)
		want []string
	}{
		{"good", func(*Genesis) {}, nil},
		{"no project", func(g *Genesis) { g.Project = "" }, []string{"genesis: project: name is empty"}},
		{"nobody", func(g *Genesis) { g.Maintainers, g.Keys = nil, nil }, []string{"genesis: maintainers: a project starts with at least one maintainer"}},
		{"twice", func(g *Genesis) { g.Maintainers = people(ann, ann) }, []string{"genesis: maintainers: ann is named twice"}},
		{"a stranger's key", func(g *Genesis) { g.Keys[0].Holder = dan }, []string{"genesis: keys[0]: holder dan is not among the maintainers"}},
		{"a bad key", func(g *Genesis) { g.Keys[0].Fingerprint = "x" }, []string{`genesis: keys[0]: fingerprint "x": an OpenPGP fingerprint is 40 (v4) or 64 (v5) hex digits, without spaces`}},
	}
	for _, tt := range tests {
		g := good
		g.Keys = slices.Clone(good.Keys)
		tt.edit(&g)
		t.Run(tt.name, func(t *testing.T) { wantErrors(t, g.Validate(), tt.want...) })
	}
}

// The incoming person of a handover holds nothing until they accept it.
func TestFoldPendingAcceptance(t *testing.T) {
	h := pub("h1", "2024-01-01", handover(Successor, people(ann), people(dan), RightCommit, RightReleaseSigning), ann, steward, sarah)
	st := Fold(genesis(ann), []Signed{h}, stewards, DefaultPolicy(), day("2024-02-01"))
	if got := maintainers(st); got != "ann=all" {
		t.Errorf("before dan accepts: maintainers = %q, want ann alone, keeping what she would pass on", got)
	}
	if len(st.Pending) != 1 || st.Pending[0].Waiting != "acceptance" || st.Pending[0].People[0] != dan {
		t.Errorf("pending = %+v, want dan's acceptance", st.Pending)
	}
	if v := Check(st); v.Code != ExitUnendorsed || !strings.Contains(strings.Join(v.Reasons, "\n"), "pending acceptance: dan has not accepted handover h1") {
		t.Errorf("check = %d %q, want 3 saying dan has not accepted", v.Code, v.Reasons)
	}
	accepted := h.endorsedOn(dan, "2024-03-01")
	if got := maintainers(Fold(genesis(ann), []Signed{accepted}, stewards, DefaultPolicy(), day("2024-02-01"))); got != "ann=all" {
		t.Errorf("as known before the acceptance: maintainers = %q", got)
	}
	st = Fold(genesis(ann), []Signed{accepted}, stewards, DefaultPolicy(), day("2024-03-02"))
	if got := maintainers(st); !strings.Contains(got, "dan=commit, release-signing") || len(st.Pending) != 0 {
		t.Errorf("after dan accepts: maintainers = %q, pending %+v", got, st.Pending)
	}
	if g := st.HeldBy(dan); len(g) != 2 || g[0].Notice != "h1" {
		t.Errorf("HeldBy(dan) = %+v", g)
	}
}
