package notice

import (
	"slices"
	"testing"
)

// xzActor stands for the project itself: the author of what its instance says for it.
const xzActor = "https://n.example/users/xz"

// byInstance is a notice the instance published for xz, which has no maintainer.
func byInstance(id, date string, n Notice, signers ...string) Signed {
	n.Author = xzActor
	s := pub(id, date, n, signers...)
	s.ByInstance = true
	return s
}

func adoption(to ...string) Notice {
	return Notice{Project: "xz", Kind: Handover, Text: "xz is adopted.", From: []string{xzActor}, To: to, Mode: Successor, Scope: Rights}
}

// An adoption is a handover from the instance: nothing passes until the person accepts it, it asks the
// stewards like any change of rights, and once accepted the project has a maintainer and its instance
// says nothing more for it.
func TestAdoptionByInstance(t *testing.T) {
	g := genesis()
	hiatus := byInstance("n1", "2024-01-10", Notice{Project: "xz", Kind: Hiatus, Text: "Nobody looks after xz."})
	offer := byInstance("n2", "2024-02-01", adoption(dan))

	st := Fold(g, []Signed{hiatus, offer}, stewards, DefaultPolicy(), day("2024-02-02"))
	if len(st.Maintainers) != 0 || len(st.Pending) != 1 || st.Pending[0].Waiting != "acceptance" || !slices.Equal(st.Pending[0].People, []string{dan}) {
		t.Fatalf("before acceptance: maintainers %v, pending %+v; want dan's acceptance pending and nobody holding anything", st.Maintainers, st.Pending)
	}
	if !st.Unmaintained || len(st.Rejected) != 0 {
		t.Errorf("before acceptance: unmaintained %v, rejected %+v", st.Unmaintained, st.Rejected)
	}
	e := Evaluate(Fold(g, []Signed{hiatus}, stewards, DefaultPolicy(), day("2024-02-01")), offer, stewards, DefaultPolicy(), day("2024-02-02"))
	wantMissing := []string{"acceptance: dan (incoming) has not signed", "stewards: 0 of 2 needed (independent steward endorsements)"}
	if !e.Required || e.Endorsed || !slices.Equal(e.Missing, wantMissing) {
		t.Errorf("adoption's endorsement: required %v endorsed %v missing %q, want missing %q", e.Required, e.Endorsed, e.Missing, wantMissing)
	}

	accepted := offer.endorsedOn(dan, "2024-02-03").endorsedOn(steward, "2024-02-04").endorsedOn(sarah, "2024-02-04")
	st = Fold(g, []Signed{hiatus, accepted}, stewards, DefaultPolicy(), day("2024-02-05"))
	if len(st.Maintainers) != 1 || st.Maintainers[0].Person != dan || len(st.Maintainers[0].Rights) != len(Rights) {
		t.Fatalf("after acceptance: maintainers %+v, want dan with every right", st.Maintainers)
	}
	if st.Unmaintained || st.Orphaned || len(st.Hiatus) != 0 || len(st.Unendorsed) != 0 || len(st.Pending) != 0 {
		t.Errorf("after acceptance: unmaintained %v orphaned %v hiatus %+v unendorsed %+v pending %+v", st.Unmaintained, st.Orphaned, st.Hiatus, st.Unendorsed, st.Pending)
	}
	if st.Scrutiny.Until.IsZero() {
		t.Error("an adoption opens no scrutiny window; every handover does")
	}

	// Now dan speaks for xz, and the instance no longer does.
	late := byInstance("n3", "2024-03-01", Notice{Project: "xz", Kind: Scrutiny, Text: "Review.", Until: day("2024-06-01")})
	st = Fold(g, []Signed{hiatus, accepted, late}, stewards, DefaultPolicy(), day("2024-03-02"))
	if len(st.Rejected) != 1 || st.Rejected[0].Notice != "n3" {
		t.Errorf("the instance's notice after the adoption: rejected %+v, want n3 refused", st.Rejected)
	}
	own := pub("n4", "2024-03-01", hiatusBy(dan), dan)
	if st := Fold(g, []Signed{hiatus, accepted, own}, stewards, DefaultPolicy(), day("2024-03-02")); len(st.Rejected) != 0 || len(st.Hiatus) != 1 {
		t.Errorf("dan's own hiatus: rejected %+v, hiatus %+v", st.Rejected, st.Hiatus)
	}
}

// The instance says of a project without maintainers only what concerns no one's rights, or hands it
// over; each refusal says what to do instead.
func TestWhatTheInstanceMaySay(t *testing.T) {
	tests := []struct {
		n    Notice
		says []string
	}{
		{Notice{Kind: Hiatus}, nil},
		{Notice{Kind: Scrutiny, Reason: "review"}, nil},
		{Notice{Kind: Return}, nil},
		{Notice{Kind: CallForStewards, Role: "reviewer"}, nil},
		{Notice{Kind: Handover, Author: xzActor, From: []string{xzActor}, To: []string{dan}}, nil},
		{Notice{Kind: Handover, Author: xzActor, From: []string{ann}, To: []string{dan}}, []string{"handover: from: the instance hands over a project without maintainers"}},
		{Notice{Kind: Hiatus, From: []string{ann}}, []string{"hiatus: from: the project has no maintainer to name"}},
		{Notice{Kind: ReliefRequest}, []string{"a relief request is a maintainer asking the stewards for help", "call-for-stewards", "baton maintainer add"}},
		{Notice{Kind: SignerChange}, []string{"signer-change: only a maintainer can sign this", "baton maintainer add"}},
		{Notice{Kind: InfraChange}, []string{"infra-change: only a maintainer can sign this"}},
		{Notice{Kind: Revocation}, []string{"revocation: only a maintainer can sign this"}},
		{Notice{Kind: Retirement}, []string{"retirement: the project has no maintainer to retire"}},
	}
	for _, tt := range tests {
		wantContains(t, ByInstance(tt.n), tt.says...)
	}
}

// A new notice may not end before it is published unless it says when it began: then it records a
// past window on purpose.
func TestCheckUntil(t *testing.T) {
	now := day("2026-12-03").Add(10 * 3600e9)
	wantContains(t, CheckUntil(Notice{Until: day("2026-03-01")}, now), "--until 2026-03-01 is already past (today is 2026-12-03)", "--since")
	wantContains(t, CheckUntil(Notice{Until: day("2026-12-03")}, now), "--until 2026-12-03 is already past")
	wantContains(t, CheckUntil(Notice{Until: day("2026-12-04")}, now))
	wantContains(t, CheckUntil(Notice{}, now))
	wantContains(t, CheckUntil(Notice{Since: day("2026-01-10"), Until: day("2026-02-01")}, now))
}
