package notice

import (
	"errors"
	"fmt"
	"slices"
)

// Authorize is the gate every notice passes before it is published or, arriving from elsewhere,
// recorded: it is valid (ValidateFull), it is about s's project, its author has signed it with a key
// the project has not withdrawn, and the author may publish it given the state s just before it. A
// notice that fails is rejected, never published. Passing says nothing of endorsements: a handover
// that lacks them is still published, marked unendorsed (see Evaluate).
func Authorize(s State, sn Signed, stewards []string) error {
	n := sn.Notice
	if err := n.ValidateFull(); err != nil {
		return err
	}
	var errs []error
	if n.Project != s.Project {
		errs = append(errs, fmt.Errorf("project: the notice is for %q, the state for %q", n.Project, s.Project))
	}
	if err := authorSigned(s, sn); err != nil {
		errs = append(errs, err)
	}
	if err := authorRole(s, n, stewards); err != nil {
		errs = append(errs, err)
	}
	if rules, ok := kindRules[n.Kind]; ok {
		errs = append(errs, rules(s, n)...)
	}
	return errors.Join(errs...)
}

// authorSigned checks that the author's own proof is there and counts: the author always signs.
func authorSigned(s State, sn Signed) error {
	var why []string
	for _, p := range sn.Proofs {
		if p.Person != sn.Notice.Author {
			continue
		}
		d := s.discount(p, sn.Published)
		if d == "" {
			return nil
		}
		why = append(why, d)
	}
	if len(why) == 0 {
		return fmt.Errorf("%s: the author %s has not signed it", sn.Notice.Kind, sn.Notice.Author)
	}
	return fmt.Errorf("%s: the author's proof does not count: %s", sn.Notice.Kind, why[0])
}

// authorRole checks that the author is someone who may publish a notice of this kind.
func authorRole(s State, n Notice, stewards []string) error {
	a := n.Author
	maintainer, steward := s.IsMaintainer(a), slices.Contains(stewards, a)
	switch n.Kind {
	case CallForStewards, Scrutiny:
		if !maintainer && !steward {
			return fmt.Errorf("%s: %s is neither a maintainer of %s nor a steward", n.Kind, a, s.Project)
		}
	case Revocation:
		// Whoever lost rights through a handover must be able to revoke it, even with none left.
		if !maintainer && !steward && !s.outgoingOfAny(n.Revokes, a) {
			return fmt.Errorf("revocation: %s is not a maintainer of %s, a steward, or an outgoing maintainer of a handover it revokes", a, s.Project)
		}
	default:
		if !maintainer {
			return fmt.Errorf("%s: %s is not a maintainer of %s", n.Kind, a, s.Project)
		}
	}
	return nil
}

// outgoingOfAny reports whether person is in the From of a handover among ids.
func (s State) outgoingOfAny(ids []string, person string) bool {
	return slices.ContainsFunc(ids, func(id string) bool {
		t, ok := s.known[id]
		return ok && t.Notice.Kind == Handover && slices.Contains(t.Notice.From, person)
	})
}

// kindRules holds what a kind asks of the state beyond who its author is.
var kindRules = map[Kind]func(State, Notice) []error{
	Hiatus:       concernedIsMaintainer,
	Return:       concernedIsMaintainer,
	Retirement:   retirementRules,
	Handover:     handoverRules,
	SignerChange: signerChangeRules,
	Revocation:   revocationRules,
}

// concerned is the maintainer a hiatus, return or retirement is about: From, else the author.
func (n Notice) concerned() string {
	if len(n.From) > 0 {
		return n.From[0]
	}
	return n.Author
}

// concernedIsMaintainer checks the maintainer a hiatus or return names, if not the author: authorRole
// already checked the author.
func concernedIsMaintainer(s State, n Notice) []error {
	if p := n.concerned(); p != n.Author && !s.IsMaintainer(p) {
		return []error{fmt.Errorf("%s: from: %s is not a maintainer of %s", n.Kind, p, s.Project)}
	}
	return nil
}

func retirementRules(s State, n Notice) []error {
	var errs []error
	if p := n.concerned(); p != n.Author {
		errs = append(errs, fmt.Errorf("retirement: from: %s cannot retire %s: a maintainer retires themself, and passing someone's rights on takes a handover they consent to", n.Author, p))
	}
	if left := len(s.Maintainers) - 1; n.Orphaned && left > 0 {
		errs = append(errs, fmt.Errorf("retirement: orphaned: %d other maintainers remain", left))
	}
	return errs
}

