package testpeer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/mr-tron/base58"
)

// Proof is one verified eddsa-jcs-2022 proof.
type Proof struct {
	VerificationMethod string
	Controller         string // the actor whose assertionMethod lists the key (VerifyNote only)
	Purpose            string
	Created            string
}

// VerifyProofs checks every Data Integrity proof on doc (FEP-8b32, W3C vc-di-eddsa eddsa-jcs-2022)
// with the key resolve gives for its verificationMethod. proof may be an object or an array (a proof
// set, each proof covering the document without "proof"). For each proof: proofConfig is the proof
// without proofValue, with the document's @context; hash = SHA-256(JCS(proofConfig)) ||
// SHA-256(JCS(document without proof)); the signature, "z" + base58btc in proofValue, is Ed25519 over
// the 64 bytes.
func VerifyProofs(doc []byte, resolve func(verificationMethod string) (ed25519.PublicKey, error)) ([]Proof, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(doc, &members); err != nil {
		return nil, fmt.Errorf("proof: document is not a JSON object: %w", err)
	}
	raw, ok := members["proof"]
	if !ok {
		return nil, errors.New("proof: the document has no proof")
	}
	delete(members, "proof")
	var list []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("proof: %w", err)
		}
	} else {
		list = []json.RawMessage{raw}
	}
	if len(list) == 0 {
		return nil, errors.New("proof: empty proof set")
	}
	var out []Proof
	for i, rp := range list {
		p, err := verifyOne(members, rp, resolve)
		if err != nil {
			return nil, fmt.Errorf("proof[%d]: %w", i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func verifyOne(unsecured map[string]json.RawMessage, raw json.RawMessage, resolve func(string) (ed25519.PublicKey, error)) (Proof, error) {
	var proof map[string]json.RawMessage
	if err := json.Unmarshal(raw, &proof); err != nil {
		return Proof{}, fmt.Errorf("not an object: %w", err)
	}
	str := func(name string) string {
		var s string
		json.Unmarshal(proof[name], &s)
		return s
	}
	p := Proof{VerificationMethod: str("verificationMethod"), Purpose: str("proofPurpose"), Created: str("created")}
	switch {
	case str("type") != "DataIntegrityProof":
		return p, fmt.Errorf("type %q, want DataIntegrityProof", str("type"))
	case str("cryptosuite") != "eddsa-jcs-2022":
		return p, fmt.Errorf("cryptosuite %q, want eddsa-jcs-2022", str("cryptosuite"))
	case p.VerificationMethod == "":
		return p, errors.New("no verificationMethod")
	case p.Purpose == "":
		return p, errors.New("no proofPurpose")
	}
	if p.Created != "" {
		if _, err := time.Parse(time.RFC3339, p.Created); err != nil {
			return p, fmt.Errorf("created %q is not RFC 3339", p.Created)
		}
	}
	if exp := str("expires"); exp != "" {
		t, err := time.Parse(time.RFC3339, exp)
		if err != nil || time.Now().After(t) {
			return p, fmt.Errorf("expired or unreadable expires %q", exp)
		}
	}
	value := str("proofValue")
	if !strings.HasPrefix(value, "z") {
		return p, fmt.Errorf("proofValue %q is not base58btc multibase", value)
	}
	sig, err := base58.Decode(value[1:])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return p, fmt.Errorf("proofValue does not decode to a %d-byte signature", ed25519.SignatureSize)
	}
	delete(proof, "proofValue")
	// The proof config carries the document's @context. When the proof has one of its own, the
	// document's must start with it, and the document is hashed with the proof's (vc-di-eddsa 3.3.2).
	doc := unsecured
	if pctx, ok := proof["@context"]; ok {
		if !contextStartsWith(unsecured["@context"], pctx) {
			return p, errors.New("the proof's @context is not a prefix of the document's")
		}
		doc = copyMembers(unsecured)
		doc["@context"] = pctx
	} else if dctx, ok := unsecured["@context"]; ok {
		proof["@context"] = dctx
	}
	hash, err := hashData(proof, doc)
	if err != nil {
		return p, err
	}
	key, err := resolve(p.VerificationMethod)
	if err != nil {
		return p, fmt.Errorf("key %s: %w", p.VerificationMethod, err)
	}
	if len(key) != ed25519.PublicKeySize {
		return p, fmt.Errorf("key %s has %d bytes", p.VerificationMethod, len(key))
	}
	if !ed25519.Verify(key, hash, sig) {
		return p, fmt.Errorf("signature by %s does not verify", p.VerificationMethod)
	}
	return p, nil
}

// hashData is SHA-256(JCS(proofConfig)) || SHA-256(JCS(document)).
func hashData(proofConfig, doc map[string]json.RawMessage) ([]byte, error) {
	proofHash, err := jcsHash(proofConfig)
	if err != nil {
		return nil, fmt.Errorf("proof config: %w", err)
	}
	docHash, err := jcsHash(doc)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	return append(proofHash, docHash...), nil
}

func jcsHash(members map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(members)
	if err != nil {
		return nil, err
	}
	canonical, err := jcs.Transform(b)
	if err != nil {
		return nil, fmt.Errorf("JCS: %w", err)
	}
	sum := sha256.Sum256(canonical)
	return sum[:], nil
}

func copyMembers(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// contextStartsWith reports whether the @context doc begins with every entry of prefix, in order.
func contextStartsWith(doc, prefix json.RawMessage) bool {
	d, p := contextList(doc), contextList(prefix)
	if len(p) > len(d) {
		return false
	}
	for i := range p {
		a, _ := jcs.Transform(d[i])
		b, _ := jcs.Transform(p[i])
		if a == nil || !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

func contextList(raw json.RawMessage) []json.RawMessage {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	if len(raw) == 0 {
		return nil
	}
	return []json.RawMessage{raw}
}

// DecodeMultikey reads an Ed25519 publicKeyMultibase: "z" + base58btc(0xed 0x01 + 32-byte key).
func DecodeMultikey(s string) (ed25519.PublicKey, error) {
	if !strings.HasPrefix(s, "z") {
		return nil, fmt.Errorf("multikey %q is not base58btc", s)
	}
	b, err := base58.Decode(s[1:])
	if err != nil {
		return nil, fmt.Errorf("multikey %q: %w", s, err)
	}
	if len(b) != 2+ed25519.PublicKeySize || b[0] != 0xed || b[1] != 0x01 {
		return nil, fmt.Errorf("multikey %q is not an Ed25519 public key (0xed01 + 32 bytes)", s)
	}
	return ed25519.PublicKey(b[2:]), nil
}

// EncodeMultikey writes an Ed25519 public key as publicKeyMultibase.
func EncodeMultikey(key ed25519.PublicKey) string {
	return "z" + base58.Encode(append([]byte{0xed, 0x01}, key...))
}

// VerifyNote checks every proof on a document as a receiving server does: each verificationMethod is
// looked up in the assertionMethod of the actor document it points into (fetched with the dialect's
// GET), where it must be a Multikey controlled by that actor. The returned proofs name their
// controller; whether that is the right signer is the caller's question.
func (p *Peer) VerifyNote(ctx context.Context, doc []byte) ([]Proof, error) {
	controllers := map[string]string{}
	proofs, err := VerifyProofs(doc, func(vm string) (ed25519.PublicKey, error) {
		key, controller, err := p.assertionKey(ctx, vm)
		controllers[vm] = controller
		return key, err
	})
	for i := range proofs {
		proofs[i].Controller = controllers[proofs[i].VerificationMethod]
	}
	return proofs, err
}

func (p *Peer) assertionKey(ctx context.Context, vm string) (ed25519.PublicKey, string, error) {
	actorURL, _, _ := strings.Cut(vm, "#")
	body, _, err := p.get(ctx, actorURL, p.Dialect.accept(), p.Dialect == GoToSocial)
	if err != nil {
		return nil, "", err
	}
	var doc struct {
		ID              string          `json:"id"`
		AssertionMethod json.RawMessage `json:"assertionMethod"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, "", err
	}
	if doc.ID != actorURL {
		return nil, "", fmt.Errorf("the document at %s has id %q", actorURL, doc.ID)
	}
	type multikey struct {
		ID                 string `json:"id"`
		Type               string `json:"type"`
		Controller         string `json:"controller"`
		PublicKeyMultibase string `json:"publicKeyMultibase"`
	}
	var keys []multikey
	if json.Unmarshal(doc.AssertionMethod, &keys) != nil {
		var one multikey
		if err := json.Unmarshal(doc.AssertionMethod, &one); err != nil {
			return nil, "", fmt.Errorf("%s has no assertionMethod", actorURL)
		}
		keys = []multikey{one}
	}
	for _, k := range keys {
		if k.ID != vm {
			continue
		}
		if k.Type != "Multikey" {
			return nil, "", fmt.Errorf("%s is a %q, not a Multikey", vm, k.Type)
		}
		if k.Controller != doc.ID {
			return nil, "", fmt.Errorf("%s is controlled by %q, not by %s", vm, k.Controller, doc.ID)
		}
		key, err := DecodeMultikey(k.PublicKeyMultibase)
		return key, doc.ID, err
	}
	return nil, "", fmt.Errorf("%s does not list %s in its assertionMethod", actorURL, vm)
}
