package notice

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The xz timeline drawn: Lasse Collin holds every right throughout, Jia Tan commit from the handover
// to the revocation; the project is under scrutiny from the security-contact move on; the handover and
// the signer change are marked unendorsed and revoked.
func TestTimelineXZ(t *testing.T) {
	now := day("2024-06-01")
	tl := Drawn(xzGenesis(), xzNoticeLog(), func(time.Time) []string { return xzStewards }, DefaultPolicy(), now)
	if len(tl.People) != 2 || tl.People[0].Person != lasse || tl.People[1].Person != jia {
		t.Fatalf("lanes %+v", tl.People)
	}
	if r := tl.People[0].Rights; len(r) != len(Rights) || !r[0].From.Equal(day("2021-01-01")) || !r[0].To.Equal(now) {
		t.Errorf("Lasse Collin's rights %+v", r)
	}
	if r := tl.People[1].Rights; len(r) != 1 || r[0].Right != RightCommit || !r[0].From.Equal(day("2022-12-30")) || !r[0].To.Equal(day("2024-03-29")) || r[0].Endorsed {
		t.Errorf("Jia Tan's rights %+v, want commit from 2022-12-30 to 2024-03-29, unendorsed", r)
	}
	if len(tl.Scrutiny) != 1 || !tl.Scrutiny[0].From.Equal(day("2022-11-30")) || !tl.Scrutiny[0].To.Equal(now) {
		t.Errorf("scrutiny %+v, want one window from 2022-11-30 on", tl.Scrutiny)
	}
	if len(tl.Hiatus) != 1 || !tl.Hiatus[0].From.Equal(day("2022-06-21")) {
		t.Errorf("hiatus %+v", tl.Hiatus)
	}
	var marks []string
	for _, m := range tl.Marks {
		s := strings.TrimPrefix(m.Notice, xzNotices) + " " + string(m.Kind)
		if m.Unendorsed {
			s += " unendorsed"
		}
		if m.RevokedBy != "" {
			s += " revoked"
		}
		marks = append(marks, s)
	}
	want := []string{"2 call-for-stewards", "3 hiatus", "4 infra-change unendorsed", "5 handover unendorsed revoked",
		"6 signer-change unendorsed revoked", "7 infra-change unendorsed", "8 infra-change unendorsed", "9 revocation unendorsed"}
	if !slices.Equal(marks, want) {
		t.Errorf("marks\n got %q\nwant %q", marks, want)
	}
}
