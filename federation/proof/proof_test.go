package proof

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// The W3C vc-di-eddsa test vector for eddsa-jcs-2022; see its README.md.
const vectorDir = "../../testdata/eddsa-jcs-2022/"

const (
	vectorMethod  = "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
	vectorCreated = "2023-02-24T23:36:38Z"
	// Intermediate hashes given in the vector's README.md.
	vectorDocHash   = "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
	vectorProofHash = "ac75a9fbdb9b5606c064a88bb59ab355900074f6def99d16a82dd071a7a67066"
)

type vector struct {
	signed  []byte
	public  ed25519.PublicKey
	private ed25519.PrivateKey
}

func loadVector(t testing.TB) vector {
	t.Helper()
	signed, err := os.ReadFile(vectorDir + "signed.json")
	if err != nil {
		t.Fatal(err)
	}
	keypairJSON, err := os.ReadFile(vectorDir + "keypair.json")
	if err != nil {
		t.Fatal(err)
	}
	var keypair struct{ PublicKeyMultibase, PrivateKeyMultibase string }
	if err := json.Unmarshal(keypairJSON, &keypair); err != nil {
		t.Fatal(err)
	}
	public, err := DecodeMultikey(keypair.PublicKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	private, err := DecodeMultikeyPrivate(keypair.PrivateKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	return vector{signed: signed, public: public, private: private}
}

// keyFor returns a resolver that knows exactly one key.
func keyFor(method string, key ed25519.PublicKey) func(string) (ed25519.PublicKey, error) {
	return keysFor(map[string]ed25519.PublicKey{method: key})
}

// keysFor returns a resolver that knows the given keys and refuses all others.
func keysFor(keys map[string]ed25519.PublicKey) func(string) (ed25519.PublicKey, error) {
	return func(method string) (ed25519.PublicKey, error) {
		if key, ok := keys[method]; ok {
			return key, nil
		}
		return nil, fmt.Errorf("unknown key %q", method)
	}
}

// anyMethod returns a resolver that answers key whatever the method, so that
// a test reaches the signature check even after changing verificationMethod.
func anyMethod(key ed25519.PublicKey) func(string) (ed25519.PublicKey, error) {
	return func(string) (ed25519.PublicKey, error) { return key, nil }
}

// edit decodes doc, lets change modify it, and encodes it again. Tests may
// round-trip through any; the package itself never does.
func edit(t testing.TB, doc []byte, change func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// editProof is edit applied to the single proof object of doc.
func editProof(t testing.TB, doc []byte, change func(p map[string]any)) []byte {
	return edit(t, doc, func(m map[string]any) { change(m["proof"].(map[string]any)) })
}

func methods(proofs []Proof) []string {
	var out []string
	for _, p := range proofs {
		out = append(out, p.VerificationMethod)
	}
	return out
}

func TestVectorHashes(t *testing.T) {
	v := loadVector(t)
	secured, err := splitDocument(v.signed)
	if err != nil {
		t.Fatal(err)
	}
	docHash, err := documentHash(secured.unsecured)
	if err != nil {
		t.Fatal(err)
	}
	config := proofConfig(secured.proofs[0])
	proofHash, err := canonicalHash(config)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  [32]byte
		want string
	}{
		{"docHash", docHash, vectorDocHash},
		{"proofHash", proofHash, vectorProofHash},
	} {
		if got := hex.EncodeToString(c.got[:]); got != c.want {
			t.Errorf("%s = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestVectorVerifies(t *testing.T) {
	v := loadVector(t)
	proofs, err := Verify(v.signed, keyFor(vectorMethod, v.public))
	if err != nil {
		t.Fatal(err)
	}
	want := []Proof{{
		VerificationMethod: vectorMethod,
		Purpose:            "assertionMethod",
		Created:            time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC),
	}}
	if !slices.EqualFunc(proofs, want, func(a, b Proof) bool {
		return a.VerificationMethod == b.VerificationMethod && a.Purpose == b.Purpose && a.Created.Equal(b.Created)
	}) {
		t.Errorf("Verify = %+v, want %+v", proofs, want)
	}
}

func TestVectorRejectsEveryChange(t *testing.T) {
	v := loadVector(t)
	var doc any
	if err := json.Unmarshal(v.signed, &doc); err != nil {
		t.Fatal(err)
	}
	all := variants(doc)
	if len(all) < 40 {
		t.Fatalf("only %d variants; the generator is broken", len(all))
	}
	for _, variant := range all {
		t.Run(variant.name, func(t *testing.T) {
			changed, err := json.Marshal(variant.value)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(changed, anyMethod(v.public)); err == nil {
				t.Errorf("Verify accepted the vector with %s", variant.name)
			}
		})
	}
}

type variant struct {
	name  string
	value any
}

// variants returns every copy of v that differs from v in exactly one place:
// each leaf changed, each member removed, a member added to each object and
// an element added to each array.
func variants(v any) []variant {
	switch v := v.(type) {
	case map[string]any:
		return objectVariants(v)
	case []any:
		return arrayVariants(v)
	case string:
		// Appending and changing the last character catch both length and
		// content checks (a changed proofValue digit still decodes to 64 bytes).
		last := "x"
		if strings.HasSuffix(v, "x") {
			last = "y"
		}
		return []variant{{"appended", v + "x"}, {"last changed", v[:len(v)-1] + last}}
	case float64:
		return []variant{{"changed", v + 1}}
	case bool:
		return []variant{{"changed", !v}}
	default:
		return []variant{{"changed", "x"}}
	}
}

func objectVariants(m map[string]any) []variant {
	with := func(k string, value any) map[string]any {
		c := maps.Clone(m)
		c[k] = value
		return c
	}
	out := []variant{{"member added", with("extra", "x")}}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		without := maps.Clone(m)
		delete(without, k)
		out = append(out, variant{k + " removed", without})
		for _, c := range variants(m[k]) {
			out = append(out, variant{k + "/" + c.name, with(k, c.value)})
		}
	}
	return out
}

func arrayVariants(a []any) []variant {
	out := []variant{{"element added", append(slices.Clone(a), "x")}}
	for i := range a {
		for _, c := range variants(a[i]) {
			changed := slices.Clone(a)
			changed[i] = c.value
			out = append(out, variant{fmt.Sprintf("%d/%s", i, c.name), changed})
		}
	}
	return out
}

func TestSignReproducesVector(t *testing.T) {
	v := loadVector(t)
	unsigned := edit(t, v.signed, func(m map[string]any) { delete(m, "proof") })
	created, err := time.Parse(time.RFC3339, vectorCreated)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := Sign(unsigned, v.private, vectorMethod, created)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := proofMember(t, signed, "proofValue"), proofMember(t, v.signed, "proofValue"); got != want {
		t.Errorf("proofValue = %s\nwant          %s", got, want)
	}
	if _, err := Verify(signed, keyFor(vectorMethod, v.public)); err != nil {
		t.Errorf("Verify(Sign(...)) = %v", err)
	}
}

// proofMember returns one string member of the single proof on doc.
func proofMember(t testing.TB, doc []byte, name string) string {
	t.Helper()
	var d struct{ Proof map[string]any }
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	s, _ := d.Proof[name].(string)
	return s
}

// testKey derives a fixed key from a name, so runs are reproducible.
func testKey(name string) (method string, private ed25519.PrivateKey) {
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, name)
	return "https://" + name + ".example/users/" + name + "#ed25519-key", ed25519.NewKeyFromSeed(seed)
}

func publicOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

var testCreated = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func mustSign(t testing.TB, doc []byte, key ed25519.PrivateKey, method string) []byte {
	t.Helper()
	out, err := Sign(doc, key, method, testCreated)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestProofSets(t *testing.T) {
	methodA, keyA := testKey("alice")
	methodB, keyB := testKey("bob")
	both := keysFor(map[string]ed25519.PublicKey{methodA: publicOf(keyA), methodB: publicOf(keyB)})
	note := []byte(benchmarkNote)

	signedA := mustSign(t, note, keyA, methodA)
	signedAB := mustSign(t, signedA, keyB, methodB)
	signedBA := mustSign(t, mustSign(t, note, keyB, methodB), keyA, methodA)

	editSet := func(change func(proofs []any) []any) []byte {
		return edit(t, signedAB, func(m map[string]any) { m["proof"] = change(m["proof"].([]any)) })
	}
	tests := []struct {
		name    string
		doc     []byte
		resolve func(string) (ed25519.PublicKey, error)
		want    []string // verification methods, in order
		wantErr string
	}{
		{name: "one proof", doc: signedA, resolve: both, want: []string{methodA}},
		{name: "alice then bob", doc: signedAB, resolve: both, want: []string{methodA, methodB}},
		{name: "bob then alice", doc: signedBA, resolve: both, want: []string{methodB, methodA}},
		{
			// Proofs in a set are independent: dropping one leaves a valid
			// document that simply no longer names that signer.
			name: "bob's proof removed", resolve: both, want: []string{methodA},
			doc: editSet(func(p []any) []any { return p[:1] }),
		},
		{
			name: "bob's proof altered", resolve: both, wantErr: "proof[1]",
			doc: editSet(func(p []any) []any {
				p[1].(map[string]any)["created"] = "2024-05-06T07:08:10Z"
				return p
			}),
		},
		{
			name: "alice's proof altered", resolve: both, wantErr: "proof[0]",
			doc: editSet(func(p []any) []any {
				p[0].(map[string]any)["proofPurpose"] = "authentication"
				return p
			}),
		},
		{
			name: "document altered", resolve: both, wantErr: "signature does not verify",
			doc: edit(t, signedAB, func(m map[string]any) { m["content"] = "changed" }),
		},
		{
			name: "resolve refuses bob", wantErr: "proof[1]", doc: signedAB,
			resolve: keyFor(methodA, publicOf(keyA)),
		},
		{
			name: "resolve refuses alice", wantErr: "proof[0]", doc: signedAB,
			resolve: keyFor(methodB, publicOf(keyB)),
		},
		{
			name: "bob's method resolves to alice's key", wantErr: "signature does not verify", doc: signedAB,
			resolve: anyMethod(publicOf(keyA)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proofs, err := Verify(tt.doc, tt.resolve)
			checkErr(t, err, tt.wantErr)
			if got := methods(proofs); tt.wantErr == "" && !slices.Equal(got, tt.want) {
				t.Errorf("Verify returned proofs by %q, want %q", got, tt.want)
			}
		})
	}

	// Signing order must not matter: each signer's proof is the same bytes in
	// both documents, because neither proof covers the other.
	var ab, ba struct{ Proof []json.RawMessage }
	if json.Unmarshal(signedAB, &ab) != nil || json.Unmarshal(signedBA, &ba) != nil {
		t.Fatal("proof sets did not decode")
	}
	if !bytes.Equal(ab.Proof[0], ba.Proof[1]) || !bytes.Equal(ab.Proof[1], ba.Proof[0]) {
		t.Error("a signer's proof depends on the order of signing")
	}
}

// checkErr fails t unless err matches wantErr ("" meaning no error).
func checkErr(t *testing.T, err error, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case wantErr != "" && err == nil:
		t.Fatalf("no error, want one containing %q", wantErr)
	case wantErr != "" && !strings.Contains(err.Error(), wantErr):
		t.Fatalf("error %q does not contain %q", err, wantErr)
	}
}

func TestMultikey(t *testing.T) {
	v := loadVector(t)
	var keypair struct{ PublicKeyMultibase string }
	keypairJSON, _ := os.ReadFile(vectorDir + "keypair.json")
	if err := json.Unmarshal(keypairJSON, &keypair); err != nil {
		t.Fatal(err)
	}

	t.Run("vector public key matches private key", func(t *testing.T) {
		if !v.public.Equal(v.private.Public()) {
			t.Error("publicKeyMultibase does not decode to the key of privateKeyMultibase")
		}
		if got := EncodeMultikey(v.public); got != keypair.PublicKeyMultibase {
			t.Errorf("EncodeMultikey = %s, want %s", got, keypair.PublicKeyMultibase)
		}
	})

	t.Run("round trip", func(t *testing.T) {
		for _, name := range []string{"alice", "bob", "", "\xff\xff\xff\xff"} {
			_, key := testKey(name)
			got, err := DecodeMultikey(EncodeMultikey(publicOf(key)))
			if err != nil || !got.Equal(publicOf(key)) {
				t.Errorf("round trip of %q key = %x, %v", name, got, err)
			}
		}
	})

	encodeRaw := func(b ...byte) string { return encodeBase58btc(b) }
	key32 := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		name, input, wantErr string
		private              bool
	}{
		{name: "empty", input: "", wantErr: "must start with"},
		{name: "prefix only", input: "z", wantErr: "zero length"},
		{name: "base64url multibase", input: "u7QE", wantErr: "must start with"},
		{name: "not base58", input: "z0OIl", wantErr: "bad base58btc"},
		{name: "huge", input: "z" + strings.Repeat("2", 1<<20), wantErr: "too long"},
		{name: "secp256k1 prefix", input: encodeRaw(append([]byte{0xe7, 0x01}, key32...)...), wantErr: "prefix is 0xe701"},
		{name: "short key", input: encodeRaw(append([]byte{0xed, 0x01}, key32[:31]...)...), wantErr: "33 bytes, want 34"},
		{name: "long key", input: encodeRaw(append([]byte{0xed, 0x01}, append(key32, 0)...)...), wantErr: "35 bytes, want 34"},
		{name: "private key as public", input: encodeRaw(append([]byte{0x80, 0x26}, key32...)...), wantErr: "prefix is 0x8026"},
		{name: "public key as private", input: keypair.PublicKeyMultibase, wantErr: "prefix is 0xed01", private: true},
		{name: "valid private", input: encodeRaw(append([]byte{0x80, 0x26}, key32...)...), private: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.private {
				_, err = DecodeMultikeyPrivate(tt.input)
			} else {
				_, err = DecodeMultikey(tt.input)
			}
			checkErr(t, err, tt.wantErr)
		})
	}
}

