package notice

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// apply makes an accepted notice's effects on the state. A revoked notice keeps the scrutiny window it
// opened (what happened under it still deserves review) and leaves its keys marked revoked, but
// grants nothing.
func (f *folder) apply(s Signed) {
	f.st.known[s.ID] = s
	f.openWindow(s)
	if f.revoked[s.ID] {
		if s.Notice.Kind == SignerChange {
			f.revokedKeys(s)
		}
		return
	}
	switch s.Notice.Kind {
	case ReliefRequest:
		f.relief(s)
	case Hiatus:
		f.away(s)
	case Return:
		f.endInterimOf(s)
		f.back(s.concerned())
	case Retirement:
		f.retire(s)
	case Handover:
		f.handover(s, f.evaluate(s))
	case SignerChange:
		if e := f.evaluate(s); f.consented(s, e) {
			f.signerChange(s, e.Endorsed)
		}
	case InfraChange:
		if e := f.evaluate(s); f.consented(s, e) {
			f.moveInfra(s)
		}
	case Revocation:
		f.evaluate(s)
		f.recordRevocation(s)
	}
}

// evaluate judges s's proofs on the state just before it, counting those made by the time the fold
// knows of, and lists it as unendorsed if it lacks proofs the policy asks for.
func (f *folder) evaluate(s Signed) Endorsement {
	e := Evaluate(f.st, s, f.stewards, f.policy, f.known)
	if e.Required && !e.Endorsed {
		f.st.Unendorsed = append(f.st.Unendorsed, Unendorsed{Notice: s.ID, Kind: s.Notice.Kind, Since: s.Effective(), Missing: e.Missing, Backdated: backdated(s)})
	}
	return e
}

// backdated is when s was published, if that was more than a day after the date it gives.
func backdated(s Signed) time.Time {
	if s.Backdated() {
		return s.Published
	}
	return time.Time{}
}

// consented reports whether the holders of every right s touches agreed to it; if not, s waits for
// one of them and changes nothing meanwhile.
func (f *folder) consented(s Signed, e Endorsement) bool {
	if len(e.Unconsented) == 0 {
		return true
	}
	var waiting []string
	for _, r := range e.Unconsented {
		for _, p := range f.st.Holders(r) {
			if !slices.Contains(waiting, p) {
				waiting = append(waiting, p)
			}
		}
	}
	f.st.Pending = append(f.st.Pending, Pending{Notice: s.ID, Kind: s.Notice.Kind, Waiting: "consent", People: waiting, Rights: e.Unconsented})
	return false
}

func (f *folder) relief(s Signed) {
	n := s.Notice
	f.st.PendingRelief = append(f.st.PendingRelief, Relief{Notice: s.ID, Person: n.Author, Help: n.Help, Since: s.Effective(), Until: n.Until})
}

// answerRelief drops the relief requests of people: a handover from them, their return or their
// retirement answers them.
func (f *folder) answerRelief(people ...string) {
	f.st.PendingRelief = slices.DeleteFunc(f.st.PendingRelief, func(r Relief) bool { return slices.Contains(people, r.Person) })
}

// away records a hiatus; a later one for the same person replaces it.
func (f *folder) away(s Signed) {
	p := s.concerned()
	f.endHiatus(p)
	f.st.Hiatus = append(f.st.Hiatus, Away{Person: p, Since: s.Effective(), Until: s.Notice.Until, Notice: s.ID})
}

// back ends person's hiatus and answers their relief requests: they are back.
func (f *folder) back(person string) {
	f.endHiatus(person)
	f.answerRelief(person)
}

// endInterimOf ends, at the return r, the interim rights the returning maintainer handed over: they
// hold them again themself, so the interim is over early.
func (f *folder) endInterimOf(r Signed) {
	f.endInterim(func(g Grant) (time.Time, string, bool) {
		return r.Effective(), r.ID, f.interimFrom(g, r.Notice.concerned())
	})
}

