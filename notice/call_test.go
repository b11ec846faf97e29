package notice

import (
	"strings"
	"testing"
)

func TestParseTerm(t *testing.T) {
	tests := []struct {
		in, iso, says string
	}{
		{"6m", "P6M", "for 6 months"},
		{"1 month", "P1M", "for 1 month"},
		{"90d", "P90D", "for 90 days"},
		{"12w", "P84D", "for 84 days"},
		{"2y", "P24M", "for 24 months"},
		{"2027-06-01", "2027-06-01T00:00:00Z", "until 2027-06-01"},
	}
	for _, tt := range tests {
		term, err := ParseTerm(tt.in)
		if err != nil {
			t.Fatalf("ParseTerm(%q): %v", tt.in, err)
		}
		if term.ISO() != tt.iso || term.String() != tt.says {
			t.Errorf("ParseTerm(%q) = %q, %q; want %q, %q", tt.in, term.ISO(), term.String(), tt.iso, tt.says)
		}
		back, err := ParseISOTerm(term.ISO())
		if err != nil || back != term {
			t.Errorf("ParseISOTerm(%q) = %+v, %v; want %+v", term.ISO(), back, err, term)
		}
	}
	for _, bad := range []string{"soon", "6x", "-3d", "P", "2027-13-01"} {
		if _, err := ParseTerm(bad); err == nil {
			t.Errorf("ParseTerm(%q) took it", bad)
		}
	}
	for _, bad := range []string{"P", "PXM", "P6", "6M", "P-1D"} {
		if _, err := ParseISOTerm(bad); err == nil {
			t.Errorf("ParseISOTerm(%q) took it", bad)
		}
	}
	if got := (Term{Months: 3}).EndFrom(day("2026-01-31")); got.Format(Date) != "2026-05-01" {
		t.Errorf("3 months from 2026-01-31 end on %s", got.Format(Date))
	}
}

func TestCallTerm(t *testing.T) {
	call := goodNotice(CallForStewards)
	for _, tt := range []struct {
		term Term
		want string
	}{
		{Term{Months: 61}, "longer than 60 months"},
		{Term{End: day("2024-01-01"), Months: 1}, "an end date or a length, not both"},
	} {
		n := call
		n.Term = tt.term
		wantContains(t, n.ValidateFull(), tt.want)
	}
	n := call
	n.Since, n.Term = day("2024-06-01"), Term{End: day("2024-05-01")}
	wantContains(t, n.ValidateFull(), "before the call takes effect")

	if err := call.Open(day("2024-08-31")); err != nil {
		t.Errorf("open call: %v", err)
	}
	if err := call.Open(day("2024-09-01")); err == nil || !strings.Contains(err.Error(), "closed on 2024-09-01") {
		t.Errorf("closed call: %v", err)
	}
	if err := goodNotice(Hiatus).Open(day("2024-01-01")); err == nil {
		t.Error("a hiatus is open to offers")
	}
}

// A call published before calls named their rights and term folds as the call it was; a new one must
// name both, and is refused before anything else reads it.
func TestCallBeforeScopeAndTerm(t *testing.T) {
	p := DefaultPolicy()
	old := with(goodNotice(CallForStewards), func(n *Notice) { n.Scope, n.Term = nil, Term{} })
	log := []Signed{pub("c1", "2024-01-01", old, ann)}
	st := Fold(genesis(ann), log, stewards, p, day("2024-02-01"))
	if len(st.Rejected) > 0 {
		t.Fatalf("a call stored before scope and term were asked is rejected: %+v", st.Rejected)
	}
	if _, ok := st.known["c1"]; !ok {
		t.Fatal("the older call did not take effect")
	}
	// It can be revoked like any notice that took effect.
	revoke := pub("r1", "2024-03-01", revocation(ann, "c1"), ann)
	wantErrors(t, Admit(genesis(ann), log, revoke, stewards, p))

	// A new one without them is refused, saying what to give.
	wantErrors(t, Admit(genesis(ann), log, pub("c2", "2024-03-01", old, ann), stewards, p),
		"call-for-stewards: scope: name the rights wanted ("+list(Rights)+")",
		"call-for-stewards: term: say for how long the rights are wanted: an end date, or a length such as 6m")
	wantErrors(t, old.ValidateFull())
	wantContains(t, old.ValidateNew(), "scope: name the rights wanted", "term: say for how long")
	wantErrors(t, goodNotice(CallForStewards).ValidateNew())
}
