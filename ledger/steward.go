package ledger

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"baton/notice"
)

// Steward checks a query signed by a steward (to read what is meant for stewards alone): one proof, by
// a key in use of a person who is a steward, made within QueryFreshness of now, and an id not seen
// before. It returns the steward's actor id.
func (l *Ledger) Steward(ctx context.Context, query []byte) (string, error) {
	var q struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(query, &q); err != nil || q.Type != StewardQueryType || !strings.HasPrefix(q.ID, "urn:uuid:") {
		return "", Refuse(400, "want a %s with a urn:uuid id", StewardQueryType)
	}
	p, err := l.signedNow(ctx, query, "a query")
	if err != nil {
		return "", err
	}
	stewards, err := l.roleHolders(ctx, "")
	if err != nil {
		return "", err
	}
	if !slices.Contains(stewards, p.Person) {
		return "", Refuse(403, "%s is not a steward of this instance", p.Person)
	}
	// One query id is good for one read, on any replica: marking it used is the check.
	if first, err := l.store.UseOnce(ctx, q.ID, l.now()); err != nil || !first {
		if err == nil {
			err = Refuse(401, "query %s was used already", q.ID)
		}
		return "", err
	}
	return p.Person, nil
}

// signedNow checks that doc carries exactly one proof, by a key in use of a person on this instance,
// made within QueryFreshness of now: what is signed to be acted on at once (a query, an offer).
func (l *Ledger) signedNow(ctx context.Context, doc []byte, what string) (notice.Proof, error) {
	proofs, err := l.verifyProofs(ctx, doc, true)
	if err != nil {
		return notice.Proof{}, Refuse(401, "%v", err)
	}
	if len(proofs) != 1 {
		return notice.Proof{}, Refuse(401, "%s carries exactly one proof, its signer's", what)
	}
	if d := l.now().Sub(proofs[0].Created); d > QueryFreshness || d < -QueryFreshness {
		return notice.Proof{}, Refuse(401, "%s was signed at %s, more than %s from now", what, proofs[0].Created.Format(time.RFC3339), QueryFreshness)
	}
	return proofs[0], nil
}

// Offerer checks an offer to answer a call for stewards, as the offering person's instance receives it
// from their client: one proof by a key in use of a person on this instance, made within
// QueryFreshness of now. It returns the person's actor id.
func (l *Ledger) Offerer(ctx context.Context, offer []byte) (string, error) {
	p, err := l.signedNow(ctx, offer, "an offer")
	if err != nil {
		return "", err
	}
	return p.Person, nil
}

// StewardQueryType is the type of a steward's signed query.
const StewardQueryType = "StewardQuery"
