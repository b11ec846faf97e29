package notice

import (
	"slices"
	"strings"
	"testing"
)

func TestEvaluate(t *testing.T) {
	p, at := DefaultPolicy(), day("2024-06-01")
	state := func(maintainers ...string) State { return Fold(genesis(maintainers...), nil, stewards, p, at) }
	one, two, three := state(ann), state(ann, ben), state(ann, ben, cat)
	withStewardMaintainer := Fold(genesis(ann, steward), nil, stewards, p, at)
	keyed := Fold(Genesis{Project: "xz", Maintainers: people(ann, ben), Since: day("2020-01-01"), Keys: []SigningKey{ssh(sshKey, ben)}}, nil, stewards, p, at)

	annToDan := handover(CoMaintainer, people(ann), people(dan), RightCommit)
	sign := func(n Notice, signers ...string) Signed { return pub("n", "2024-06-01", n, signers...) }
	// ann holds every right, dan only commit: he cannot move what ann holds on his own.
	shared := Fold(genesis(ann), []Signed{pub("h", "2024-01-01", annToDan, ann, dan)}, stewards, p, at)
	tests := []struct {
		name       string
		state      State
		sn         Signed
		endorsed   bool
		consent    []string // who counted, then the need
		need       int
		acceptance []string
		stewards   []string
		missing    []string // parts of Missing, in order
		ignored    []string // parts of Ignored
	}{
		// Consent: a strict majority of the current maintainers.
		{"one maintainer consents alone", one, sign(annToDan, ann, dan, steward, sarah), true, people(ann), 1, people(dan), people(steward, sarah), nil, nil},
		{"two maintainers: both", two, sign(annToDan, ann, dan, steward), false, people(ann), 2, people(dan), people(steward),
			[]string{"consent: 1 of 2 needed (a majority of the current maintainers)"}, nil},
		{"two maintainers, both signed", two, sign(annToDan, ann, ben, dan, steward), true, people(ann, ben), 2, people(dan), people(steward), nil, nil},
		{"three maintainers: two will do", three, sign(annToDan, ann, cat, dan, steward), true, people(ann, cat), 2, people(dan), people(steward), nil, nil},
		{"three maintainers: one is not enough", three, sign(annToDan, ann, dan, steward), false, people(ann), 2, people(dan), people(steward),
			[]string{"consent: 1 of 2 needed"}, nil},
		{"every outgoing maintainer must consent", three, sign(handover(Successor, people(ann, ben), people(dan), RightCommit), ann, cat, dan, steward), false,
			people(ann, cat), 2, people(dan), people(steward), []string{"consent: ben (outgoing) has not signed"}, nil},

		// Acceptance: every incoming person.
		{"incoming has not accepted", one, sign(annToDan, ann, steward, sarah), false, people(ann), 1, nil, people(steward, sarah),
			[]string{"acceptance: dan (incoming) has not signed"}, nil},
		{"holder of an added key must accept", two, sign(signerChange(ann, []SigningKey{pgp(pgpKey2, ben)}, nil), ann, steward), false,
			people(ann), 2, nil, people(steward), []string{"consent: 1 of 2 needed", "acceptance: ben (incoming) has not signed"}, nil},
		{"holder of a removed key is outgoing", keyed, sign(signerChange(ann, nil, []SigningKey{ssh(sshKey, "")}), ann, steward), false,
			people(ann), 2, nil, people(steward), []string{"consent: ben (outgoing) has not signed"}, nil},

		// Stewards: k=2 for a single maintainer, k=1 for a shared project.
		{"single maintainer, no steward", one, sign(annToDan, ann, dan), false, people(ann), 1, people(dan), nil,
			[]string{"stewards: 0 of 2 needed (independent steward endorsements)"}, nil},
		{"single maintainer, one steward", one, sign(annToDan, ann, dan, steward), false, people(ann), 1, people(dan), people(steward),
			[]string{"stewards: 1 of 2 needed"}, nil},
		{"shared project, one steward", two, sign(annToDan, ann, ben, dan, sarah), true, people(ann, ben), 2, people(dan), people(sarah), nil, nil},
		{"a steward who is incoming does not count", one, sign(handover(CoMaintainer, people(ann), people(steward), RightCommit), ann, steward, sarah), false,
			people(ann), 1, people(steward), people(sarah), []string{"stewards: 1 of 2 needed"}, []string{"steward is a steward but a party to this change"}},
		{"a steward who is a maintainer does not count", withStewardMaintainer, sign(annToDan, ann, steward, dan, sarah), true,
			people(ann, steward), 2, people(dan), people(sarah), nil, []string{"steward is a steward but a party to this change"}},
		{"sockpuppets count for nothing", one, sign(annToDan, ann, dan, "jigar", "dennis"), false, people(ann), 1, people(dan), nil,
			[]string{"stewards: 0 of 2"}, []string{"dennis is neither a maintainer, incoming, nor a steward", "jigar is neither"}},
		{"another project's maintainer counts for nothing", one, sign(annToDan, ann, dan, bob, steward, sarah), true, people(ann), 1, people(dan), people(steward, sarah),
			nil, []string{"bob is neither a maintainer, incoming, nor a steward: counts for nothing"}},

		// Time: a proof made after the date asked about does not count yet.
		{"steward endorsed later", one, sign(annToDan, ann, dan, steward).endorsedOn(sarah, "2024-07-01"), false, people(ann), 1, people(dan), people(steward),
			[]string{"stewards: 1 of 2 needed"}, nil},
		{"steward endorsed the same day", one, sign(annToDan, ann, dan, steward).endorsedOn(sarah, "2024-06-01"), true, people(ann), 1, people(dan), people(steward, sarah), nil, nil},

		// Keys: a proof by a key that belongs to someone else counts for nothing.
		{"consent with another maintainer's key", keyed, Signed{ID: "n", Published: at, Notice: annToDan, Proofs: []Proof{
			{Person: ann}, {Person: dan}, {Person: steward}, {Person: ann + "x", Key: sshKey}}}, false, people(ann), 2, people(dan), people(steward),
			[]string{"consent: 1 of 2 needed"}, []string{"annx signed with key " + sshKey + ", which belongs to ben"}},

		// Kinds that need only their author.
		{"hiatus needs its author only", one, sign(hiatusBy(ann), ann), true, nil, 0, nil, nil, nil, nil},
		{"unsigned hiatus", one, sign(hiatusBy(ann)), false, nil, 0, nil, nil, []string{"author: ann has not signed"}, nil},
		{"a website move is a change of rights too", one, sign(infraChange(ann, RightWebsite, "https://xz.example"), ann), false, people(ann), 1, nil, nil,
			[]string{"stewards: 0 of 2 needed"}, nil},
		{"a website move by someone not holding it waits for a holder", shared, sign(infraChange(dan, RightWebsite, "https://evil.example"), dan, steward), false, people(dan), 2, nil, people(steward),
			[]string{"consent: website is held by ann, who has not signed", "consent: 1 of 2 needed"}, nil},
		{"a holder's consent lets it take effect", shared, sign(infraChange(dan, RightWebsite, "https://xz.example"), dan, ann, steward), true, people(ann, dan), 2, nil, people(steward), nil, nil},
		{"security-contact move needs stewards", one, sign(infraChange(ann, RightSecurityContact, "sec@xz.example"), ann), false, people(ann), 1, nil, nil,
			[]string{"stewards: 0 of 2 needed"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Evaluate(tt.state, tt.sn, stewards, p, at)
			if e.Endorsed != tt.endorsed {
				t.Errorf("Endorsed = %v, want %v; missing %q", e.Endorsed, tt.endorsed, e.Missing)
			}
			if !slices.Equal(e.Consent.Have, tt.consent) || e.Consent.Need != tt.need {
				t.Errorf("Consent = %v of %d, want %v of %d", e.Consent.Have, e.Consent.Need, tt.consent, tt.need)
			}
			if !slices.Equal(e.Acceptance.Have, tt.acceptance) {
				t.Errorf("Acceptance = %v, want %v", e.Acceptance.Have, tt.acceptance)
			}
			if !slices.Equal(e.Stewards.Have, tt.stewards) {
				t.Errorf("Stewards = %v, want %v", e.Stewards.Have, tt.stewards)
			}
			inOrder(t, "Missing", e.Missing, tt.missing)
			inOrder(t, "Ignored", e.Ignored, tt.ignored)
		})
	}
}

