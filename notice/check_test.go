package notice

import (
	"slices"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	away := []Away{{Person: ann, Since: day("2023-01-01"), Notice: "a"}}
	window := Window{Since: day("2023-01-01"), Until: day("2024-01-01"), Reasons: []WindowReason{
		{Notice: "h1", Kind: Handover, Since: day("2023-01-01"), Until: day("2024-01-01"), Why: "handover (co-maintainer) of commit to dan"}}}
	unendorsed := []Unendorsed{{Notice: "h1", Kind: Handover, Since: day("2023-01-01"), Missing: []string{"stewards: 0 of 2 needed (independent steward endorsements)"}}}
	relief := []Relief{{Notice: "rr", Person: ann, Since: day("2023-01-01")}}
	tests := []struct {
		name  string
		state State
		code  int
		want  []string
	}{
		{"normal", State{}, ExitNormal, nil},
		{"pending relief is not Check's business", State{PendingRelief: relief}, ExitNormal, nil},
		{"hiatus", State{Hiatus: away}, ExitAway, []string{"hiatus: ann since 2023-01-01 (open-ended)"}},
		{"orphaned", State{Orphaned: true}, ExitAway, []string{"orphaned: nobody maintains the project"}},
		{"scrutiny", State{Scrutiny: window}, ExitScrutiny, []string{
			"in a scrutiny window from 2023-01-01 until 2024-01-01",
			"scrutiny: handover h1 (2023-01-01, until 2024-01-01): handover (co-maintainer) of commit to dan"}},
		{"scrutiny outranks hiatus", State{Scrutiny: window, Hiatus: away}, ExitScrutiny, []string{
			"in a scrutiny window from 2023-01-01 until 2024-01-01",
			"scrutiny: handover h1 (2023-01-01, until 2024-01-01): handover (co-maintainer) of commit to dan",
			"hiatus: ann since 2023-01-01 (open-ended)"}},
		{"unendorsed outranks everything", State{Scrutiny: window, Hiatus: away, Unendorsed: unendorsed, Orphaned: true}, ExitUnendorsed, []string{
			"unendorsed handover h1 (since 2023-01-01): stewards: 0 of 2 needed (independent steward endorsements)",
			"in a scrutiny window from 2023-01-01 until 2024-01-01",
			"scrutiny: handover h1 (2023-01-01, until 2024-01-01): handover (co-maintainer) of commit to dan",
			"hiatus: ann since 2023-01-01 (open-ended)",
			"orphaned: nobody maintains the project"}},
		{"unendorsed alone", State{Unendorsed: unendorsed}, ExitUnendorsed, []string{
			"unendorsed handover h1 (since 2023-01-01): stewards: 0 of 2 needed (independent steward endorsements)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Check(tt.state)
			if v.Code != tt.code || !slices.Equal(v.Reasons, tt.want) {
				t.Errorf("Check = %d %q\nwant %d %q", v.Code, v.Reasons, tt.code, tt.want)
			}
		})
	}
}

