package ledger

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
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
	proofs, err := l.verifyProofs(ctx, query, true)
	if err != nil {
		return "", Refuse(401, "%v", err)
	}
	if len(proofs) != 1 {
		return "", Refuse(401, "a query carries exactly one proof, its steward's")
	}
	now := l.now()
	if d := now.Sub(proofs[0].Created); d > QueryFreshness || d < -QueryFreshness {
		return "", Refuse(401, "the query was signed at %s, more than %s from now", proofs[0].Created.Format(time.RFC3339), QueryFreshness)
	}
	stewards, err := l.roleHolders(ctx, "")
	if err != nil {
		return "", err
	}
	if !slices.Contains(stewards, proofs[0].Person) {
		return "", Refuse(403, "%s is not a steward of this instance", proofs[0].Person)
	}
	// One query id is good for one read, on any replica: marking it used is the check.
	if first, err := l.store.UseOnce(ctx, q.ID, now); err != nil || !first {
		if err == nil {
			err = Refuse(401, "query %s was used already", q.ID)
		}
		return "", err
	}
	return proofs[0].Person, nil
}

// StewardQueryType is the type of a steward's signed query.
const StewardQueryType = "StewardQuery"
