package notice

import (
	"fmt"
	"time"
)

// discount says why proof p on a notice published at published counts for nothing in state s, or ""
// if it counts. Verification outside this package proved that p's key made it; what the project's own
// notices say about that key decides whether it may speak for anyone.
func (s State) discount(p Proof, published time.Time) string {
	if p.Key == "" {
		return ""
	}
	sg, ok := s.Signer(p.Key)
	if !ok {
		return ""
	}
	created := p.Created
	if created.IsZero() {
		created = published
	}
	switch {
	case sg.RevokedBy != "":
		return fmt.Sprintf("%s signed with key %s, which %s revoked", p.Person, p.Key, sg.RevokedBy)
	case !sg.Removed.IsZero() && !created.Before(sg.Removed):
		return fmt.Sprintf("%s signed with key %s, removed by %s on %s", p.Person, p.Key, sg.RemovedBy, sg.Removed.Format(Date))
	case sg.Key.Holder != "" && sg.Key.Holder != p.Person:
		return fmt.Sprintf("%s signed with key %s, which belongs to %s", p.Person, p.Key, sg.Key.Holder)
	}
	return ""
}

// signedBy returns the people whose proofs on sn count at at, and why the others count for nothing.
// Proofs made after at do not exist yet at at, so they are left out without a word.
func (s State) signedBy(sn Signed, at time.Time) (map[string]bool, []string) {
	people := map[string]bool{}
	var ignored []string
	for _, p := range sn.Proofs {
		if !p.madeBy(at, sn.Published) {
			continue
		}
		if why := s.discount(p, sn.Published); why != "" {
			ignored = append(ignored, why)
			continue
		}
		people[p.Person] = true
	}
	return people, ignored
}
