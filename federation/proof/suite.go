package proof

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gowebpki/jcs"
)

// This file holds the eddsa-jcs-2022 cryptosuite itself, as the W3C
// "Data Integrity EdDSA Cryptosuites v1.0" specification defines it.

// parsedProof is one proof read from a document and ready to verify.
type parsedProof struct {
	Proof
	config    object // what the signature covers besides the document
	signature []byte
}

// parseProof checks that p is a well-formed eddsa-jcs-2022 proof on the
// document unsecured, without resolving its key yet.
func parseProof(p, unsecured object) (parsedProof, error) {
	if err := checkRules(p, unsecured["@context"]); err != nil {
		return parsedProof{}, err
	}
	fields, err := readFields(p)
	if err != nil {
		return parsedProof{}, err
	}
	signature, err := readSignature(p)
	if err != nil {
		return parsedProof{}, err
	}
	return parsedProof{Proof: fields, config: proofConfig(p), signature: signature}, nil
}

// checkRules applies the rules that do not need the proof's key.
func checkRules(p object, docContext json.RawMessage) error {
	if err := checkSuite(p); err != nil {
		return err
	}
	if err := checkContext(p, docContext); err != nil {
		return err
	}
	if err := checkExpiry(p, time.Now()); err != nil {
		return err
	}
	return checkNotChained(p)
}

// checkSuite rejects proofs made by any other proof type or cryptosuite:
// their signatures mean something else, even when the bytes look alike.
func checkSuite(p object) error {
	for _, want := range []struct{ member, value string }{
		{"type", ProofType},
		{"cryptosuite", Cryptosuite},
	} {
		got, err := p.requiredString(want.member)
		if err != nil {
			return err
		}
		if got != want.value {
			return fmt.Errorf("%s is %s, want %q", want.member, quoteForError(got), want.value)
		}
	}
	return nil
}

// checkContext requires the proof's @context to equal the document's, or
// both to be absent. The W3C algorithm signs the document's @context inside
// the proof config whatever the proof itself carries, and asks only that the
// document's @context start with the proof's. This is stricter on purpose:
// otherwise a proof's @context could be deleted without breaking the
// signature, and a context appended to the document after signing could
// redefine terms and so change what the signed document means. Conforming
// signers, including the W3C test vector, copy the document's @context into
// the proof and pass.
func checkContext(p object, docContext json.RawMessage) error {
	proofContext, ok := p["@context"]
	switch {
	case !ok && docContext == nil:
		return nil
	case !ok:
		return errors.New("proof has no @context but the document has one")
	case docContext == nil:
		return errors.New("proof has an @context but the document has none")
	case !sameJSON(proofContext, docContext):
		return errors.New("proof @context differs from the document's @context")
	}
	return nil
}

// checkExpiry rejects a proof whose optional "expires" time has passed.
func checkExpiry(p object, now time.Time) error {
	expires, present, err := p.timeMember("expires")
	if err != nil {
		return err
	}
	if present && now.After(expires) {
		return fmt.Errorf("proof expired at %s", expires.Format(time.RFC3339))
	}
	return nil
}

// checkNotChained rejects proof chains. A chained proof also signs the proof
// it names in previousProof, which this package does not implement; saying
// so is clearer than failing with "signature does not verify".
func checkNotChained(p object) error {
	if _, ok := p["previousProof"]; ok {
		return errors.New("proof chains (previousProof) are not supported")
	}
	return nil
}

// readFields reads the members of p that Verify reports to its caller.
// verificationMethod and proofPurpose are required by Data Integrity;
// created is optional.
func readFields(p object) (Proof, error) {
	method, err := p.requiredString("verificationMethod")
	if err != nil {
		return Proof{}, err
	}
	purpose, err := p.requiredString("proofPurpose")
	if err != nil {
		return Proof{}, err
	}
	created, _, err := p.timeMember("created")
	if err != nil {
		return Proof{}, err
	}
	return Proof{VerificationMethod: method, Purpose: purpose, Created: created}, nil
}

// readSignature decodes proofValue: "z" + base58btc(64-byte signature).
func readSignature(p object) ([]byte, error) {
	value, err := p.requiredString("proofValue")
	if err != nil {
		return nil, err
	}
	signature, err := decodeBase58btc(value, ed25519.SignatureSize)
	if err != nil {
		return nil, fmt.Errorf("malformed proofValue: %w", err)
	}
	return signature, nil
}

// verify resolves the proof's key and checks its signature over the document
// whose canonical hash is docHash.
func (p parsedProof) verify(docHash [32]byte, resolve func(string) (ed25519.PublicKey, error)) error {
	key, err := resolve(p.VerificationMethod)
	if err != nil {
		return fmt.Errorf("key refused: %w", err)
	}
	// ed25519.Verify panics on a key of the wrong length, and resolved keys
	// often come from remote documents.
	if len(key) != ed25519.PublicKeySize {
		return fmt.Errorf("resolved key has %d bytes, want %d", len(key), ed25519.PublicKeySize)
	}
	data, err := hashData(p.config, docHash)
	if err != nil {
		return err
	}
	if !ed25519.Verify(key, data, p.signature) {
		return errors.New("signature does not verify")
	}
	return nil
}

// proofConfig returns what a proof signs about itself: the proof without its
// proofValue. The spec's proof config carries the document's @context; Sign
// copies it into the proof and checkContext insists on it, so the proof's own
// @context is that one.
func proofConfig(p object) object {
	return p.without("proofValue")
}

// hashData is the message eddsa-jcs-2022 signs: the SHA-256 of the canonical
// proof config followed by the SHA-256 of the canonical document. Hashing
// the two apart lets a proof set hash its shared document only once.
func hashData(config object, docHash [32]byte) ([]byte, error) {
	proofHash, err := canonicalHash(config)
	if err != nil {
		return nil, fmt.Errorf("proof config: %w", err)
	}
	return append(proofHash[:], docHash[:]...), nil
}

// documentHash is the SHA-256 of the canonical document without "proof".
func documentHash(unsecured object) ([32]byte, error) {
	h, err := canonicalHash(unsecured)
	if err != nil {
		return h, fmt.Errorf("document: %w", err)
	}
	return h, nil
}

// canonicalHash is the SHA-256 of o in JSON Canonicalization Scheme form
// (RFC 8785), so that any spelling of the same JSON hashes the same.
func canonicalHash(o object) ([32]byte, error) {
	b, err := encodeJSON(o)
	if err != nil {
		return [32]byte{}, err
	}
	canonical, err := jcs.Transform(b)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(canonical), nil
}
