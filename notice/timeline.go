package notice

import (
	"slices"
	"time"
)

// Timeline is a project's history drawn as a picture: who held which right from when to when, the
// windows that deserved extra care, and the changes that made them, as recorded (with hindsight: every
// notice published by Now, at the date it took effect, revocations included).
type Timeline struct {
	Since, Now time.Time
	People     []Lane // in the order people first held a right
	Hiatus     []Span // when a maintainer was away
	Scrutiny   []Span // when the project was in a scrutiny window
	Marks      []Mark // the notices, in the order they took effect
}

// Lane is one person's rights over time.
type Lane struct {
	Person string
	Rights []Held
}

// Held is a right held without a break.
type Held struct {
	Right    Right
	From, To time.Time // To is Now while it is held
	Notice   string    // the notice it came by; empty for a first maintainer
	Endorsed bool      // whether that notice was endorsed
	Interim  bool      // it came by an interim handover, and ends
	Ended    bool      // an interim right that ended before now: at its date, or early
	EndedBy  string    // the return that ended it early; empty when it ran to its date
}

// Span is a stretch of time.
type Span struct {
	From, To time.Time
	Person   string // the maintainer away, for a hiatus
}

// Mark is a notice as the timeline marks it.
type Mark struct {
	Notice     string
	Kind       Kind
	At         time.Time
	Unendorsed bool   // a change of rights lacking the proofs the policy asks for
	RevokedBy  string // the revocation that withdrew it, if one did
}

// Drawn returns the timeline of g's project from its notices, as known at now.
func Drawn(g Genesis, notices []Signed, stewards func(time.Time) []string, p Policy, now time.Time) Timeline {
	tl := Timeline{Since: g.Since, Now: now}
	dates := boundaries(g, notices, p, now)
	held := map[string]map[Right]*Held{} // open stretches, by person and right
	lanes := map[string]int{}
	for i, d := range dates {
		st := FoldHindsight(g, notices, stewards(d), p, d, now)
		tl.spans(st, d, next(dates, i, now))
		for _, m := range st.Maintainers {
			if _, ok := lanes[m.Person]; !ok {
				lanes[m.Person] = len(tl.People)
				tl.People = append(tl.People, Lane{Person: m.Person})
				held[m.Person] = map[Right]*Held{}
			}
		}
		for person, open := range held {
			for _, r := range Rights {
				g, holds := grantOf(st, person, r)
				h := open[r]
				switch {
				case holds && h == nil:
					open[r] = &Held{Right: r, From: d, Notice: g.Notice, Endorsed: g.Endorsed || g.Notice == "", Interim: !g.Until.IsZero()}
				case !holds && h != nil:
					h.To = d
					h.endedIn(st, person)
					tl.People[lanes[person]].Rights = append(tl.People[lanes[person]].Rights, *h)
					delete(open, r)
				}
			}
		}
	}
	for person, open := range held {
		for _, r := range Rights {
			if h := open[r]; h != nil {
				h.To = now
				tl.People[lanes[person]].Rights = append(tl.People[lanes[person]].Rights, *h)
			}
		}
	}
	for i := range tl.People {
		slices.SortStableFunc(tl.People[i].Rights, func(a, b Held) int {
			if c := slices.Index(Rights, a.Right) - slices.Index(Rights, b.Right); c != 0 {
				return c
			}
			return a.From.Compare(b.From)
		})
	}
	tl.Marks = marks(g, notices, stewards, p, now)
	tl.Hiatus, tl.Scrutiny = mergeSpans(tl.Hiatus), mergeSpans(tl.Scrutiny)
	return tl
}

// endedIn marks h ended if st lists its interim as ended for person: it ran to its date, or a return
// cut it short.
func (h *Held) endedIn(st State, person string) {
	if !h.Interim {
		return
	}
	for _, e := range st.InterimEnded {
		if e.Person == person && e.Notice == h.Notice && slices.Contains(e.Rights, h.Right) {
			h.Ended, h.EndedBy = true, e.By
		}
	}
}

// boundaries are the dates at which the state may change: the record's start, each notice's date, each
// end a notice names, and the end of each scrutiny window, up to now.
func boundaries(g Genesis, notices []Signed, p Policy, now time.Time) []time.Time {
	dates := []time.Time{g.Since}
	add := func(t time.Time) {
		if !t.IsZero() && !t.Before(g.Since) && !t.After(now) {
			dates = append(dates, t)
		}
	}
	for _, s := range notices {
		if s.Published.After(now) {
			continue
		}
		add(s.Effective())
		add(s.Notice.Until)
	}
	for _, d := range slices.Clone(dates) {
		add(FoldHindsight(g, notices, nil, p, d, now).Scrutiny.Until)
	}
	slices.SortFunc(dates, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(dates, func(a, b time.Time) bool { return a.Equal(b) })
}

func next(dates []time.Time, i int, now time.Time) time.Time {
	if i+1 < len(dates) {
		return dates[i+1]
	}
	return now
}

// spans records the hiatus and window in effect from d to end.
func (tl *Timeline) spans(st State, d, end time.Time) {
	if !end.After(d) {
		return
	}
	for _, a := range st.Hiatus {
		tl.Hiatus = append(tl.Hiatus, Span{From: d, To: end, Person: a.Person})
	}
	if st.Scrutiny.Open() {
		tl.Scrutiny = append(tl.Scrutiny, Span{From: d, To: end})
	}
}

// mergeSpans joins spans that follow each other (for the same person).
func mergeSpans(spans []Span) []Span {
	var out []Span
	for _, s := range spans {
		if n := len(out); n > 0 && out[n-1].Person == s.Person && !out[n-1].To.Before(s.From) {
			if s.To.After(out[n-1].To) {
				out[n-1].To = s.To
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

func grantOf(st State, person string, r Right) (Grant, bool) {
	for _, g := range st.HeldBy(person) {
		if g.Right == r {
			return g, true
		}
	}
	return Grant{}, false
}

// marks marks each public notice in effect by now: whether a change of rights lacked endorsements on
// its day, and whether it was revoked since.
func marks(g Genesis, notices []Signed, stewards func(time.Time) []string, p Policy, now time.Time) []Mark {
	st := FoldHindsight(g, notices, stewards(now), p, now, now)
	var out []Mark
	for _, s := range PublicView(notices, now) {
		m := Mark{Notice: s.ID, Kind: s.Notice.Kind, At: s.Effective()}
		then := FoldHindsight(g, notices, stewards(m.At), p, m.At, now)
		m.Unendorsed = slices.ContainsFunc(then.Unendorsed, func(u Unendorsed) bool { return u.Notice == s.ID })
		m.RevokedBy, _ = st.revokedBy(s.ID)
		out = append(out, m)
	}
	slices.SortStableFunc(out, func(a, b Mark) int { return a.At.Compare(b.At) })
	return out
}
