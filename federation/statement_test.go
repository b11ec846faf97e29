package federation

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"baton/notice"
)

func TestStatementRoundTrip(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	lasse, jia := "https://n.example/users/lasse", "https://n.example/users/jia"
	for _, n := range []notice.Notice{
		{Kind: notice.Handover, Author: lasse, Text: `C:\temp "quoted" <b> é`, Since: day("2022-12-30"), From: []string{lasse},
			To: []string{jia}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit, notice.RightReleaseSigning}},
		{Kind: notice.SignerChange, Author: lasse, Text: "New key.", KeysAdded: []notice.SigningKey{{Fingerprint: "22D465F2B4C173803B20C6DE59FCF207FEA7F445", Type: notice.OpenPGP, Holder: jia}},
			KeysRemoved: []notice.SigningKey{{Fingerprint: "3690C240CE51B4670D30AD1C38EE757D69184620", Type: notice.OpenPGP}}},
		{Kind: notice.InfraChange, Author: lasse, Text: "Moved.", Infra: []notice.InfraMove{{Field: notice.RightWebsite, From: "a", To: "b"}}},
		{Kind: notice.ReliefRequest, Author: lasse, Text: "Help.", Help: []notice.Help{notice.HelpReview}, Until: day("2023-01-01")},
		{Kind: notice.CallForStewards, Author: lasse, Text: "Wanted.", Role: "reviewer", Requirements: "history", Public: true,
			Scope: []notice.Right{notice.RightMerge}, Term: notice.Term{Months: 6, Days: 3}},
		{Kind: notice.CallForStewards, Author: lasse, Text: "Wanted.", Role: "reviewer", Scope: []notice.Right{notice.RightCommit},
			Term: notice.Term{End: day("2027-06-01")}},
		{Kind: notice.Revocation, Author: lasse, Text: "Backdoor.", Revokes: []string{"https://n.example/notices/4"}, Reason: "malicious"},
		{Kind: notice.Retirement, Author: lasse, Text: "Bye.", Orphaned: true},
	} {
		doc, err := StatementDocument("urn:uuid:00000000-0000-4000-8000-000000000001", "https://n.example/users/xz", n)
		if err != nil {
			t.Fatal(err)
		}
		st, err := ParseStatement(doc)
		if err != nil {
			t.Fatalf("%s: %v", n.Kind, err)
		}
		if !reflect.DeepEqual(st.Notice, n) || st.Project != "https://n.example/users/xz" {
			t.Errorf("%s: round trip gave\n%+v\nwant\n%+v", n.Kind, st.Notice, n)
		}
	}
}

func TestParseStatementRefuses(t *testing.T) {
	for _, tc := range []struct{ doc, says string }{
		{`{"type":"Note","id":"urn:uuid:00000000-0000-4000-8000-000000000001","project":"https://n.example/users/xz"}`, "type"},
		{`{"type":"Statement","id":"https://n.example/1","project":"https://n.example/users/xz"}`, "urn:uuid"},
		{`{"type":"Statement","id":"urn:uuid:00000000-0000-4000-8000-000000000001","project":"xz"}`, "project"},
		{`{"type":"Statement","id":"urn:uuid:00000000-0000-4000-8000-000000000001","project":"https://n.example/users/xz","effectiveAt":"2022-12-30"}`, "effectiveAt"},
		{`[]`, "statement"},
	} {
		if _, err := ParseStatement([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("ParseStatement(%s) = %v, want an error about %s", tc.doc, err, tc.says)
		}
	}
}
