package notice

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Genesis is what the admin sets when a project joins: its first maintainers, who hold every right,
// and the release-signing keys already in use. After it, only notices change who maintains it.
type Genesis struct {
	Project     string
	Maintainers []string
	Keys        []SigningKey
	// Since is when the project's record starts: when it was added, or earlier for a project taken on
	// with its history. No notice may take effect before it.
	Since time.Time
	// Added is when the instance took the project on; zero means Since. As known, there is no record
	// of the project before it: nobody could have read a notice about it.
	Added time.Time
}

// RecordStart is when the project's record starts as known (when it was added) or, with hindsight,
// as recorded since.
func (g Genesis) RecordStart(hindsight bool) time.Time {
	if hindsight || g.Added.Before(g.Since) {
		return g.Since
	}
	return g.Added
}

// Validate reports every problem with g at once.
func (g Genesis) Validate() error { return g.validate(true) }

// ValidateOpen is Validate for a genesis still open: a project whose instance has not named its first
// maintainers yet has none, and is followed all the same; its notices count once it has them.
func (g Genesis) ValidateOpen() error { return g.validate(false) }

func (g Genesis) validate(needMaintainers bool) error {
	p := &problems{kind: "genesis"}
	if err := ValidName(g.Project); err != nil {
		p.add("project", "%v", err)
	}
	if len(g.Maintainers) == 0 && needMaintainers {
		p.add("maintainers", "a project starts with at least one maintainer")
	}
	p.ids("maintainers", g.Maintainers)
	p.keys("keys", g.Keys, false)
	for i, k := range g.Keys {
		if k.Holder != "" && !slices.Contains(g.Maintainers, k.Holder) {
			p.add(fmt.Sprintf("keys[%d]", i), "holder %s is not among the maintainers", k.Holder)
		}
	}
	if !g.Added.IsZero() && g.Added.Before(g.Since) {
		p.add("since", "the record starts %s, after the project was added (%s)", g.Since.Format(Date), g.Added.Format(Date))
	}
	return errors.Join(p.errs...)
}

// Fold derives the state of g's project at at as known then: only notices published by at count,
// and only proofs made by at. Notices apply in the order they took effect, ties in the order
// published, then given. Each must pass Authorize against the state just before it, or it is listed
// in Rejected and changes nothing. Every window and every time-bound effect of a change of rights runs
// from the later of when it took effect and when it was published (Signed.Known), so a notice dated
// back never shortens a window. A date before the project was added has no record (State.NoRecord).
// Validate g and the policy first: Fold trusts them.
func Fold(g Genesis, notices []Signed, stewards []string, p Policy, at time.Time) State {
	return fold(g, notices, stewards, p, at, at, false)
}

// FoldHindsight is the auditor's view: the state at at knowing what is known at now. Every notice
// published by now counts at the date it took effect, revocations included, with every proof made by
// now; windows run from the dates notices took effect; a date before the record starts has no record.
// Notices revoked after at are listed in State.LaterRevoked.
func FoldHindsight(g Genesis, notices []Signed, stewards []string, p Policy, at, now time.Time) State {
	st := fold(g, notices, stewards, p, at, now, true)
	if !st.NoRecord {
		st.LaterRevoked = laterRevoked(st, notices, at, now)
	}
	return st
}

func fold(g Genesis, notices []Signed, stewards []string, p Policy, at, known time.Time, hindsight bool) State {
	start := g.RecordStart(hindsight)
	if at.Before(start) {
		return State{Project: g.Project, At: at, RecordSince: start, NoRecord: true, Hindsight: hindsight}
	}
	f := &folder{genesis: g, stewards: stewards, policy: p, at: at, known: known, hindsight: hindsight, revoked: map[string]bool{}}
	f.st = f.start()
	for _, s := range inEffect(notices, at, known) {
		f.advance(s.Effective())
		f.admit(s)
	}
	return f.finish()
}

// inEffect returns the notices published by known and in effect at at, in the order they took effect.
func inEffect(notices []Signed, at, known time.Time) []Signed {
	var in []Signed
	for _, s := range notices {
		if !s.Published.After(known) && !s.Effective().After(at) {
			in = append(in, s)
		}
	}
	slices.SortStableFunc(in, func(a, b Signed) int {
		if c := a.Effective().Compare(b.Effective()); c != 0 {
			return c
		}
		return a.Published.Compare(b.Published)
	})
	return in
}

