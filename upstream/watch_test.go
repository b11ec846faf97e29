package upstream

import (
	"testing"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

const (
	lasse = "https://notices.tukaani.example/users/lasse"
	jia   = "https://notices.tukaani.example/users/jia"
)

func day(s string) time.Time {
	t, err := time.Parse(notice.Date, s)
	if err != nil {
		panic(err)
	}
	return t
}

// What an upstream's actor says is kept only as far as it cannot rewrite what was judged by it.
func TestRefreshedPinsWhatNoticesWereJudgedBy(t *testing.T) {
	first, later := day("2023-01-01"), day("2024-01-01")
	s1 := federation.StewardRef{ID: "https://up/users/s1", Since: day("2020-01-01")}
	ua := federation.UpstreamActor{RemoteActor: federation.RemoteActor{Username: "xz", Inbox: "https://up/users/xz/inbox"},
		Outbox: "https://up/users/xz/outbox", Genesis: notice.Genesis{Project: "xz", Maintainers: []string{lasse}},
		Stewards: []federation.StewardRef{s1}}

	var up store.Upstream
	refreshed(&up, ua, true, first)
	if up.Name != "xz" || up.Genesis.Project != "xz" || len(up.Stewards) != 1 || !up.Stewards[0].Since.Equal(s1.Since) {
		t.Fatalf("first follow: %+v; want the name, genesis and stewards as published (nothing to compare them with yet)", up)
	}

	// Later, with notices mirrored: a rename, a new genesis, a backdated new steward, a dropped one.
	renamed := ua
	renamed.Username = "xz2"
	renamed.Genesis = notice.Genesis{Project: "xz2", Maintainers: []string{jia}}
	renamed.Stewards = []federation.StewardRef{{ID: "https://up/users/s2", Since: day("2019-01-01")}}
	refreshed(&up, renamed, false, later)
	if up.Name != "xz" || up.Genesis.Project != "xz" || up.Genesis.Maintainers[0] != lasse {
		t.Errorf("after notices were mirrored the name or genesis changed: %q %+v", up.Name, up.Genesis)
	}
	if len(up.Stewards) != 2 || up.Stewards[0] != (store.Steward{ID: s1.ID, Since: s1.Since}) {
		t.Fatalf("stewards %+v: want s1 kept as it was, and s2 added", up.Stewards)
	}
	if s2 := up.Stewards[1]; !s2.Since.Equal(later) {
		t.Errorf("a steward first seen on %s is dated %s by the upstream: want %s, not earlier", later.Format(time.DateOnly), s2.Since.Format(time.DateOnly), later.Format(time.DateOnly))
	}
}
