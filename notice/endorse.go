package notice

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Endorsement is what the trust policy makes of a notice's proofs at a date.
type Endorsement struct {
	// Required is true for the notices that change who holds rights or controls infrastructure
	// (handover, signer-change, infra-change, and a revocation of one of them); every other kind needs
	// only its author's proof.
	Required bool
	Author   bool // the author's proof counts
	// Unconsented lists the rights a signer-change or infra-change touches whose holders have not
	// agreed: the author does not hold them and no holder signed. Until each has, it takes no effect.
	Unconsented []Right
	Consent     Tally // current maintainers (before the notice): a strict majority, outgoing ones by name
	Acceptance  Tally // the incoming: a handover's To, the holders of keys added
	Stewards    Tally // independent steward endorsements: k of the policy
	Endorsed    bool  // every proof the policy asks for is there
	Missing     []string
	Ignored     []string // proofs that count for nothing, and why

	signed map[string]bool // whose proofs count
}

// Signed reports whether person's proof counts.
func (e Endorsement) Signed(person string) bool { return e.signed[person] }

// Tally counts one kind of proof.
type Tally struct {
	Have    []string // who counted
	Need    int      // how many must
	Missing []string // people whose own proof is required and absent
}

// Met reports whether the tally is complete.
func (t Tally) Met() bool { return len(t.Have) >= t.Need && len(t.Missing) == 0 }

// Evaluate says whether sn has, at at, the proofs the policy asks of its kind, given the state s just
// before it and the instance's stewards. Only proofs made by at count: a steward who endorses later
// endorses from then on. A steward who is a maintainer of the project, or gains something by the
// change, is a party to it, and their proof does not count as an independent endorsement.
func Evaluate(s State, sn Signed, stewards []string, p Policy, at time.Time) Endorsement {
	n := sn.Notice
	signed, ignored := s.signedBy(sn, at)
	if sn.ByInstance {
		signed[n.Author] = true // the project's own proof on the Note is the instance's word; no person signs for it
	}
	e := Endorsement{Required: s.needsEndorsement(n), Author: signed[n.Author], Ignored: ignored, signed: signed}
	if !e.Author {
		e.Missing = append(e.Missing, fmt.Sprintf("author: %s has not signed", n.Author))
	}
	for _, r := range touchedRights(n) {
		if s.consented(n, r, signed, stewards) {
			continue
		}
		e.Unconsented = append(e.Unconsented, r)
		if holders := s.Holders(r); len(holders) > 0 {
			e.Missing = append(e.Missing, fmt.Sprintf("consent: %s is held by %s, who has not signed: the change takes no effect until a holder does", r, strings.Join(holders, ", ")))
		} else {
			e.Missing = append(e.Missing, fmt.Sprintf("consent: nobody holds %s any more: the change takes no effect until a steward signs it", r))
		}
	}
	if e.Required {
		e.count(s, n, stewards, p, signed)
	}
	e.Endorsed = len(e.Missing) == 0
	return e
}

// count tallies consent, acceptance and steward endorsements for a change of who holds rights. k
// depends on how many maintainers the project has before the change: a sole maintainer has nobody
// else to notice the pressure.
func (e *Endorsement) count(s State, n Notice, stewards []string, p Policy, signed map[string]bool) {
	maintainers, incoming := s.maintainerIDs(), incoming(n)
	if n.Kind == Revocation {
		// Those whose rights the revocation withdraws are not asked to agree to it.
		maintainers = slices.DeleteFunc(maintainers, func(p string) bool { return slices.Contains(s.beneficiaries(n.Revokes), p) })
	}
	// Nobody is left to consent when the revocation withdraws every maintainer's rights, nor when the
	// instance hands over a project that has none.
	consentNeed := 0
	if len(maintainers) > 0 {
		consentNeed = majority(len(maintainers))
	}
	parties := append(append(slices.Clone(maintainers), incoming...), n.Author)
	var independent []string
	for _, st := range stewards {
		switch {
		case !slices.Contains(parties, st):
			independent = append(independent, st)
		case signed[st]:
			e.Ignored = append(e.Ignored, fmt.Sprintf("%s is a steward but a party to this change: not an independent endorsement", st))
		}
	}
	e.Consent = tally(maintainers, s.outgoing(n), consentNeed, signed)
	e.Acceptance = tally(incoming, incoming, len(incoming), signed)
	e.Stewards = tally(independent, nil, p.stewardsNeeded(len(maintainers)), signed)
	e.Missing = append(e.Missing, shortfall("consent", "outgoing", "a majority of the current maintainers", e.Consent)...)
	e.Missing = append(e.Missing, shortfall("acceptance", "incoming", "every incoming person", e.Acceptance)...)
	e.Missing = append(e.Missing, shortfall("stewards", "", "independent steward endorsements", e.Stewards)...)
	e.Ignored = append(e.Ignored, roleless(signed, append(parties, stewards...))...)
}