// laterRevoked lists the notices in effect at at that a revocation published by now withdrew after
// at: "knowing what we know today, that handover was later revoked".
func laterRevoked(st State, notices []Signed, at, now time.Time) []RevokedNotice {
	var out []RevokedNotice
	for _, r := range notices {
		if r.Notice.Kind != Revocation || r.Published.After(now) || !r.Effective().After(at) {
			continue
		}
		for _, id := range r.Notice.Revokes {
			if t, ok := st.known[id]; ok {
				out = append(out, RevokedNotice{Notice: id, Kind: t.Notice.Kind, By: r.ID, Since: r.Effective(), Reason: r.Notice.Reason})
			}
		}
	}
	return out
}

// folder carries a fold from notice to notice.
type folder struct {
	genesis   Genesis
	stewards  []string
	policy    Policy
	at        time.Time       // the date the state answers for
	known     time.Time       // what was published, and proofs made, by then count
	hindsight bool            // windows run from effective dates, not from when they were known
	accepted  []Signed        // the notices that took effect, in order
	revoked   map[string]bool // the ids accepted revocations withdrew
	adopted   bool            // someone accepted a handover from the instance: the project had a maintainer
	rejected  []Rejection
	st        State
}

// start is the state the admin set.
func (f *folder) start() State {
	g := f.genesis
	st := State{Project: g.Project, At: f.at, RecordSince: g.RecordStart(f.hindsight), Hindsight: f.hindsight, known: map[string]Signed{}}
	for _, p := range g.Maintainers {
		m := Maintainer{Person: p, Since: g.Since}
		for _, r := range Rights {
			m.Rights = append(m.Rights, Grant{Right: r, Since: g.Since, Endorsed: true})
		}
		st.Maintainers = append(st.Maintainers, m)
	}
	for _, k := range g.Keys {
		st.Signers = append(st.Signers, Signer{Key: k, Since: g.Since, Endorsed: true})
	}
	return st
}

// admit applies s if it passes the gate, and records why not otherwise.
func (f *folder) admit(s Signed) {
	if err := f.check(s); err != nil {
		f.rejected = append(f.rejected, Rejection{Notice: s.ID, Kind: s.Notice.Kind, Audience: s.Notice.Audience(), Reason: err.Error()})
		return
	}
	f.accepted = append(f.accepted, s)
	if s.Notice.Kind != Revocation {
		f.apply(s)
		return
	}
	for _, id := range s.Notice.Revokes {
		f.revoked[id] = true
	}
	// A revocation reaches back: derive the state again from the start without what it withdrew. Which
	// notices were accepted stays as decided: they were published on the state of their day.
	f.st = f.start()
	for _, a := range f.accepted {
		f.advance(a.Effective())
		f.apply(a)
	}
}

func (f *folder) check(s Signed) error {
	if err := checkID(s.ID); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	if _, dup := f.st.known[s.ID]; dup {
		return fmt.Errorf("id: another notice with id %s took effect", s.ID)
	}
	if err := f.genesis.SinceOnRecord(s.Notice); err != nil {
		return err
	}
	if s.ByInstance {
		return f.byInstance(s)
	}
	return Authorize(f.st, s, f.stewards)
}

// byInstance says why the instance may not speak for the project with s, or nil (see ByInstance).
func (f *folder) byInstance(s Signed) error {
	if len(f.genesis.Maintainers) > 0 || len(f.st.Maintainers) > 0 {
		return fmt.Errorf("%s: the instance speaks for a project only while it has no maintainers; its maintainers sign its notices", s.Notice.Kind)
	}
	if err := ByInstance(s.Notice); err != nil || s.Notice.Author == "" {
		return err // notices published before the instance wrote statements kept only kind and dates
	}
	return s.Notice.ValidateFull()
}

