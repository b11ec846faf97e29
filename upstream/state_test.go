package upstream

import (
	"testing"
	"time"

	"baton/notice"
)

const (
	lasse    = "https://notices.tukaani.example/users/lasse"
	jia      = "https://notices.tukaani.example/users/jia"
	lasseKey = "3690C240CE51B4670D30AD1C38EE757D69184620"
	jiaKey   = "22D465F2B4C173803B20C6DE59FCF207FEA7F445"
)

func day(s string) time.Time {
	t, err := time.Parse(notice.Date, s)
	if err != nil {
		panic(err)
	}
	return t
}

func signed(id, date string, n notice.Notice, signers ...string) notice.Signed {
	s := notice.Signed{ID: id, Published: day(date), Notice: n}
	for _, p := range signers {
		s.Proofs = append(s.Proofs, notice.Proof{Person: p, Created: day(date)})
	}
	return s
}

// The xz timeline, as far as release-signing keys go: Lasse's key from the start, Jia made
// co-maintainer on 2022-12-30, and 5.4.2 signed on 2023-03-18 by a key Jia announced himself, with no
// steward's endorsement; the announcement revoked on 2024-03-29.
func xzTimeline() (notice.Genesis, []notice.Signed) {
	g := notice.Genesis{Project: "xz", Maintainers: []string{lasse}, Since: day("2021-01-01"),
		Keys: []notice.SigningKey{{Fingerprint: lasseKey, Type: notice.OpenPGP, Holder: lasse}}}
	handover := notice.Notice{Project: "xz", Kind: notice.Handover, Author: lasse, Text: "Jia Tan joins.",
		From: []string{lasse}, To: []string{jia}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit}}
	key := notice.Notice{Project: "xz", Kind: notice.SignerChange, Author: jia, Text: "Releases are signed with Jia Tan's key.",
		KeysAdded: []notice.SigningKey{{Fingerprint: jiaKey, Type: notice.OpenPGP, Holder: jia}}}
	revoke := notice.Notice{Project: "xz", Kind: notice.Revocation, Author: lasse, Text: "Revoked.",
		Revokes: []string{"https://n/2", "https://n/3"}, Reason: "CVE-2024-3094"}
	return g, []notice.Signed{
		signed("https://n/2", "2022-12-30", handover, lasse, jia),
		signed("https://n/3", "2023-03-18", key, jia),
		signed("https://n/4", "2024-03-29", revoke, lasse),
	}
}

func TestSignerOnTheXZTimeline(t *testing.T) {
	g, notices := xzTimeline()
	endOf := func(d string) time.Time { return day(d).Add(24*time.Hour - time.Second) }
	tests := []struct {
		at, fp   string
		code     int
		endorsed bool
		notice   string
	}{
		{"2023-03-17", lasseKey, 0, true, ""},
		{"2023-03-17", jiaKey, ExitUnannouncedSigner, false, ""}, // the day before: nobody had been told
		{"2023-03-18", jiaKey, notice.ExitUnendorsed, false, "https://n/3"},
		{"2024-02-24", jiaKey, notice.ExitUnendorsed, false, "https://n/3"}, // 5.6.0
		{"2024-03-29", jiaKey, ExitUnannouncedSigner, false, "https://n/3"}, // revoked
		{"2024-03-29", lasseKey, 0, true, ""},
		{"2024-03-29", "0000000000000000000000000000000000000000", ExitUnannouncedSigner, false, ""},
	}
	for _, tt := range tests {
		state := notice.Fold(g, notices, nil, notice.DefaultPolicy(), endOf(tt.at))
		got := Signer(state, tt.fp)
		if got.Code != tt.code || got.Endorsed != tt.endorsed || got.Notice != tt.notice || got.Reason == "" {
			t.Errorf("%s %s: %+v; want code %d, endorsed %v, notice %q", tt.at, tt.fp[:8], got, tt.code, tt.endorsed, tt.notice)
		}
	}
}

func TestMostUrgent(t *testing.T) {
	tests := []struct{ a, b, want int }{
		{0, 4, 4}, {4, 2, 2}, {2, ExitUnannouncedSigner, ExitUnannouncedSigner},
		{ExitUnannouncedSigner, notice.ExitUnendorsed, ExitUnannouncedSigner}, {notice.ExitUnendorsed, 2, notice.ExitUnendorsed},
	}
	for _, tt := range tests {
		if got := MostUrgent(tt.a, tt.b); got != tt.want {
			t.Errorf("MostUrgent(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := MostUrgent(tt.b, tt.a); got != tt.want {
			t.Errorf("MostUrgent(%d, %d) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}