// needsEndorsement reports whether n changes who holds rights or controls infrastructure, and so
// needs more than its author: every handover, signer-change and infra-change, and a revocation of one.
func (s State) needsEndorsement(n Notice) bool {
	switch n.Kind {
	case Handover, SignerChange, InfraChange:
		return true
	case Revocation:
		return slices.ContainsFunc(n.Revokes, func(id string) bool { return changesRights(s.known[id].Notice.Kind) })
	}
	return false
}

// changesRights reports whether notices of kind k change who holds rights or controls infrastructure.
func changesRights(k Kind) bool { return k == Handover || k == SignerChange || k == InfraChange }

// touchedRights lists the rights whose holders must agree to n: release signing for a signer-change,
// the fields an infra-change moves.
func touchedRights(n Notice) []Right {
	switch n.Kind {
	case SignerChange:
		return []Right{RightReleaseSigning}
	case InfraChange:
		var out []Right
		for _, m := range n.Infra {
			if !slices.Contains(out, m.Field) {
				out = append(out, m.Field)
			}
		}
		return out
	}
	return nil
}

// consented reports whether the holders of r agree to n: its author holds r, or one of the holders
// signed. A right nobody holds (its holders retired) is nobody's to give away alone: a steward's proof
// stands in for the holder's consent.
func (s State) consented(n Notice, r Right, signed map[string]bool, stewards []string) bool {
	holders := s.Holders(r)
	if len(holders) == 0 {
		return slices.ContainsFunc(stewards, func(p string) bool { return signed[p] })
	}
	return slices.Contains(holders, n.Author) || slices.ContainsFunc(holders, func(p string) bool { return signed[p] })
}

// beneficiaries are the people the notices with ids gave something: a handover's incoming, the
// holders of keys a signer-change added.
func (s State) beneficiaries(ids []string) []string {
	var out []string
	for _, id := range ids {
		if t, ok := s.known[id]; ok {
			out = append(out, incoming(t.Notice)...)
		}
	}
	return out
}

// outgoing names the maintainers whose own consent a change needs: a handover's From, and the holders
// of keys a signer-change removes.
func (s State) outgoing(n Notice) []string {
	if n.Kind == Handover {
		return n.From
	}
	var people []string
	for _, k := range n.KeysRemoved {
		holder := k.Holder
		if sg, ok := s.Signer(k.Fingerprint); ok && holder == "" {
			holder = sg.Key.Holder
		}
		if s.IsMaintainer(holder) && !slices.Contains(people, holder) {
			people = append(people, holder)
		}
	}
	return people
}

// incoming names the people who must accept a change: a handover's To, the holders of keys added.
func incoming(n Notice) []string {
	if n.Kind == Handover {
		return n.To
	}
	var people []string
	for _, k := range n.KeysAdded {
		if !slices.Contains(people, k.Holder) {
			people = append(people, k.Holder)
		}
	}
	return people
}

// tally counts who among pool signed, and which of named did not.
func tally(pool, named []string, need int, signed map[string]bool) Tally {
	t := Tally{Need: need}
	for _, p := range pool {
		if signed[p] {
			t.Have = append(t.Have, p)
		}
	}
	for _, p := range named {
		if !signed[p] {
			t.Missing = append(t.Missing, p)
		}
	}
	return t
}

// roleless lists the signers who are nobody to this notice: a maintainer of another project, an
// account with no history. Their proofs count for nothing, and saying so makes that visible.
func roleless(signed map[string]bool, somebody []string) []string {
	var out []string
	for person := range signed {
		if !slices.Contains(somebody, person) {
			out = append(out, fmt.Sprintf("%s is neither a maintainer, incoming, nor a steward: counts for nothing", person))
		}
	}
	slices.Sort(out)
	return out
}

// shortfall says in words what a tally lacks: each named person who has not signed, then the count,
// unless the named ones already explain it.
func shortfall(label, role, what string, t Tally) []string {
	var out []string
	for _, p := range t.Missing {
		out = append(out, fmt.Sprintf("%s: %s (%s) has not signed", label, p, role))
	}
	if len(t.Have)+len(t.Missing) < t.Need {
		out = append(out, fmt.Sprintf("%s: %d of %d needed (%s)", label, len(t.Have), t.Need, what))
	}
	return out
}
