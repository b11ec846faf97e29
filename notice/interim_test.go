package notice

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// interimTo is ann's interim handover of commit and release signing to dan until until, published and
// accepted on date, endorsed by both stewards.
func interimTo(id, date, until string) Signed {
	n := with(handover(Interim, people(ann), people(dan), RightCommit, RightReleaseSigning), func(n *Notice) { n.Until = day(until) })
	return pub(id, date, n, ann, dan, steward, sarah)
}

func reasons(v Verdict) string { return strings.Join(v.Reasons, "\n") }

// The day an interim ends is the first on which its holder holds nothing: the fold, check and the
// status line all say so that day, and check keeps saying it after.
func TestInterimEndsOnItsDate(t *testing.T) {
	h := interimTo("h1", "2023-01-01", "2023-07-01")
	fold := func(at time.Time) State { return Fold(genesis(ann), []Signed{h}, stewards, DefaultPolicy(), at) }

	eve := fold(day("2023-07-01").Add(-time.Second))
	if got := maintainers(eve); got != "ann=all dan=commit, release-signing" {
		t.Fatalf("the last second before the end: maintainers = %q", got)
	}
	if len(eve.InterimEnded) != 0 || strings.Contains(reasons(Check(eve)), "interim rights") {
		t.Fatalf("before the end: ended = %+v, check = %q", eve.InterimEnded, Check(eve).Reasons)
	}

	for _, at := range []time.Time{day("2023-07-01"), day("2023-07-01").Add(23 * time.Hour)} {
		st := fold(at)
		if got := maintainers(st); got != "ann=all" {
			t.Errorf("at %s: maintainers = %q, want ann alone", at, got)
		}
		want := []InterimEnd{{Person: dan, Rights: []Right{RightCommit, RightReleaseSigning}, Notice: "h1", Ended: day("2023-07-01")}}
		if !slices.EqualFunc(st.InterimEnded, want, sameEnd) {
			t.Errorf("at %s: ended = %+v, want %+v", at, st.InterimEnded, want)
		}
		line := "interim rights of dan ended on 2023-07-01 (commit, release-signing, from h1): at the end the handover gave"
		if !slices.Contains(Check(st).Reasons, line) {
			t.Errorf("at %s: check says %q, want %q among it", at, Check(st).Reasons, line)
		}
		if got := StatusLine(st); !strings.Contains(got, "interim rights ended on 2023-07-01") {
			t.Errorf("at %s: status = %q, want it to say the interim ended", at, got)
		}
	}

	later := fold(day("2023-08-01"))
	if !slices.ContainsFunc(Check(later).Reasons, func(r string) bool { return strings.HasPrefix(r, "interim rights of dan ended on 2023-07-01") }) {
		t.Errorf("a month later: check = %q, want the end still listed", Check(later).Reasons)
	}
	if got := StatusLine(later); strings.Contains(got, "interim") {
		t.Errorf("a month later: status = %q, want the day's news gone from it", got)
	}
	if Check(later).Code != ExitScrutiny {
		t.Errorf("a month later: code %d, want %d (the handover's window)", Check(later).Code, ExitScrutiny)
	}
}

func sameEnd(a, b InterimEnd) bool {
	return a.Person == b.Person && slices.Equal(a.Rights, b.Rights) && a.Notice == b.Notice && a.Ended.Equal(b.Ended) && a.By == b.By
}

// A new interim handover to the same person with a later date, accepted before the first ends,
// extends it: nothing ends at the first date. Until it is accepted the first date stands.
func TestInterimExtended(t *testing.T) {
	first := interimTo("h1", "2023-01-01", "2023-07-01")
	extension := interimTo("h2", "2023-06-01", "2023-10-01")
	unaccepted := pub("h2", "2023-06-01", extension.Notice, ann, steward, sarah)
	tests := []struct {
		name    string
		notices []Signed
		at      string
		want    string
		ended   []string
	}{
		{"extended: past the first date", []Signed{first, extension}, "2023-07-15", "ann=all dan=commit, release-signing", nil},
		{"extended: ends at the new date", []Signed{first, extension}, "2023-10-01", "ann=all", []string{"dan h2 2023-10-01"}},
		{"not accepted: the first date stands", []Signed{first, unaccepted}, "2023-07-01", "ann=all", []string{"dan h1 2023-07-01"}},
		{"after an end, a new interim starts again", []Signed{first, interimTo("h2", "2023-08-01", "2023-09-01")}, "2023-08-15",
			"ann=all dan=commit, release-signing", []string{"dan h1 2023-07-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Fold(genesis(ann), tt.notices, stewards, DefaultPolicy(), day(tt.at))
			if got := maintainers(st); got != tt.want {
				t.Errorf("maintainers = %q, want %q", got, tt.want)
			}
			var ended []string
			for _, e := range st.InterimEnded {
				ended = append(ended, e.Person+" "+e.Notice+" "+e.Ended.Format(Date))
			}
			if !slices.Equal(ended, tt.ended) {
				t.Errorf("ended = %q, want %q", ended, tt.ended)
			}
		})
	}
}