func handoverRules(s State, n Notice) []error {
	var errs []error
	if !slices.Contains(n.From, n.Author) {
		errs = append(errs, fmt.Errorf("handover: from: the author %s is not among the outgoing maintainers", n.Author))
	}
	notMaintainer := false
	for _, p := range n.From {
		if !s.IsMaintainer(p) {
			notMaintainer = true
			if p != n.Author { // authorRole says it of the author
				errs = append(errs, fmt.Errorf("handover: from: %s is not a maintainer of %s", p, s.Project))
			}
		}
	}
	if notMaintainer {
		return errs // who is not a maintainer holds nothing: saying so right by right adds nothing
	}
	var unheld []Right
	for _, r := range n.Scope {
		if !s.holdsAny(n.From, r) {
			unheld = append(unheld, r)
		}
	}
	if len(unheld) > 0 {
		errs = append(errs, fmt.Errorf("handover: scope: none of from holds %s, so none can pass it on", list(unheld)))
	}
	if id, rights := s.pendingSuccession(n); id != "" {
		errs = append(errs, fmt.Errorf("handover: scope: %s already hands %s on as successor and waits for acceptance: revoke it before handing them over again", id, list(rights)))
	}
	return errs
}

// pendingSuccession finds a successor handover waiting for acceptance that would take from n's
// outgoing some of the rights n hands on: once accepted, it would void n, so the two cannot both stand.
func (s State) pendingSuccession(n Notice) (string, []Right) {
	for _, p := range s.Pending {
		t, ok := s.known[p.Notice]
		if !ok || p.Kind != Handover || t.Notice.Mode != Successor || !slices.ContainsFunc(t.Notice.From, func(f string) bool { return slices.Contains(n.From, f) }) {
			continue
		}
		var overlap []Right
		for _, r := range n.Scope {
			if slices.Contains(p.Rights, r) {
				overlap = append(overlap, r)
			}
		}
		if len(overlap) > 0 {
			return p.Notice, overlap
		}
	}
	return "", nil
}

func signerChangeRules(s State, n Notice) []error {
	var errs []error
	for _, k := range n.KeysRemoved {
		if sg, ok := s.Signer(k.Fingerprint); !ok || !sg.Valid() {
			errs = append(errs, fmt.Errorf("signer-change: keys-removed: %s is not a valid signing key of %s", k.Fingerprint, s.Project))
		}
	}
	for _, k := range n.KeysAdded {
		if sg, ok := s.Signer(k.Fingerprint); ok && sg.RevokedBy != "" {
			errs = append(errs, fmt.Errorf("signer-change: keys-added: %s was revoked by %s and cannot come back", k.Fingerprint, sg.RevokedBy))
		} else if ok && sg.Valid() {
			errs = append(errs, fmt.Errorf("signer-change: keys-added: %s is already a signing key (since %s)", k.Fingerprint, sg.Since.Format(Date)))
		}
		if !s.IsMaintainer(k.Holder) {
			errs = append(errs, fmt.Errorf("signer-change: keys-added: holder %s is not a maintainer of %s", k.Holder, s.Project))
		}
	}
	return errs
}

func revocationRules(s State, n Notice) []error {
	var errs []error
	for _, id := range n.Revokes {
		t, ok := s.known[id]
		by, gone := s.revokedBy(id)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("revocation: revokes: %s is not a notice of %s in effect", id, s.Project))
		case gone:
			errs = append(errs, fmt.Errorf("revocation: revokes: %s was already revoked by %s", id, by))
		case t.Notice.Kind == Revocation:
			errs = append(errs, fmt.Errorf("revocation: revokes: %s is a revocation; publish the notice again instead", id))
		}
	}
	return errs
}

// MaySign says why person may not add a proof to sn, or nil. Only those the notice concerns sign it:
// its author, the project's maintainers (whose consent counts), the people it names (outgoing and
// incoming, the holders of keys it adds or removes), and the stewards. Anyone else's proof would count
// for nothing and, listed among the signers, would read as support it is not. s is the state just
// before the notice.
func MaySign(s State, sn Signed, person string, stewards []string) error {
	n := sn.Notice
	if person == n.Author || s.IsMaintainer(person) || slices.Contains(stewards, person) ||
		slices.Contains(n.From, person) || slices.Contains(incoming(n), person) || slices.Contains(s.outgoing(n), person) {
		return nil
	}
	return fmt.Errorf("%s may not sign this %s: only its author, the maintainers of %s, the people it hands over from or to, the holders of keys it adds or removes, and the stewards may", person, n.Kind, s.Project)
}
