package notice

import (
	"slices"
	"strings"
	"time"
)

// Which notices open a scrutiny window, and why:
//   - a handover and a signer-change: someone new can commit, merge or sign releases;
//   - every infra-change: the security contact decides who hears of a vulnerability first, the website
//     and DNS where people fetch tarballs and keys, CI what builds them, the fuzzing contact who hears
//     of the crashes fuzzers find (xz's attacker took it, then disabled a fuzzer). None is harmless;
//   - a scrutiny notice, until the date it gives;
//   - a revocation of any of the above: control was disputed, and what happened under it needs review;
//   - a return that ends interim rights early, for the policy's shorter ReturnScrutinyWindow: the rights
//     go back to who held them before the interim, and what the interim left deserves a look.
// A window opened while another is open extends it. A revoked change keeps its window, and a revoked
// scrutiny notice has none. As known, a window runs from the later of when its notice took effect and
// when it was published: a handover published today and dated 2020 opens a window today.

// openWindow opens or extends the scrutiny window for s, if its kind opens one.
func (f *folder) openWindow(s Signed) {
	until, why, ok := f.windowOf(s)
	start := f.startOf(s)
	if !ok || !until.After(start) {
		return
	}
	r := WindowReason{Notice: s.ID, Kind: s.Notice.Kind, Since: start, Until: until, Why: why, Backdated: backdated(s)}
	if s.Backdated() {
		r.Dated = s.Effective()
	}
	w := &f.st.Scrutiny
	if !r.Since.Before(w.Until) {
		*w = Window{Since: r.Since, Until: r.Until, Reasons: []WindowReason{r}}
		return
	}
	w.Reasons = append(w.Reasons, r)
	if r.Since.Before(w.Since) {
		w.Since = r.Since // a notice dated back opens its window when published, so starts need not come in order
	}
	if r.Until.After(w.Until) {
		w.Until = r.Until
	}
}

// windowOf says until when s keeps the project under scrutiny, and why.
func (f *folder) windowOf(s Signed) (time.Time, string, bool) {
	n := s.Notice
	end := f.startOf(s).Add(f.policy.ScrutinyWindow)
	switch n.Kind {
	case Handover:
		return end, "handover (" + string(n.Mode) + ") of " + list(n.Scope) + " to " + strings.Join(n.To, ", "), true
	case SignerChange:
		return end, "release-signing keys changed", true
	case InfraChange:
		fields := make([]Right, len(n.Infra))
		for i, m := range n.Infra {
			fields[i] = m.Field
		}
		return end, "moved: " + list(fields), true
	case Scrutiny:
		why := n.Reason
		if why == "" {
			why = "scrutiny window announced"
		}
		return n.Until, why, !f.revoked[s.ID]
	case Return:
		// Ending interim rights early changes who holds them: review what the interim left behind.
		if held := f.interimHeldFrom(n.concerned()); len(held) > 0 {
			return f.startOf(s).Add(f.policy.ReturnScrutinyWindow), "return of " + n.concerned() + ": interim rights of " + strings.Join(held, ", ") + " end early", true
		}
	case Revocation:
		if f.revokesControl(n) {
			return end, "revoked: " + strings.Join(n.Revokes, ", "), true
		}
	}
	return time.Time{}, "", false
}

// revokesControl reports whether n revokes a change of who controls something.
func (f *folder) revokesControl(n Notice) bool {
	return slices.ContainsFunc(n.Revokes, func(id string) bool {
		switch f.st.known[id].Notice.Kind {
		case Handover, SignerChange, InfraChange:
			return true
		}
		return false
	})
}