// jcsDoc exercises the parts of JCS (RFC 8785) where equal JSON values can
// be spelled differently: numbers, string escapes and non-ASCII text.
const jcsDoc = `{
  "@context": "https://www.w3.org/ns/activitystreams",
  "type": "Note",
  "numbers": [1e21, 0.1, -0, 1E+2, 1.5e-7, 333333333.33333329, 9007199254740993],
  "content": "caf\u00e9 \ud83d\ude00 \"quoted\" back\\slash \/ <b>&amp;</b> \u2028 \t end",
  "ключ": "значение",
  "\u00e9": "escaped key",
  "nested": {"z": 1, "a": [{}, [], null, true, false]}
}`

func TestJCSForms(t *testing.T) {
	method, key := testKey("carol")
	signed := mustSign(t, []byte(jcsDoc), key, method)

	tests := []struct {
		name, from, to string
		wantErr        string
	}{
		{name: "as signed"},
		{name: "1e21 spelled out", from: "[1e21,", to: "[1000000000000000000000,"},
		{name: "-0 as 0", from: ",-0,", to: ",0,"},
		{name: "1E+2 as 100", from: ",1E+2,", to: ",100,"},
		{name: "1.5e-7 as 0.00000015", from: ",1.5e-7,", to: ",0.00000015,"},
		{name: "escape as UTF-8", from: `caf\u00e9`, to: "café"},
		{name: "surrogate pair as UTF-8", from: `\ud83d\ude00`, to: "😀"},
		{name: `\/ as /`, from: `\/`, to: "/"},
		// JCS reads numbers as float64, so integers past 2^53 that round to
		// the same double are the same value to a proof.
		{name: "big integer rounded", from: "9007199254740993", to: "9007199254740992"},
		{name: "0.1 changed", from: ",0.1,", to: ",0.2,", wantErr: "signature does not verify"},
		{name: "text changed", from: "значение", to: "значенье", wantErr: "signature does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := signed
			if tt.from != "" {
				if n := bytes.Count(signed, []byte(tt.from)); n != 1 {
					t.Fatalf("%q occurs %d times in the signed document, want 1:\n%s", tt.from, n, signed)
				}
				doc = bytes.Replace(signed, []byte(tt.from), []byte(tt.to), 1)
			}
			_, err := Verify(doc, keyFor(method, publicOf(key)))
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestSignKeepsMembers(t *testing.T) {
	method, key := testKey("dave")
	doc := []byte(`{"type":"Note","x:unknown":{"deep":[1.0,"<p>&amp;</p>"]},"_misskey_content":"\u00e9"}`)
	created := time.Date(2024, 5, 6, 9, 8, 9, 999999999, time.FixedZone("CEST", 2*3600))
	signed, err := Sign(doc, key, method, created)
	if err != nil {
		t.Fatal(err)
	}
	var before, after map[string]json.RawMessage
	if json.Unmarshal(doc, &before) != nil || json.Unmarshal(signed, &after) != nil {
		t.Fatal("documents did not decode")
	}
	for name, raw := range before {
		if !bytes.Equal(after[name], raw) {
			t.Errorf("member %s = %s after signing, want %s", name, after[name], raw)
		}
	}
	if got := proofMember(t, signed, "created"); got != "2024-05-06T07:08:09Z" {
		t.Errorf("created = %s, want 2024-05-06T07:08:09Z", got)
	}
}

func TestSignRejectsBadInput(t *testing.T) {
	method, key := testKey("erin")
	note := []byte(benchmarkNote)
	manyProofs := note
	for range maxProofs {
		manyProofs = mustSign(t, manyProofs, key, method)
	}
	tests := []struct {
		name    string
		doc     []byte
		key     ed25519.PrivateKey
		method  string
		created time.Time
		wantErr string
	}{
		{name: "short key", doc: note, key: key[:32], method: method, created: testCreated, wantErr: "private key has 32 bytes"},
		{name: "no method", doc: note, key: key, created: testCreated, wantErr: "verificationMethod"},
		{name: "method not UTF-8", doc: note, key: key, method: "\xff", created: testCreated, wantErr: "verificationMethod"},
		{name: "zero time", doc: note, key: key, method: method, wantErr: "created time is zero"},
		{name: "year 10000", doc: note, key: key, method: method, created: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), wantErr: "year 10000"},
		{name: "array", doc: []byte(`[]`), key: key, method: method, created: testCreated, wantErr: "not a JSON object"},
		{name: "not I-JSON", doc: []byte(`{"n":1e400}`), key: key, method: method, created: testCreated, wantErr: "not valid I-JSON"},
		{name: "proof is a string", doc: []byte(`{"proof":"x"}`), key: key, method: method, created: testCreated, wantErr: `"proof" must be`},
		{name: "too many proofs", doc: manyProofs, key: key, method: method, created: testCreated, wantErr: "already has 16 proofs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Sign(tt.doc, tt.key, tt.method, tt.created)
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestVerifyRejectsBadInput(t *testing.T) {
	v := loadVector(t)
	good := keyFor(vectorMethod, v.public)
	setProof := func(name string, value any) []byte {
		return editProof(t, v.signed, func(p map[string]any) { p[name] = value })
	}
	unsigned := edit(t, v.signed, func(m map[string]any) { delete(m, "proof") })
	method, key := testKey("frank")
	tooMany := []byte(benchmarkNote)
	for range maxProofs + 1 {
		// Sign refuses to go past the limit, so the last proof is added by hand.
		next, err := Sign(tooMany, key, method, testCreated)
		if err != nil {
			next = edit(t, tooMany, func(m map[string]any) { m["proof"] = append(m["proof"].([]any), m["proof"].([]any)[0]) })
		}
		tooMany = next
	}

	tests := []struct {
		name    string
		doc     []byte
		resolve func(string) (ed25519.PublicKey, error)
		wantErr string
	}{
		{name: "empty", doc: nil, wantErr: "not valid I-JSON"},
		{name: "truncated", doc: v.signed[:100], wantErr: "not valid I-JSON"},
		{name: "array", doc: []byte(`[{"proof":{}}]`), wantErr: "not a JSON object"},
		{name: "null", doc: []byte(`null`), wantErr: "not a JSON object"},
		{name: "string", doc: []byte(`"proof"`), wantErr: "not a JSON object"},
		{name: "duplicate member", doc: bytes.Replace(v.signed, []byte("{"), []byte(`{"id":"urn:x",`), 1), wantErr: "Duplicate key"},
		{name: "duplicate proof member", doc: bytes.Replace(v.signed, []byte(`"proof": {`), []byte(`"proof": {"proofValue":"z",`), 1), wantErr: "Duplicate key"},
		{name: "invalid UTF-8", doc: bytes.Replace(v.signed, []byte("Alumni Credential"), []byte("Alumni \xff"), 1), wantErr: "UTF-8"},
		{name: "no proof", doc: unsigned, wantErr: "has no proof"},
		{name: "empty proof set", doc: edit(t, unsigned, func(m map[string]any) { m["proof"] = []any{} }), wantErr: "has no proof"},
		{name: "proof is null", doc: edit(t, unsigned, func(m map[string]any) { m["proof"] = nil }), wantErr: `"proof" must be`},
		{name: "proof set holds a string", doc: edit(t, unsigned, func(m map[string]any) { m["proof"] = []any{"x"} }), wantErr: "proof[0] is not a JSON object"},
		{name: "too many proofs", doc: tooMany, wantErr: "17 proofs"},
		{name: "wrong type", doc: setProof("type", "Ed25519Signature2020"), wantErr: `type is "Ed25519Signature2020"`},
		{name: "wrong cryptosuite", doc: setProof("cryptosuite", "eddsa-rdfc-2022"), wantErr: "cryptosuite is"},
		{name: "type not a string", doc: setProof("type", []any{"DataIntegrityProof"}), wantErr: "type is not a JSON string"},
		{name: "method missing", doc: editProof(t, v.signed, func(p map[string]any) { delete(p, "verificationMethod") }), wantErr: "missing verificationMethod"},
		{name: "method null", doc: setProof("verificationMethod", nil), wantErr: "verificationMethod is not a JSON string"},
		{name: "purpose missing", doc: editProof(t, v.signed, func(p map[string]any) { delete(p, "proofPurpose") }), wantErr: "missing proofPurpose"},
		{name: "created malformed", doc: setProof("created", "yesterday"), wantErr: "not an RFC 3339"},
		{name: "expired", doc: setProof("expires", "2024-01-01T00:00:00Z"), wantErr: "expired"},
		{name: "chained", doc: setProof("previousProof", "urn:uuid:1"), wantErr: "previousProof"},
		{name: "proof context differs", doc: setProof("@context", []any{"https://www.w3.org/ns/credentials/v2"}), wantErr: "@context differs"},
		{name: "proof has no context", doc: editProof(t, v.signed, func(p map[string]any) { delete(p, "@context") }), wantErr: "proof has no @context"},
		{name: "document has no context", doc: edit(t, v.signed, func(m map[string]any) { delete(m, "@context") }), wantErr: "document has none"},
		{name: "proofValue missing", doc: editProof(t, v.signed, func(p map[string]any) { delete(p, "proofValue") }), wantErr: "missing proofValue"},
		{name: "proofValue not base58btc", doc: setProof("proofValue", "uAAAA"), wantErr: "malformed proofValue"},
		{name: "proofValue bad digit", doc: setProof("proofValue", "z0000"), wantErr: "malformed proofValue"},
		{name: "proofValue short", doc: setProof("proofValue", "z2222"), wantErr: "want 64"},
		{name: "proofValue huge", doc: setProof("proofValue", "z"+strings.Repeat("2", 1<<20)), wantErr: "too long"},
		{name: "resolve refuses", resolve: keyFor("someone else", v.public), doc: v.signed, wantErr: "key refused"},
		{name: "resolve returns short key", resolve: anyMethod(v.public[:31]), doc: v.signed, wantErr: "resolved key has 31 bytes"},
		{name: "nil resolve", resolve: nil, doc: v.signed, wantErr: "needs a resolve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resolve := tt.resolve
			if resolve == nil && tt.name != "nil resolve" {
				resolve = good
			}
			proofs, err := Verify(tt.doc, resolve)
			checkErr(t, err, tt.wantErr)
			if proofs != nil {
				t.Errorf("Verify returned proofs %+v alongside an error", proofs)
			}
		})
	}
}

func TestVerifyWrapsResolveError(t *testing.T) {
	v := loadVector(t)
	errBlocked := errors.New("instance blocked")
	_, err := Verify(v.signed, func(string) (ed25519.PublicKey, error) { return nil, errBlocked })
	if !errors.Is(err, errBlocked) {
		t.Errorf("Verify error %v does not wrap the resolver's error", err)
	}
	if !strings.Contains(err.Error(), vectorMethod) {
		t.Errorf("Verify error %v does not name the verificationMethod", err)
	}
}

func FuzzVerify(f *testing.F) {
	v := loadVector(f)
	method, key := testKey("fuzz")
	// Seeds are kept small: the fuzzer minimises every new interesting input,
	// and minimising a 2 KB Note takes most of a 30-second run.
	var vectorCompact bytes.Buffer
	if err := json.Compact(&vectorCompact, v.signed); err != nil {
		f.Fatal(err)
	}
	note := mustSign(f, []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","content":"<p>hi</p>"}`), key, method)
	for _, seed := range [][]byte{
		vectorCompact.Bytes(), note, mustSign(f, note, key, method), mustSign(f, []byte(`{"n":[1e21,-0,0.1],"s":"\u00e9\ud83d\ude00"}`), key, method),
		[]byte(`{}`), []byte(`{"proof":[]}`), []byte(`{"proof":null}`), []byte(`[`), []byte(`{"a":"\ud800"}`),
	} {
		f.Add(seed)
	}
	resolve := func(m string) (ed25519.PublicKey, error) {
		if m == vectorMethod {
			return v.public, nil
		}
		return publicOf(key), nil
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, verifyErr := Verify(data, resolve)

		// Whatever Sign accepts, Verify must accept back, unless the input
		// already carried proofs that do not verify.
		signed, err := Sign(data, key, method, testCreated)
		if err != nil {
			return
		}
		secured, err := splitDocument(data)
		if err != nil {
			t.Fatalf("Sign accepted input that splitDocument rejects: %v", err)
		}
		if len(secured.proofs) > 0 && verifyErr != nil {
			return
		}
		proofs, err := Verify(signed, resolve)
		if err != nil {
			t.Fatalf("Verify(Sign(%q)) = %v\nsigned: %s", data, err, signed)
		}
		if len(proofs) != len(secured.proofs)+1 {
			t.Fatalf("Verify(Sign(...)) found %d proofs, want %d", len(proofs), len(secured.proofs)+1)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	method, key := testKey("bench")
	doc := []byte(benchmarkNote)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(doc, key, method, testCreated); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	method, key := testKey("bench")
	doc := mustSign(b, []byte(benchmarkNote), key, method)
	resolve := keyFor(method, publicOf(key))
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(doc, resolve); err != nil {
			b.Fatal(err)
		}
	}
}

// benchmarkNote is a typical ActivityPub Note of about 2 KB, as Mastodon
// and its peers send them.
const benchmarkNote = `{
  "@context": [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/data-integrity/v1",
    {
      "ostatus": "http://ostatus.org#",
      "atomUri": "ostatus:atomUri",
      "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
      "conversation": "ostatus:conversation",
      "sensitive": "as:sensitive",
      "toot": "http://joinmastodon.org/ns#",
      "votersCount": "toot:votersCount",
      "Hashtag": "as:Hashtag"
    }
  ],
  "id": "https://social.example/users/alice/statuses/112233445566778899",
  "type": "Note",
  "summary": null,
  "inReplyTo": "https://other.example/users/bob/statuses/998877665544",
  "published": "2024-05-06T07:08:09Z",
  "url": "https://social.example/@alice/112233445566778899",
  "attributedTo": "https://social.example/users/alice",
  "to": ["https://www.w3.org/ns/activitystreams#Public"],
  "cc": [
    "https://social.example/users/alice/followers",
    "https://other.example/users/bob"
  ],
  "sensitive": false,
  "atomUri": "https://social.example/users/alice/statuses/112233445566778899",
  "inReplyToAtomUri": "https://other.example/users/bob/statuses/998877665544",
  "conversation": "tag:other.example,2024-05-06:objectId=4455667:objectType=Conversation",
  "content": "<p><span class=\"h-card\" translate=\"no\"><a href=\"https://other.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> Agreed &mdash; signed objects make relays far simpler. Here is the draft I mentioned: <a href=\"https://social.example/drafts/fep-8b32\" rel=\"nofollow noopener\" target=\"_blank\">social.example/drafts/fep-8b32</a> <a href=\"https://social.example/tags/fediverse\" class=\"mention hashtag\" rel=\"tag\">#<span>fediverse</span></a> \u2728</p>",
  "contentMap": {
    "en": "<p>Agreed &mdash; signed objects make relays far simpler. <a href=\"https://social.example/tags/fediverse\" class=\"mention hashtag\" rel=\"tag\">#<span>fediverse</span></a> \u2728</p>"
  },
  "attachment": [
    {
      "type": "Document",
      "mediaType": "image/webp",
      "url": "https://media.social.example/attachments/112/233/original/a1b2c3d4e5f6.webp",
      "name": "Diagram: a relay forwarding a signed Note between two servers",
      "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
      "width": 1200,
      "height": 675
    }
  ],
  "tag": [
    {"type": "Mention", "href": "https://other.example/users/bob", "name": "@bob@other.example"},
    {"type": "Hashtag", "href": "https://social.example/tags/fediverse", "name": "#fediverse"}
  ],
  "replies": {
    "id": "https://social.example/users/alice/statuses/112233445566778899/replies",
    "type": "Collection",
    "first": {
      "type": "CollectionPage",
      "next": "https://social.example/users/alice/statuses/112233445566778899/replies?only_other_accounts=true&page=true",
      "partOf": "https://social.example/users/alice/statuses/112233445566778899/replies",
      "items": []
    }
  }
}`

// A proof made for another purpose is refused before any key is resolved, even when its signature
// over that purpose is good: it was never an assertion of the document.
func TestVerifyRefusesOtherPurposes(t *testing.T) {
	method, key := testKey("ann")
	for _, purpose := range []string{"authentication", "capabilityDelegation", "capabilityInvocation", ""} {
		signed, err := Sign([]byte(`{"type":"Note","content":"hi"}`), key, method, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		doc := strings.Replace(string(signed), `"proofPurpose":"assertionMethod"`, `"proofPurpose":"`+purpose+`"`, 1)
		resolved := false
		_, err = Verify([]byte(doc), func(string) (ed25519.PublicKey, error) { resolved = true; return key.Public().(ed25519.PublicKey), nil })
		if err == nil || resolved {
			t.Errorf("purpose %q: err %v, key resolved %v; want refused before resolving", purpose, err, resolved)
		}
	}
}

// Two endorsers who each signed their own copy of a document end up in one proof set, both verifying.
func TestMerge(t *testing.T) {
	methodA, keyA := testKey("alice")
	methodB, keyB := testKey("bob")
	methodC, keyC := testKey("carol")
	base := mustSign(t, []byte(benchmarkNote), keyA, methodA)
	withB := mustSign(t, base, keyB, methodB)
	withC := mustSign(t, base, keyC, methodC)
	merged, err := Merge(withB, withC)
	if err != nil {
		t.Fatal(err)
	}
	all := keysFor(map[string]ed25519.PublicKey{methodA: publicOf(keyA), methodB: publicOf(keyB), methodC: publicOf(keyC)})
	proofs, err := Verify(merged, all)
	if err != nil || len(proofs) != 3 {
		t.Fatalf("merged: %d proofs, %v; want 3 verifying", len(proofs), err)
	}
	if again, err := Merge(merged, withB); err != nil || !bytes.Equal(again, merged) {
		t.Errorf("merging a copy with nothing new changed the document (%v)", err)
	}
	other := mustSign(t, []byte(`{"type":"Note","content":"something else"}`), keyC, methodC)
	if _, err := Merge(withB, other); err == nil {
		t.Errorf("merged the proofs of another document")
	}
}

// Two documents from anywhere merge or are refused, never panic; what merges keeps every proof of
// the first and stays one JSON object.
func FuzzMerge(f *testing.F) {
	method, key := testKey("alice")
	signed := mustSign(f, []byte(benchmarkNote), key, method)
	f.Add(signed, signed)
	f.Add(signed, []byte(`{"proof":[]}`))
	f.Add([]byte(`{"a":1,"proof":{"proofValue":"z1"}}`), []byte(`{"a":1,"proof":[{"proofValue":"z2"},{"proofValue":"z1"}]}`))
	f.Add([]byte(`[]`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		merged, err := Merge(a, b)
		if err != nil {
			return
		}
		if !json.Valid(merged) {
			t.Fatalf("merged %q and %q into invalid JSON", a, b)
		}
	})
}