// The codes are a documented interface: pipelines branch on the numbers.
func TestExitCodes(t *testing.T) {
	if ExitNormal != 0 || ExitError != 1 || ExitScrutiny != 2 || ExitUnendorsed != 3 || ExitAway != 4 || ExitUnannouncedSigner != 5 || ExitNoRecord != 6 {
		t.Errorf("exit codes changed: %d %d %d %d %d %d %d", ExitNormal, ExitError, ExitScrutiny, ExitUnendorsed, ExitAway, ExitUnannouncedSigner, ExitNoRecord)
	}
	// 5 wins, then 6, 3, 2, 4.
	order := []int{ExitNormal, ExitAway, ExitScrutiny, ExitUnendorsed, ExitNoRecord, ExitUnannouncedSigner}
	for i := range order {
		for j := range order {
			if got, want := MostUrgent(order[i], order[j]), order[max(i, j)]; got != want {
				t.Errorf("MostUrgent(%d, %d) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}

func TestCheckFolded(t *testing.T) {
	h := pub("h1", "2023-01-01", handover(CoMaintainer, people(ann), people(dan), RightCommit), ann, dan)
	tests := []struct {
		notices []Signed
		at      string
		code    int
	}{
		{nil, "2023-06-01", ExitNormal},
		{[]Signed{h}, "2022-12-31", ExitNormal},
		{[]Signed{h}, "2023-01-01", ExitUnendorsed},
		{[]Signed{h.endorsedOn(steward, "2023-02-01").endorsedOn(sarah, "2023-02-01")}, "2023-01-31", ExitUnendorsed},
		{[]Signed{h.endorsedOn(steward, "2023-02-01").endorsedOn(sarah, "2023-02-01")}, "2023-02-01", ExitScrutiny},
		{[]Signed{h.endorsedOn(steward, "2023-02-01").endorsedOn(sarah, "2023-02-01")}, "2024-01-01", ExitNormal},
		// A revocation of a change of rights needs endorsing like the change did.
		{[]Signed{h, pub("r", "2023-02-01", revocation(ann, "h1"), ann)}, "2023-02-01", ExitUnendorsed},
		{[]Signed{h, pub("r", "2023-02-01", revocation(ann, "h1"), ann, steward, sarah)}, "2023-02-01", ExitScrutiny},
		{[]Signed{pub("a", "2023-01-01", hiatusBy(ann), ann)}, "2023-06-01", ExitAway},
	}
	for _, tt := range tests {
		st := Fold(genesis(ann), tt.notices, stewards, DefaultPolicy(), day(tt.at))
		if v := Check(st); v.Code != tt.code {
			t.Errorf("%v at %s: Check = %d %s, want %d", ids(tt.notices), tt.at, v.Code, strings.Join(v.Reasons, "; "), tt.code)
		}
	}
}

// A window from outside the project's notices (a distribution's own) opens or extends the state's
// window while it is open at the state's date, and leaves it alone otherwise.
func TestAddWindow(t *testing.T) {
	st := State{At: day("2024-06-01")}
	st.AddWindow(WindowReason{Notice: "d1", Kind: Scrutiny, Since: day("2024-07-01"), Until: day("2025-01-01")})
	if st.Scrutiny.Open() {
		t.Errorf("a window starting after the date opened: %+v", st.Scrutiny)
	}
	st.AddWindow(WindowReason{Notice: "d2", Kind: Scrutiny, Since: day("2024-05-01"), Until: day("2024-09-01")})
	if !st.Scrutiny.Open() || Check(st).Code != ExitScrutiny {
		t.Errorf("an open window did not count: %+v", st.Scrutiny)
	}
	st.AddWindow(WindowReason{Notice: "d3", Kind: Scrutiny, Since: day("2024-04-01"), Until: day("2024-12-01")})
	if w := st.Scrutiny; !w.Since.Equal(day("2024-04-01")) || !w.Until.Equal(day("2024-12-01")) || len(w.Reasons) != 2 {
		t.Errorf("window %+v, want it extended both ways with both reasons", w)
	}
}

// The status line never reads "normal" where check does not.
func TestStatusLineAgreesWithCheck(t *testing.T) {
	h := pub("h1", "2024-01-01", handover(CoMaintainer, people(ann), people(dan), RightCommit), ann)
	for _, st := range []State{
		{At: day("2024-01-02"), NoRecord: true},
		Fold(genesis(ann), nil, stewards, DefaultPolicy(), day("2024-01-02")),
		Fold(genesis(ann), []Signed{h}, stewards, DefaultPolicy(), day("2024-01-02")),
		Fold(genesis(ann), []Signed{pub("a", "2024-01-01", hiatusBy(ann), ann)}, stewards, DefaultPolicy(), day("2024-01-02")),
		Fold(genesis(), nil, stewards, DefaultPolicy(), day("2024-01-02")),
		{At: day("2024-01-02"), Review: []Review{{Notice: "x"}}},
	} {
		if line, code := StatusLine(st), Check(st).Code; (line == "normal") != (code == ExitNormal) {
			t.Errorf("status line %q, check %d", line, code)
		}
	}
}
