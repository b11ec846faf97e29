package notice

import "testing"

func TestAdmit(t *testing.T) {
	p := DefaultPolicy()
	// ann handed commit to dan in 2023; dan then went on hiatus.
	log := []Signed{
		pub("h1", "2023-01-01", handover(CoMaintainer, people(ann), people(dan), RightCommit), ann, dan),
		pub("a1", "2023-06-01", hiatusBy(dan), dan),
	}
	backdated := func(id, published, since string, n Notice, signers ...string) Signed {
		n.Since = day(since)
		return pub(id, published, n, signers...)
	}
	tests := []struct {
		name      string
		candidate Signed
		want      []string
	}{
		{"a notice of today", pub("n", "2024-01-01", hiatusBy(ann), ann), nil},
		{"announced ahead", backdated("n", "2024-01-01", "2024-03-01", returnOf(dan), dan), nil},
		{"recording the past, on the state of its day", backdated("n", "2024-01-01", "2022-06-01", hiatusBy(ann), ann), nil},
		// dan is a maintainer today, but was not in 2022: the notice is judged on 2022's state.
		{"backdated before its author held rights", backdated("n", "2024-01-01", "2022-06-01", hiatusBy(dan), dan),
			[]string{"hiatus: dan is not a maintainer of xz"}},
		{"backdating that rewrites history", backdated("n", "2024-01-01", "2022-12-01", handover(Successor, people(ann), people(eve), Rights...), ann, eve),
			[]string{"it would void h1, already published: handover: ann is not a maintainer of xz",
				"it would void a1, already published: hiatus: dan is not a maintainer of xz"}},
		{"an id taken", pub("h1", "2024-01-01", hiatusBy(ann), ann), []string{"id: another notice with id h1 exists"}},
		{"invalid", pub("n", "2024-01-01", returnOf(""), ann), []string{"return: author: say who wrote the notice (a person id)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErrors(t, Admit(genesis(ann), log, tt.candidate, stewards, p), tt.want...)
		})
	}
}

// Two successor handovers of the same rights cannot both wait for acceptance: whichever was accepted
// second would void the first. And accepting one after its outgoing maintainer published something
// that needs the rights it passes on would void that notice: the acceptance is refused.
func TestConflictingHandovers(t *testing.T) {
	p := DefaultPolicy()
	toDan := pub("h1", "2024-01-01", handover(Successor, people(ann), people(dan), Rights...), ann)
	toEve := pub("h2", "2024-01-02", handover(Successor, people(ann), people(eve), RightCommit), ann, eve)
	wantContains(t, Admit(genesis(ann), []Signed{toDan}, toEve, stewards, p), "h1 already hands commit on as successor and waits for acceptance")
	coMaintainer := pub("h2", "2024-01-02", handover(CoMaintainer, people(ann), people(eve), RightCommit), ann, eve)
	wantContains(t, Admit(genesis(ann), []Signed{toDan}, coMaintainer, stewards, p), "revoke it before handing them over again")

	hiatus := pub("a", "2024-01-03", hiatusBy(ann), ann)
	accepted := toDan.endorsedOn(dan, "2024-01-04")
	wantContains(t, AdmitProofs(genesis(ann), []Signed{hiatus}, toDan, accepted, stewards, p, day("2024-01-04")),
		"it would void a, already published: hiatus: ann is not a maintainer of xz")
	wantContains(t, AdmitProofs(genesis(ann), nil, toDan, accepted, stewards, p, day("2024-01-04")))
}