// interimFrom reports whether g came by an interim handover from person.
func (f *folder) interimFrom(g Grant, person string) bool {
	h, ok := f.st.known[g.Notice]
	return ok && h.Notice.Kind == Handover && h.Notice.Mode == Interim && slices.Contains(h.Notice.From, person)
}

// interimHeldFrom lists who holds interim rights person handed over.
func (f *folder) interimHeldFrom(person string) []string {
	var out []string
	for _, m := range f.st.Maintainers {
		if slices.ContainsFunc(m.Rights, func(g Grant) bool { return !g.Until.IsZero() && f.interimFrom(g, person) }) {
			out = append(out, m.Person)
		}
	}
	return out
}

func (f *folder) endHiatus(person string) {
	f.st.Hiatus = slices.DeleteFunc(f.st.Hiatus, func(a Away) bool { return a.Person == person })
}

func (f *folder) retire(s Signed) {
	p := s.Notice.concerned()
	f.drop(p, Rights)
	f.back(p)
	if !slices.Contains(f.st.Retired, p) {
		f.st.Retired = append(f.st.Retired, p)
	}
}

// handover passes the scope from From to To, as far as From hold it: after a revocation, a later
// handover by someone who lost their rights passes nothing on. An incoming person holds nothing until
// they have accepted: until then the handover is pending for them, and a successor's outgoing keep
// what they would pass on.
func (f *folder) handover(s Signed, e Endorsement) {
	n := s.Notice
	var scope []Right
	for _, r := range n.Scope {
		// The instance passes on what nobody held while it spoke for the project.
		if s.ByInstance || f.st.holdsAny(n.From, r) {
			scope = append(scope, r)
		}
	}
	var accepted []string
	for _, p := range n.To {
		if e.Signed(p) {
			accepted = append(accepted, p)
		} else {
			f.st.Pending = append(f.st.Pending, Pending{Notice: s.ID, Kind: Handover, Waiting: "acceptance", People: []string{p}, Rights: scope})
		}
	}
	if len(accepted) == 0 {
		return
	}
	if n.Mode == Successor {
		for _, p := range n.From {
			f.drop(p, scope)
		}
	}
	var until time.Time
	if n.Mode == Interim {
		until = n.Until
	}
	if s.ByInstance {
		// The project has a maintainer again: what its instance said of it while it had none ends.
		f.adopted = true
		f.endHiatus("")
	}
	for _, p := range accepted {
		for _, r := range scope {
			f.grant(p, Grant{Right: r, Since: f.startOf(s), Until: until, Notice: s.ID, Endorsed: e.Endorsed})
		}
		f.st.Retired = slices.DeleteFunc(f.st.Retired, func(r string) bool { return r == p })
	}
	f.answerRelief(n.From...)
}

// moveInfra records where an infra-change moved each field.
func (f *folder) moveInfra(s Signed) {
	for _, m := range s.Notice.Infra {
		f.st.Infra = slices.DeleteFunc(f.st.Infra, func(i Infra) bool { return i.Field == m.Field })
		f.st.Infra = append(f.st.Infra, Infra{Field: m.Field, To: m.To, Since: f.startOf(s), Notice: s.ID, Author: s.Notice.Author})
	}
}

// grant gives person g, unless they already hold the right for good.
func (f *folder) grant(person string, g Grant) {
	i := f.st.maintainerIndex(person)
	if i < 0 {
		f.st.Maintainers = append(f.st.Maintainers, Maintainer{Person: person, Since: g.Since})
		i = len(f.st.Maintainers) - 1
	}
	m := &f.st.Maintainers[i]
	j := slices.IndexFunc(m.Rights, func(h Grant) bool { return h.Right == g.Right })
	switch {
	case j < 0:
		m.Rights = append(m.Rights, g)
		slices.SortStableFunc(m.Rights, func(a, b Grant) int { return slices.Index(Rights, a.Right) - slices.Index(Rights, b.Right) })
	case !m.Rights[j].Until.IsZero():
		m.Rights[j] = g
	}
}

