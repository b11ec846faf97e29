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
	Since       time.Time
}

// Validate reports every problem with g at once.
func (g Genesis) Validate() error {
	p := &problems{kind: "genesis"}
	if err := ValidName(g.Project); err != nil {
		p.add("project", "%v", err)
	}
	if len(g.Maintainers) == 0 {
		p.add("maintainers", "a project starts with at least one maintainer")
	}
	p.ids("maintainers", g.Maintainers)
	p.keys("keys", g.Keys, true)
	for i, k := range g.Keys {
		if k.Holder != "" && !slices.Contains(g.Maintainers, k.Holder) {
			p.add(fmt.Sprintf("keys[%d]", i), "holder %s is not among the maintainers", k.Holder)
		}
	}
	return errors.Join(p.errs...)
}

// Fold derives the state of g's project at at from its notices. Only what a packager could have known
// at at counts: notices published by then and in effect by then (a notice recording the past counts
// from its publication, not before). Notices apply in the order they took effect, ties in the order
// published, then given. Each must pass Authorize against the state just before it, or it is listed in
// Rejected and changes nothing. Endorsements are judged at at, so a steward's later endorsement changes
// the answer for dates after it only. Validate g and the policy first: Fold trusts them.
func Fold(g Genesis, notices []Signed, stewards []string, p Policy, at time.Time) State {
	if at.Before(g.Since) {
		return State{Project: g.Project, At: at}
	}
	f := &folder{genesis: g, stewards: stewards, policy: p, at: at, revoked: map[string]bool{}}
	f.st = f.start()
	for _, s := range inEffect(notices, at) {
		f.advance(s.Effective())
		f.admit(s)
	}
	return f.finish()
}

// inEffect returns the notices published and in effect at at, in the order they took effect.
func inEffect(notices []Signed, at time.Time) []Signed {
	var in []Signed
	for _, s := range notices {
		if !s.Published.After(at) && !s.Effective().After(at) {
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

// folder carries a fold from notice to notice.
type folder struct {
	genesis  Genesis
	stewards []string
	policy   Policy
	at       time.Time
	accepted []Signed        // the notices that took effect, in order
	revoked  map[string]bool // the ids accepted revocations withdrew
	rejected []Rejection
	st       State
}

// start is the state the admin set.
func (f *folder) start() State {
	g := f.genesis
	st := State{Project: g.Project, At: f.at, known: map[string]Signed{}}
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
	return Authorize(f.st, s, f.stewards)
}

// advance ends what ends by t: interim grants, hiatuses and relief requests with an end date.
func (f *folder) advance(t time.Time) {
	ended := func(until time.Time) bool { return !until.IsZero() && !t.Before(until) }
	for i := range f.st.Maintainers {
		m := &f.st.Maintainers[i]
		m.Rights = slices.DeleteFunc(m.Rights, func(g Grant) bool { return ended(g.Until) })
	}
	f.st.Maintainers = slices.DeleteFunc(f.st.Maintainers, func(m Maintainer) bool { return len(m.Rights) == 0 })
	f.st.Hiatus = slices.DeleteFunc(f.st.Hiatus, func(a Away) bool { return ended(a.Until) })
	f.st.PendingRelief = slices.DeleteFunc(f.st.PendingRelief, func(r Relief) bool { return ended(r.Until) })
}

func (f *folder) finish() State {
	f.advance(f.at)
	if !f.at.Before(f.st.Scrutiny.Until) {
		f.st.Scrutiny = Window{}
	}
	f.st.Rejected = f.rejected
	f.st.Orphaned = len(f.st.Maintainers) == 0
	return f.st
}