// ByInstance says why the instance may not say n for a project that has no maintainers, or nil. It may
// say the project is on hiatus, under scrutiny, back, or calling for stewards, and it may hand the
// project to people (an adoption: a handover from the project itself, pending until they accept,
// endorsed by stewards like any change of rights). Whatever else concerns rights or keys takes a
// maintainer's signature, so it waits for the project's first maintainer.
func ByInstance(n Notice) error {
	switch n.Kind {
	case Hiatus, Scrutiny, Return, CallForStewards:
		if len(n.From) > 0 {
			return fmt.Errorf("%s: from: the project has no maintainer to name; the instance speaks for the project itself", n.Kind)
		}
		return nil
	case Handover:
		if len(n.From) != 1 || n.From[0] != n.Author {
			return errors.New("handover: from: the instance hands over a project without maintainers, so it hands over from the project itself and nobody else")
		}
		return nil
	case ReliefRequest:
		return errors.New("relief-request: a relief request is a maintainer asking the stewards for help, and the project has no maintainer: post a call-for-stewards, or give the project a maintainer (baton maintainer add NAME --project P)")
	case Retirement:
		return errors.New("retirement: the project has no maintainer to retire")
	}
	return fmt.Errorf("%s: only a maintainer can sign this, and the project has none yet: give it one first (baton maintainer add NAME --project P), who then signs it", n.Kind)
}

// advance ends what ends by t: interim grants, hiatuses and relief requests with an end date.
func (f *folder) advance(t time.Time) {
	ended := func(until time.Time) bool { return !until.IsZero() && !t.Before(until) }
	f.endInterim(func(g Grant) (time.Time, string, bool) { return g.Until, "", ended(g.Until) })
	f.st.Hiatus = slices.DeleteFunc(f.st.Hiatus, func(a Away) bool { return ended(a.Until) })
	f.st.PendingRelief = slices.DeleteFunc(f.st.PendingRelief, func(r Relief) bool { return ended(r.Until) })
}

// endInterim takes away the interim grants ends says end (when, and by which return if early), and
// records them as ended. Holding nothing else, their holders are no longer maintainers.
func (f *folder) endInterim(ends func(Grant) (on time.Time, by string, ok bool)) {
	for i := range f.st.Maintainers {
		m := &f.st.Maintainers[i]
		m.Rights = slices.DeleteFunc(m.Rights, func(g Grant) bool {
			if g.Until.IsZero() {
				return false
			}
			on, by, ok := ends(g)
			if ok {
				f.st.recordInterimEnd(m.Person, g, on, by)
			}
			return ok
		})
	}
	f.st.Maintainers = slices.DeleteFunc(f.st.Maintainers, func(m Maintainer) bool { return len(m.Rights) == 0 })
}

// SinceOnRecord refuses a notice dated before the project's record starts: nothing was recorded of
// the project then, and such a date would only serve to slip a change in before its window.
func (g Genesis) SinceOnRecord(n Notice) error {
	first := g.Since.Truncate(24 * time.Hour)
	if !n.Since.IsZero() && n.Since.Before(first) {
		return fmt.Errorf("since: %s is before the start of the project's record (%s)", n.Since.Format(Date), first.Format(Date))
	}
	return nil
}

// start is when s begins to count for windows and time-bound effects: as known, the later of when it
// took effect and when it was published; with hindsight, when it took effect.
func (f *folder) startOf(s Signed) time.Time {
	if f.hindsight {
		return s.Effective()
	}
	return s.Known()
}

func (f *folder) finish() State {
	f.advance(f.at)
	if !f.at.Before(f.st.Scrutiny.Until) {
		f.st.Scrutiny = Window{}
	}
	f.st.Rejected = f.rejected
	f.st.Review = f.underRevoked()
	f.st.Orphaned = len(f.st.Maintainers) == 0
	f.st.Unmaintained = len(f.genesis.Maintainers) == 0 && !f.adopted
	return f.st
}

// View is a question a state answers: how the project stood at At, as known then or, with Hindsight,
// knowing what is known at Now.
type View struct {
	At        time.Time
	Hindsight bool
	Now       time.Time // with Hindsight: what was published, and proofs made, by then count
}

// Fold folds the notices for v.
func (v View) Fold(g Genesis, notices []Signed, stewards []string, p Policy) State {
	if v.Hindsight {
		return FoldHindsight(g, notices, stewards, p, v.At, v.Now)
	}
	return Fold(g, notices, stewards, p, v.At)
}

// Known is the date up to which published notices count in v.
func (v View) Known() time.Time {
	if v.Hindsight {
		return v.Now
	}
	return v.At
}