// A return by the maintainer who handed over ends the interim early, closes their hiatus, and opens a
// window of its own; a return by someone else ends nothing of theirs.
func TestInterimEndedByReturn(t *testing.T) {
	away := pub("a1", "2023-01-01", with(hiatusBy(ann), func(n *Notice) { n.Until = day("2023-07-01") }), ann)
	h := interimTo("h1", "2023-01-02", "2023-07-01")
	back := pub("r1", "2023-03-01", returnOf(ann), ann)
	short := Policy{StewardEndorsements: 2, SharedStewardEndorsements: 1, ScrutinyWindow: 30 * 24 * time.Hour, ReturnScrutinyWindow: 60 * 24 * time.Hour}

	before := Fold(genesis(ann), []Signed{away, h}, stewards, short, day("2023-02-28"))
	if got := maintainers(before); got != "ann=all dan=commit, release-signing" || len(before.Hiatus) != 1 {
		t.Fatalf("before the return: maintainers %q, hiatus %+v", got, before.Hiatus)
	}

	st := Fold(genesis(ann), []Signed{away, h, back}, stewards, short, day("2023-03-01"))
	if got := maintainers(st); got != "ann=all" {
		t.Errorf("after the return: maintainers = %q, want ann alone", got)
	}
	if len(st.Hiatus) != 0 {
		t.Errorf("after the return: hiatus = %+v, want none", st.Hiatus)
	}
	want := []InterimEnd{{Person: dan, Rights: []Right{RightCommit, RightReleaseSigning}, Notice: "h1", Ended: day("2023-03-01"), By: "r1"}}
	if !slices.EqualFunc(st.InterimEnded, want, sameEnd) {
		t.Errorf("ended = %+v, want %+v", st.InterimEnded, want)
	}
	if !slices.Contains(Check(st).Reasons, "interim rights of dan ended on 2023-03-01 (commit, release-signing, from h1): early, by the return r1") {
		t.Errorf("check = %q", Check(st).Reasons)
	}
	// The handover's own window (30 days from 2023-01-02) is over; the return's runs 60 days.
	if w := st.Scrutiny; !w.Until.Equal(day("2023-04-30")) || w.Reasons[len(w.Reasons)-1].Notice != "r1" {
		t.Errorf("window = %+v, want the return's until 2023-04-30", w)
	}
	if code := Check(Fold(genesis(ann), []Signed{away, h, back}, stewards, short, day("2023-04-30"))).Code; code != ExitNormal {
		t.Errorf("after the return's window: code %d, want 0", code)
	}
	// Nothing ends again at the date the handover named.
	if got := Fold(genesis(ann), []Signed{away, h, back}, stewards, short, day("2023-07-02")).InterimEnded; len(got) != 1 {
		t.Errorf("after the original end: ended = %+v, want only the return's", got)
	}

	// ben's return ends none of what ann handed over, and opens no window.
	shared := interimTo("h1", "2023-01-02", "2023-07-01")
	benBack := pub("r1", "2023-03-01", returnOf(ben), ben)
	st = Fold(genesis(ann, ben), []Signed{shared, benBack}, stewards, short, day("2023-03-02"))
	if got := maintainers(st); got != "ann=all ben=all dan=commit, release-signing" || len(st.InterimEnded) != 0 || st.Scrutiny.Open() {
		t.Errorf("another maintainer's return: maintainers %q, ended %+v, window %+v", got, st.InterimEnded, st.Scrutiny)
	}
}

// The timeline draws the interim bar up to the day it ends, and up to the return that ends it early.
func TestTimelineInterimBar(t *testing.T) {
	h := interimTo("h1", "2023-01-01", "2023-07-01")
	for _, tt := range []struct {
		name    string
		notices []Signed
		end     string
	}{
		{"at its date", []Signed{h}, "2023-07-01"},
		{"early, by a return", []Signed{h, pub("r1", "2023-03-01", returnOf(ann), ann)}, "2023-03-01"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tl := Drawn(genesis(ann), tt.notices, func(time.Time) []string { return stewards }, DefaultPolicy(), day("2023-12-01"))
			i := slices.IndexFunc(tl.People, func(l Lane) bool { return l.Person == dan })
			if i < 0 {
				t.Fatalf("no lane for dan: %+v", tl.People)
			}
			if len(tl.People[i].Rights) != 2 {
				t.Fatalf("dan's lane holds %d rights, want commit and release signing: %+v", len(tl.People[i].Rights), tl.People[i].Rights)
			}
			for _, held := range tl.People[i].Rights {
				if !held.From.Equal(day("2023-01-01")) || !held.To.Equal(day(tt.end)) {
					t.Errorf("dan's %s from %s to %s, want 2023-01-01 to %s", held.Right, held.From.Format(Date), held.To.Format(Date), tt.end)
				}
			}
		})
	}
}
