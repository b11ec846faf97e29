package ledger

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"baton/federation/proof"
	"baton/notice"
)

// verifyProofs checks every proof on a statement against the keys of this instance's people, and says
// who made each. With fresh set (a statement or endorsement being submitted now), a key revoked
// already is refused: its holder lost it, and could date a proof as they like.
func (l *Ledger) verifyProofs(ctx context.Context, doc []byte, fresh bool) ([]notice.Proof, error) {
	return l.verifyProofsOf(ctx, doc, fresh, false)
}

// verifyProofsOf is verifyProofs that, with remote set, also checks proofs by people on other
// instances, with the keys their actors list at their origins.
func (l *Ledger) verifyProofsOf(ctx context.Context, doc []byte, fresh, remote bool) ([]notice.Proof, error) {
	people := map[string]string{} // verification method -> person id
	fingerprints := map[string]string{}
	verified, err := proof.Verify(doc, func(vm string) (ed25519.PublicKey, error) {
		key, person, fp, err := l.personKey(ctx, vm, fresh, remote)
		if err != nil {
			return nil, err
		}
		people[vm], fingerprints[vm] = person, fp
		return key, nil
	})
	if errors.As(err, new(unavailableError)) {
		return nil, Refuse(503, "%v; try again later", err)
	}
	if err != nil {
		return nil, Refuse(422, "%v", err)
	}
	out := make([]notice.Proof, len(verified))
	for i, p := range verified {
		out[i] = notice.Proof{Person: people[p.VerificationMethod], Key: fingerprints[p.VerificationMethod], Created: p.Created}
	}
	return out, nil
}

// personKey resolves a verification method ACTOR#MULTIKEY to one of a local person's keys or, with
// remote set, of a person on another instance.
func (l *Ledger) personKey(ctx context.Context, vm string, fresh, remote bool) (ed25519.PublicKey, string, string, error) {
	actorID, fragment, _ := strings.Cut(vm, "#")
	name := l.urls.LocalActorName(actorID)
	if name == "" && remote {
		return l.remoteKey(ctx, actorID, vm, fresh)
	}
	if name == "" {
		return nil, "", "", fmt.Errorf("key %s is not a key of a person on this instance", vm)
	}
	pub, err := proof.DecodeMultikey(fragment)
	if err != nil {
		return nil, "", "", fmt.Errorf("key %s: %w", vm, err)
	}
	keys, err := l.store.PersonKeys(ctx, name)
	if err != nil {
		return nil, "", "", err
	}
	for _, k := range keys {
		if !ed25519.PublicKey(k.PublicKey).Equal(pub) {
			continue
		}
		if fresh && !k.Revoked.IsZero() {
			return nil, "", "", fmt.Errorf("key %s of %s was revoked on %s", k.Fingerprint, name, k.Revoked.Format(notice.Date))
		}
		return pub, actorID, k.Fingerprint, nil
	}
	return nil, "", "", fmt.Errorf("key %s is not one of %s's keys", vm, name)
}

// newProofs checks that updated keeps every proof of published and adds at least one, each made with
// a key in use now, and counts the added ones.
func (l *Ledger) newProofs(ctx context.Context, published, updated []byte) (int, error) {
	added, err := addedProofs(published, updated)
	if err != nil {
		return 0, err
	}
	for _, vm := range added {
		if _, _, _, err := l.personKey(ctx, vm, true, true); errors.As(err, new(unavailableError)) {
			return 0, Refuse(503, "%v; try again later", err)
		} else if err != nil {
			return 0, Refuse(422, "%v", err)
		}
	}
	return len(added), nil
}

// addedProofs checks that updated keeps every proof of published and adds at least one, and returns
// the verification methods of those it adds, by proof value.
func addedProofs(published, updated []byte) (map[string]string, error) {
	before, err := proofValues(published)
	if err != nil {
		return nil, err
	}
	after, err := proofValues(updated)
	if err != nil {
		return nil, Refuse(400, "%v", err)
	}
	for value := range before {
		if _, ok := after[value]; !ok {
			return nil, Refuse(422, "the statement lost a proof it had: endorsements add proofs, never remove them")
		}
	}
	added := map[string]string{}
	for value, vm := range after {
		if _, ok := before[value]; !ok {
			added[value] = vm
		}
	}
	if len(added) == 0 {
		return nil, Refuse(422, "the statement has no proof it did not have already")
	}
	return added, nil
}

// proofEntry is what the outbox reads of a proof without checking it.
type proofEntry struct {
	VerificationMethod string `json:"verificationMethod"`
	ProofValue         string `json:"proofValue"`
	Created            string `json:"created"`
}

// proofEntries reads a document's proofs: one, or a set.
func proofEntries(doc []byte) ([]proofEntry, error) {
	var d struct {
		Proof json.RawMessage `json:"proof"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	if len(d.Proof) == 0 {
		return nil, nil // the instance's own statement: no person signed it
	}
	var list []proofEntry
	if json.Unmarshal(d.Proof, &list) != nil {
		var one proofEntry
		if err := json.Unmarshal(d.Proof, &one); err != nil {
			return nil, errors.New("proof: neither a proof nor a list of them")
		}
		list = []proofEntry{one}
	}
	return list, nil
}

// proofValues maps each proof's proofValue to its verification method.
func proofValues(doc []byte) (map[string]string, error) {
	list, err := proofEntries(doc)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range list {
		out[e.ProofValue] = e.VerificationMethod
	}
	return out, nil
}

// QueryFreshness is how far a signed query's proof may be from now: enough for clocks that differ a
// little, short enough that a captured query is of no use for long.
const QueryFreshness = 5 * time.Minute

// StatementFreshness is how old a statement's proofs may be when it is published: long enough to
// pass a handover between its signers, short enough that nobody dates a statement far back.
const StatementFreshness = 7 * 24 * time.Hour

// freshProofs refuses proofs made more than QueryFreshness in the future, or longer than maxAge ago.
// A proof's date is the signer's word; these bounds keep it close to the day the instance received it.
func (l *Ledger) freshProofs(proofs []notice.Proof, maxAge time.Duration) error {
	now := l.now()
	for _, p := range proofs {
		switch {
		case p.Created.After(now.Add(QueryFreshness)):
			return Refuse(422, "the proof by %s is dated %s, in the future", p.Person, p.Created.Format(time.RFC3339))
		case p.Created.Before(now.Add(-maxAge)):
			return Refuse(422, "the proof by %s is dated %s, more than %s ago: sign it again", p.Person, p.Created.Format(time.RFC3339), maxAge)
		}
	}
	return nil
}

// without returns the proofs of all that are not among old.
func without(all, old []notice.Proof) []notice.Proof {
	var out []notice.Proof
	for _, p := range all {
		if !slices.Contains(old, p) {
			out = append(out, p)
		}
	}
	return out
}
