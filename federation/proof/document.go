package proof

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/gowebpki/jcs"
)

// securedDocument is a document split into the two parts eddsa-jcs-2022
// works on: the unsecured document (every member but "proof"), which every
// proof signs, and the proofs themselves.
type securedDocument struct {
	unsecured object
	proofs    []object
}

// splitDocument parses data and separates its proofs from the rest.
func splitDocument(data []byte) (securedDocument, error) {
	doc, err := parseDocument(data)
	if err != nil {
		return securedDocument{}, err
	}
	proofs, err := proofList(doc["proof"])
	if err != nil {
		return securedDocument{}, err
	}
	return securedDocument{unsecured: doc.without("proof"), proofs: proofs}, nil
}

// Unsigned reports whether doc is a JSON object that carries no proof at all.
func Unsigned(doc []byte) bool {
	d, err := splitDocument(doc)
	return err == nil && len(d.proofs) == 0
}

// proofList returns the proofs in a "proof" value, which may be absent, a
// single proof object, or an array of them (a proof set).
func proofList(raw json.RawMessage) ([]object, error) {
	if raw == nil {
		return nil, nil
	}
	if raw[0] == '{' {
		p, err := decodeObject(raw)
		if err != nil {
			return nil, fmt.Errorf("proof is %w", err)
		}
		return []object{p}, nil
	}
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, errors.New(`"proof" must be an object or an array of objects`)
	}
	proofs := make([]object, len(items))
	for i, item := range items {
		p, err := decodeObject(item)
		if err != nil {
			return nil, fmt.Errorf("proof[%d] is %w", i, err)
		}
		proofs[i] = p
	}
	return proofs, nil
}

// withProof serialises the document with p added after its existing proofs.
func (s securedDocument) withProof(p object) ([]byte, error) {
	out := maps.Clone(s.unsecured)
	var err error
	if len(s.proofs) == 0 {
		out["proof"], err = encodeJSON(p)
	} else {
		// Clip so that appending cannot write into the caller's slice.
		out["proof"], err = encodeJSON(append(slices.Clip(s.proofs), p))
	}
	if err != nil {
		return nil, fmt.Errorf("proof: encoding proof: %w", err)
	}
	return encodeJSON(out)
}

// Merge returns base with every proof of other that base lacks, appended: two endorsers who each
// signed their own copy of a document end up in one proof set. Both must secure the same document
// (compared canonically), or it is an error. It verifies nothing: verify what it returns.
func Merge(base, other []byte) ([]byte, error) {
	a, err := splitDocument(base)
	if err != nil {
		return nil, fmt.Errorf("proof: %w", err)
	}
	b, err := splitDocument(other)
	if err != nil {
		return nil, fmt.Errorf("proof: %w", err)
	}
	same, err := sameDocument(a.unsecured, b.unsecured)
	if err != nil {
		return nil, fmt.Errorf("proof: %w", err)
	}
	if !same {
		return nil, errors.New("proof: the two copies secure different documents")
	}
	for _, p := range b.proofs {
		if !slices.ContainsFunc(a.proofs, func(q object) bool { return string(q["proofValue"]) == string(p["proofValue"]) }) {
			a.proofs = append(a.proofs, p)
		}
	}
	if len(a.proofs) > maxProofs {
		return nil, fmt.Errorf("proof: %d proofs together, more than the %d allowed", len(a.proofs), maxProofs)
	}
	out := maps.Clone(a.unsecured)
	if out["proof"], err = encodeJSON(a.proofs); err != nil {
		return nil, fmt.Errorf("proof: encoding proofs: %w", err)
	}
	return encodeJSON(out)
}

// sameDocument compares two documents in their canonical (JCS) form.
func sameDocument(a, b object) (bool, error) {
	ca, err := canonical(a)
	if err != nil {
		return false, err
	}
	cb, err := canonical(b)
	return err == nil && bytes.Equal(ca, cb), err
}

func canonical(o object) ([]byte, error) {
	raw, err := encodeJSON(o)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(raw)
}
