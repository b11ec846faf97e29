package proof

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
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