// drop takes rights from person; holding none, they are no longer a maintainer.
func (f *folder) drop(person string, rights []Right) {
	i := f.st.maintainerIndex(person)
	if i < 0 {
		return
	}
	m := &f.st.Maintainers[i]
	m.Rights = slices.DeleteFunc(m.Rights, func(g Grant) bool { return slices.Contains(rights, g.Right) })
	if len(m.Rights) == 0 {
		f.st.Maintainers = slices.Delete(f.st.Maintainers, i, i+1)
	}
}

func (f *folder) signerChange(s Signed, endorsed bool) {
	for _, k := range s.Notice.KeysRemoved {
		if i := f.st.signerIndex(k.Fingerprint); i >= 0 && f.st.Signers[i].Valid() {
			f.st.Signers[i].Removed, f.st.Signers[i].RemovedBy = s.Effective(), s.ID
		}
	}
	for _, k := range s.Notice.KeysAdded {
		f.st.Signers = append(f.st.Signers, Signer{Key: k, Since: f.startOf(s), Notice: s.ID, Endorsed: endorsed})
	}
}

// revokedKeys lists the keys a revoked signer-change announced, marked so that nobody trusts them.
func (f *folder) revokedKeys(s Signed) {
	by := f.revokerOf(s.ID)
	for _, k := range s.Notice.KeysAdded {
		f.st.Signers = append(f.st.Signers, Signer{Key: k, Since: s.Effective(), Notice: s.ID, RevokedBy: by})
	}
}

// revokerOf finds the accepted revocation that withdrew id.
func (f *folder) revokerOf(id string) string {
	for _, a := range f.accepted {
		if a.Notice.Kind == Revocation && slices.Contains(a.Notice.Revokes, id) {
			return a.ID
		}
	}
	return ""
}

func (f *folder) recordRevocation(s Signed) {
	for _, id := range s.Notice.Revokes {
		f.st.Revoked = append(f.st.Revoked, RevokedNotice{Notice: id, Kind: f.st.known[id].Notice.Kind, By: s.ID, Since: s.Effective(), Reason: s.Notice.Reason})
	}
}

// underRevoked lists the changes still in effect that were made by someone whose rights came from a
// handover since revoked: the revocation takes their rights, not what they did with them.
func (f *folder) underRevoked() []Review {
	var out []Review
	for _, a := range f.accepted {
		if f.revoked[a.ID] || (a.Notice.Kind != InfraChange && a.Notice.Kind != SignerChange) {
			continue
		}
		h, ok := f.revokedHandoverOf(a)
		if !ok {
			continue
		}
		if what := f.stillInEffect(a); what != "" {
			out = append(out, Review{Notice: a.ID, Kind: a.Notice.Kind, Since: a.Effective(), Person: a.Notice.Author, Handover: h, What: what})
		}
	}
	return out
}

// revokedHandoverOf finds a revoked handover that made a's author a maintainer before a.
func (f *folder) revokedHandoverOf(a Signed) (string, bool) {
	for _, h := range f.accepted {
		if h.Notice.Kind == Handover && f.revoked[h.ID] && slices.Contains(h.Notice.To, a.Notice.Author) && !h.Effective().After(a.Effective()) {
			return h.ID, true
		}
	}
	return "", false
}

// stillInEffect says what of a still holds: the fields it moved that no later move moved again, the
// keys it added that are still valid. Empty when nothing does.
func (f *folder) stillInEffect(a Signed) string {
	var parts []string
	for _, i := range f.st.Infra {
		if i.Notice == a.ID {
			parts = append(parts, fmt.Sprintf("%s moved to %s", i.Field, i.To))
		}
	}
	for _, sg := range f.st.Signers {
		if sg.Notice == a.ID && sg.Valid() {
			parts = append(parts, "release-signing key "+sg.Key.Fingerprint+" added")
		}
	}
	return strings.Join(parts, "; ")
}