// inOrder checks that each want is part of a line of got, in order, and that got has a line per want.
func inOrder(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %q, want %d lines like %q", what, got, len(want), want)
		return
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("%s[%d] = %q, want it to mention %q", what, i, got[i], want[i])
		}
	}
}

func TestEvaluateStewardsNeededFromPolicy(t *testing.T) {
	at := day("2024-06-01")
	sn := pub("n", "2024-06-01", handover(CoMaintainer, people(ann), people(dan), RightCommit), ann, dan, steward)
	tests := []struct {
		policy      Policy
		maintainers []string
		need        int
		endorsed    bool
	}{
		{DefaultPolicy(), people(ann), 2, false},
		{DefaultPolicy(), people(ann, ben), 1, false}, // ben's consent is missing
		{Policy{StewardEndorsements: 1}, people(ann), 1, true},
		{Policy{StewardEndorsements: 3, SharedStewardEndorsements: 0}, people(ann), 3, false},
		{Policy{}, people(ann), 0, true},
	}
	for _, tt := range tests {
		st := Fold(genesis(tt.maintainers...), nil, stewards, tt.policy, at)
		e := Evaluate(st, sn, stewards, tt.policy, at)
		if e.Stewards.Need != tt.need || e.Endorsed != tt.endorsed {
			t.Errorf("%+v with %v: need %d, endorsed %v; want %d, %v", tt.policy, tt.maintainers, e.Stewards.Need, e.Endorsed, tt.need, tt.endorsed)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Errorf("DefaultPolicy().Validate() = %v", err)
	}
	if d := DefaultPolicy(); d.StewardEndorsements != 2 || d.SharedStewardEndorsements != 1 || d.ScrutinyWindow.Hours() != 365*24 {
		t.Errorf("DefaultPolicy() = %+v", d)
	}
	wantErrors(t, Policy{StewardEndorsements: -1, SharedStewardEndorsements: -2, ScrutinyWindow: -1}.Validate(),
		"steward endorsements: -1 is negative", "shared steward endorsements: -2 is negative", "scrutiny window: -1ns is negative")
}

// A right nobody holds any more is nobody's to take alone: after ann retires, dan (commit only) cannot
// announce his own release-signing key without a steward standing in for the holder's consent.
func TestConsentForARightNobodyHolds(t *testing.T) {
	p := DefaultPolicy()
	h := pub("h", "2024-01-01", handover(CoMaintainer, people(ann), people(dan), RightCommit), ann, dan)
	bye := pub("r", "2024-02-01", Notice{Project: "xz", Kind: Retirement, Text: "Bye.", Author: ann}, ann)
	st := Fold(genesis(ann), []Signed{h, bye}, stewards, p, day("2024-03-01"))
	key := signerChange(dan, []SigningKey{pgp(pgpKey2, dan)}, nil)
	e := Evaluate(st, pub("k", "2024-03-01", key, dan), stewards, p, day("2024-03-01"))
	if len(e.Unconsented) != 1 || !strings.Contains(strings.Join(e.Missing, "\n"), "nobody holds release-signing") {
		t.Errorf("unconsented %v, missing %q; want release-signing waiting for a steward", e.Unconsented, e.Missing)
	}
	if e := Evaluate(st, pub("k", "2024-03-01", key, dan, steward), stewards, p, day("2024-03-01")); len(e.Unconsented) != 0 {
		t.Errorf("with a steward's proof: unconsented %v", e.Unconsented)
	}
}
