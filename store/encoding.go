package store

import (
	"encoding/json"
	"fmt"
	"time"

	"baton/notice"
)

// How every backend stores an upstream's genesis and stewards, a project's genesis keys and a mirrored
// notice's proofs: JSON with names of its own, so renaming a Go field never makes stored values
// unreadable. Times are RFC 3339 with nanoseconds.

type genesisJSON struct {
	Project     string              `json:"project"`
	Maintainers []string            `json:"maintainers"`
	Keys        []notice.SigningKey `json:"keys"`
	Since       time.Time           `json:"since"`
}

type stewardJSON struct {
	ID    string    `json:"id"`
	Since time.Time `json:"since"`
}

type signingKeyJSON struct {
	Fingerprint string         `json:"fingerprint"`
	Type        notice.KeyType `json:"type"`
	Holder      string         `json:"holder"`
}

type proofJSON struct {
	Person  string    `json:"person"`
	Key     string    `json:"key"`
	Created time.Time `json:"created"`
}

// EncodeGenesis writes a genesis as backends keep it.
func EncodeGenesis(g notice.Genesis) ([]byte, error) {
	return json.Marshal(genesisJSON{Project: g.Project, Maintainers: g.Maintainers, Keys: g.Keys, Since: g.Since})
}

// DecodeGenesis reads what EncodeGenesis wrote.
func DecodeGenesis(b []byte) (notice.Genesis, error) {
	var g genesisJSON
	if err := json.Unmarshal(b, &g); err != nil {
		return notice.Genesis{}, fmt.Errorf("stored genesis: %w", err)
	}
	return notice.Genesis{Project: g.Project, Maintainers: g.Maintainers, Keys: g.Keys, Since: g.Since}, nil
}

// EncodeStewards writes an upstream's stewards as backends keep them.
func EncodeStewards(ss []Steward) ([]byte, error) {
	out := make([]stewardJSON, len(ss))
	for i, s := range ss {
		out[i] = stewardJSON(s)
	}
	return json.Marshal(out)
}

// DecodeStewards reads what EncodeStewards wrote.
func DecodeStewards(b []byte) ([]Steward, error) {
	var in []stewardJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("stored stewards: %w", err)
	}
	var out []Steward
	for _, s := range in {
		out = append(out, Steward(s))
	}
	return out, nil
}

// EncodeSigningKeys writes a project's genesis keys as backends keep them: none as an empty list.
func EncodeSigningKeys(ks []notice.SigningKey) ([]byte, error) {
	out := make([]signingKeyJSON, len(ks))
	for i, k := range ks {
		out[i] = signingKeyJSON(k)
	}
	return json.Marshal(out)
}

// DecodeSigningKeys reads what EncodeSigningKeys wrote. Nothing at all (an actor stored before
// actors had keys) reads as no keys.
func DecodeSigningKeys(b []byte) ([]notice.SigningKey, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var in []signingKeyJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("stored signing keys: %w", err)
	}
	var out []notice.SigningKey
	for _, k := range in {
		out = append(out, notice.SigningKey(k))
	}
	return out, nil
}

// EncodeProofs writes a mirrored notice's proofs as backends keep them.
func EncodeProofs(ps []notice.Proof) ([]byte, error) {
	out := make([]proofJSON, len(ps))
	for i, p := range ps {
		out[i] = proofJSON(p)
	}
	return json.Marshal(out)
}

// DecodeProofs reads what EncodeProofs wrote.
func DecodeProofs(b []byte) ([]notice.Proof, error) {
	var in []proofJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("stored proofs: %w", err)
	}
	var out []notice.Proof
	for _, p := range in {
		out = append(out, notice.Proof(p))
	}
	return out, nil
}
