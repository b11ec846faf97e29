package record

import (
	"strings"
	"testing"
	"time"

	"baton/notice"
)

const (
	ann = "https://b.example/users/ann"
	bob = "https://b.example/users/bob"
	xz  = "https://b.example/users/xz"
)

func day(s string) time.Time {
	t, err := time.Parse(notice.Date, s)
	if err != nil {
		panic(err)
	}
	return t
}

func known(url, published string, n notice.Notice, signers ...string) Known {
	return Known{URL: url, Project: xz, Published: day(published), Notice: n, Signers: signers}
}

func TestBuild(t *testing.T) {
	yes := true
	handover := known("https://b.example/notices/1", "2024-01-01", notice.Notice{Kind: notice.Handover, Author: ann, From: []string{ann},
		To: []string{bob}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit}}, ann, bob)
	handover.Endorsed = &yes
	unaccepted := known("https://b.example/notices/2", "2024-02-01", notice.Notice{Kind: notice.Handover, Author: ann, From: []string{ann},
		To: []string{bob}, Mode: notice.Interim, Scope: []notice.Right{notice.RightMerge}, Until: day("2024-06-01")}, ann)
	unaccepted.RevokedBy = "https://b.example/notices/3"
	revocation := known("https://b.example/notices/3", "2024-02-02", notice.Notice{Kind: notice.Revocation, Author: ann,
		Revokes: []string{unaccepted.URL}, Reason: "Too hasty."}, ann)
	retirement := known("https://b.example/notices/4", "2024-03-01", notice.Notice{Kind: notice.Retirement, Author: bob}, bob)

	var r Record
	r.build(bob, []Known{handover, unaccepted, revocation, retirement})
	r.warn()
	if len(r.Projects) != 1 || r.Projects[0].Project != xz || !r.Projects[0].Since.Equal(day("2024-01-01")) ||
		!r.Projects[0].Until.Equal(day("2024-03-01")) || r.Projects[0].How != "handover (co-maintainer)" {
		t.Errorf("projects: %+v", r.Projects)
	}
	if len(r.Handovers) != 2 || r.Handovers[0].Role != "incoming" || !r.Handovers[0].Accepted || r.Handovers[0].Endorsed == nil || !*r.Handovers[0].Endorsed ||
		r.Handovers[1].Accepted || !r.Handovers[1].Revoked {
		t.Errorf("handovers: %+v", r.Handovers)
	}
	if len(r.Revocations) != 1 || !r.Revocations[0].Against || r.Revocations[0].Reason != "Too hasty." || r.Revocations[0].Revokes != unaccepted.URL {
		t.Errorf("revocations: %+v", r.Revocations)
	}
	if len(r.Warnings) != 1 || r.Warnings[0] != "1 revocation against them" {
		t.Errorf("warnings: %q", r.Warnings)
	}

	// Ann revoked her own notice: a revocation she made, not one against her.
	var a Record
	a.build(ann, []Known{handover, unaccepted, revocation})
	a.Reachable, a.Served = true, true
	a.warn()
	for _, v := range a.Revocations {
		if v.Against {
			t.Errorf("a revocation of Ann's own notice counts against her: %+v", v)
		}
	}
	if len(a.Warnings) != 0 || len(a.Handovers) != 2 || a.Handovers[0].Role != "outgoing" {
		t.Errorf("Ann's record: %+v", a)
	}
}

func TestNoRecordWarns(t *testing.T) {
	for _, tt := range []struct {
		r    Record
		want string
	}{
		{Record{}, "no track record: their actor could not be fetched"},
		{Record{Reachable: true}, "no track record: their instance serves none"},
		{Record{Reachable: true, Served: true}, "no track record: no project, handover or steward role of theirs verified"},
	} {
		tt.r.warn()
		if len(tt.r.Warnings) != 1 || !strings.HasPrefix(tt.r.Warnings[0], tt.want) {
			t.Errorf("warnings %q, want %q", tt.r.Warnings, tt.want)
		}
	}
	steward := Record{Reachable: true, Served: true, Stewards: []Steward{{Instance: "https://b.example"}}}
	if steward.warn(); len(steward.Warnings) != 0 {
		t.Errorf("a steward has no record: %q", steward.Warnings)
	}
}
