package ledger

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Steward checks a query signed by a steward (to read what is meant for stewards alone): a
// SignedQuery of StewardQueryType by a person who is a steward. It returns the steward's actor id.
func (l *Ledger) Steward(ctx context.Context, query []byte) (string, error) {
	person, err := l.SignedQuery(ctx, query, StewardQueryType)
	if err != nil {
		return "", err
	}
	stewards, err := l.roleHolders(ctx, "")
	if err != nil {
		return "", err
	}
	if !slices.Contains(stewards, person) {
		return "", Refuse(403, "%s is not a steward of this instance", person)
	}
	return person, nil
}

// SignedQuery checks a request a person signed with their own key (a steward reading notices for
// stewards, a participant in a relief case): a JSON document of one of the types given with a
// urn:uuid id, one proof by a key in use of a person on this instance, made within QueryFreshness of
// now, and an id not seen before. It returns the person's actor id. What the person may ask is the
// caller's to judge.
func (l *Ledger) SignedQuery(ctx context.Context, query []byte, types ...string) (string, error) {
	var q struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(query, &q); err != nil || !slices.Contains(types, q.Type) || !strings.HasPrefix(q.ID, "urn:uuid:") {
		return "", Refuse(400, "want a %s with a urn:uuid id", strings.Join(types, " or "))
	}
	person, err := l.signedNow(ctx, query, "the query")
	if err != nil {
		return "", err
	}
	// One query id is good for one request, on any replica: marking it used is the check.
	if first, err := l.store.UseOnce(ctx, q.ID, l.now()); err != nil || !first {
		if err == nil {
			err = Refuse(401, "query %s was used already", q.ID)
		}
		return "", err
	}
	return person, nil
}

// Offerer checks an offer to answer a call for stewards, as the offering person's instance receives it
// from their client: one proof by a key in use of a person on this instance, made within
// QueryFreshness of now. It returns the person's actor id.
func (l *Ledger) Offerer(ctx context.Context, offer []byte) (string, error) {
	return l.signedNow(ctx, offer, "an offer")
}

// signedNow checks that doc carries exactly one proof, by a key in use of a person on this instance,
// made within QueryFreshness of now: what is signed to be acted on at once (a query, an offer).
func (l *Ledger) signedNow(ctx context.Context, doc []byte, what string) (string, error) {
	person, created, err := l.SignedBy(ctx, doc)
	if err != nil {
		return "", err
	}
	if d := l.now().Sub(created); d > QueryFreshness || d < -QueryFreshness {
		return "", Refuse(401, "%s was signed at %s, more than %s from now", what, created.Format(time.RFC3339), QueryFreshness)
	}
	return person, nil
}

// SignedBy checks that a document carries exactly one proof, by a key in use of a person on this
// instance, and says who made it and when.
func (l *Ledger) SignedBy(ctx context.Context, doc []byte) (string, time.Time, error) {
	proofs, err := l.verifyProofs(ctx, doc, true)
	if err != nil {
		return "", time.Time{}, Refuse(401, "%v", err)
	}
	if len(proofs) != 1 {
		return "", time.Time{}, Refuse(401, "a signed document carries exactly one proof, its signer's")
	}
	return proofs[0].Person, proofs[0].Created, nil
}

// StewardQueryType is the type of a steward's signed query.
const StewardQueryType = "StewardQuery"
