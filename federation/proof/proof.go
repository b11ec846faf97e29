// Package proof signs and verifies object integrity proofs on ActivityPub
// documents: FEP-8b32 proofs made with the W3C Data Integrity cryptosuite
// eddsa-jcs-2022, with Ed25519 public keys written as FEP-521a Multikeys. It also reads the
// OpenSSH Ed25519 keys maintainers already sign git commits with.
//
// The package does not fetch keys or decide whom to trust. Verify asks its
// caller to resolve each verificationMethod to a key, and returns who signed,
// for what purpose and when; checking that those are acceptable (for example
// that the key belongs to the activity's actor) is the caller's job.
package proof

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Cryptosuite is the only Data Integrity cryptosuite this package makes and accepts.
const Cryptosuite = "eddsa-jcs-2022"

// ProofType is the "type" of every proof this package makes and accepts.
const ProofType = "DataIntegrityProof"

// assertionMethod is the proofPurpose Sign writes: the signer asserts the
// document's content, which is what FEP-8b32 proofs on activities mean.
const assertionMethod = "assertionMethod"

// maxProofs caps the size of a proof set. Each proof makes Verify call
// resolve, which usually means fetching a key over the network, so without a
// cap one small hostile document could make a server issue thousands of
// requests. Real documents carry one proof, or a handful of endorsements.
const maxProofs = 16

// Proof describes one verified proof.
type Proof struct {
	VerificationMethod string    // key id, e.g. https://host/users/xz#ed25519-key
	Purpose            string    // proofPurpose: always "assertionMethod", the only one Verify accepts
	Created            time.Time // zero if the proof gives no created time
}

// Sign adds a proof by key to doc (a JSON object) and returns the new document bytes.
// If doc already carries a "proof" (object or array), the new proof is appended and "proof" becomes an
// array: a proof set, where every proof covers the document without its "proof" property, so
// endorsers can add their proofs independently and in any order.
// The proof config carries the document's "@context" (as the W3C spec requires; omit if the doc has none).
// created is written as RFC 3339 UTC with second precision ("2023-02-24T23:36:38Z").
//
// Members of doc are kept as written, but the output is re-serialised:
// members may come out in a different order and without the original spacing.
func Sign(doc []byte, key ed25519.PrivateKey, verificationMethod string, created time.Time) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("proof: private key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	return SignWith(doc, func(data []byte) ([]byte, error) { return ed25519.Sign(key, data), nil }, verificationMethod, created)
}

// SignWith is Sign for a key held elsewhere, such as in an ssh-agent: sign must return the Ed25519
// signature of the data it is given.
func SignWith(doc []byte, sign func(data []byte) ([]byte, error), verificationMethod string, created time.Time) ([]byte, error) {
	if err := checkSignArgs(verificationMethod, created); err != nil {
		return nil, fmt.Errorf("proof: %w", err)
	}
	secured, err := splitDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("proof: %w", err)
	}
	if len(secured.proofs) >= maxProofs {
		return nil, fmt.Errorf("proof: document already has %d proofs, the most Verify accepts", len(secured.proofs))
	}
	p, err := newProof(secured.unsecured, sign, verificationMethod, created)
	if err != nil {
		return nil, fmt.Errorf("proof: %w", err)
	}
	return secured.withProof(p)
}

// checkSignArgs catches caller mistakes that would otherwise produce a proof
// nobody can verify, or make ed25519.Sign panic.
func checkSignArgs(verificationMethod string, created time.Time) error {
	if verificationMethod == "" || !utf8.ValidString(verificationMethod) {
		return errors.New("verificationMethod must be a non-empty UTF-8 string")
	}
	if created.IsZero() {
		return errors.New("created time is zero")
	}
	// RFC 3339 has four-digit years only.
	if year := created.UTC().Year(); year < 1 || year > 9999 {
		return fmt.Errorf("created year %d cannot be written in RFC 3339", year)
	}
	return nil
}

// newProof builds and signs a proof over unsecured, the document without
// any proofs.
func newProof(unsecured object, sign func([]byte) ([]byte, error), verificationMethod string, created time.Time) (object, error) {
	p := object{
		"type":               jsonString(ProofType),
		"cryptosuite":        jsonString(Cryptosuite),
		"verificationMethod": jsonString(verificationMethod),
		"proofPurpose":       jsonString(assertionMethod),
		"created":            jsonString(created.UTC().Format(time.RFC3339)),
	}
	if context, ok := unsecured["@context"]; ok {
		p["@context"] = context
	}
	docHash, err := documentHash(unsecured)
	if err != nil {
		return nil, err
	}
	data, err := hashData(proofConfig(p), docHash)
	if err != nil {
		return nil, err
	}
	sig, err := sign(data)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("sign: signature has %d bytes, want %d", len(sig), ed25519.SignatureSize)
	}
	p["proofValue"] = jsonString(encodeBase58btc(sig))
	return p, nil
}

// Verify checks every proof on doc. resolve maps a verificationMethod to its Ed25519 public key (the caller
// decides where keys come from and whether the key is allowed). It returns the proofs in document order.
// It fails if the doc has no proof, if any proof has the wrong type/cryptosuite, a malformed proofValue,
// a key that resolve refuses, or a signature that does not verify. Errors name the problem and which proof.
//
// Proofs in a set are independent, so removing one leaves the others valid:
// callers who need a particular signer must look for it in the result.
// A proof whose "expires" has passed is rejected. Verify refuses documents
// with more than 16 proofs, since each one costs a call to resolve.
func Verify(doc []byte, resolve func(verificationMethod string) (ed25519.PublicKey, error)) ([]Proof, error) {
	if resolve == nil {
		return nil, errors.New("proof: Verify needs a resolve function")
	}
	secured, err := splitDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("proof: %w", err)
	}
	// Every proof is checked for well-formedness before any key is resolved,
	// so a malformed document costs no key fetches.
	parsed, err := secured.parseProofs()
	if err != nil {
		return nil, err
	}
	// Every proof in a set signs the same document, so it is hashed once.
	docHash, err := documentHash(secured.unsecured)
	if err != nil {
		return nil, fmt.Errorf("proof: %w", err)
	}
	results := make([]Proof, len(parsed))
	for i, p := range parsed {
		if err := p.verify(docHash, resolve); err != nil {
			return nil, fmt.Errorf("proof: proof[%d] by %s: %w", i, quoteForError(p.VerificationMethod), err)
		}
		results[i] = p.Proof
	}
	return results, nil
}

// parseProofs reads every proof on the document, failing if there are none.
func (s securedDocument) parseProofs() ([]parsedProof, error) {
	if len(s.proofs) == 0 {
		return nil, errors.New("proof: document has no proof")
	}
	if len(s.proofs) > maxProofs {
		return nil, fmt.Errorf("proof: document has %d proofs, more than the %d allowed", len(s.proofs), maxProofs)
	}
	parsed := make([]parsedProof, len(s.proofs))
	for i, p := range s.proofs {
		var err error
		if parsed[i], err = parseProof(p, s.unsecured); err != nil {
			return nil, fmt.Errorf("proof: proof[%d]: %w", i, err)
		}
		// Baton's proofs assert what a document says. A proof made for authentication or capability
		// delegation was made for another use; taking it as an assertion would let one use pass for
		// another, so every verifier, at home and on a distro, refuses it here.
		if parsed[i].Purpose != assertionMethod {
			return nil, fmt.Errorf("proof: proof[%d] by %s: proofPurpose is %s; Baton accepts assertionMethod only", i, quoteForError(parsed[i].VerificationMethod), quoteForError(parsed[i].Purpose))
		}
	}
	return parsed, nil
}
