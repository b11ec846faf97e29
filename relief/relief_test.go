package relief

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func newKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

const caseID = "0123456789abcdef0123456789abcdef"

func TestSealOpensForEachRecipientAlone(t *testing.T) {
	mPub, mKey := newKey(t)
	sPub, sKey := newKey(t)
	_, outsider := newKey(t)
	words := "I cannot keep up with reviews, and my health is not good."
	letter, err := LetterDocument(caseID, "https://i.example/users/lasse", words, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := Seal(letter, []ed25519.PublicKey{mPub, sPub})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("reviews")) {
		t.Fatal("the sealed message holds the words")
	}
	for name, key := range map[string]ed25519.PrivateKey{"maintainer": mKey, "steward": sKey} {
		opened, err := Open(sealed, key)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		l, err := ParseLetter(opened, caseID, "https://i.example/users/lasse")
		if err != nil || l.Text != words {
			t.Fatalf("%s read %q, %v", name, l.Text, err)
		}
	}
	if _, err := Open(sealed, outsider); err == nil || !strings.Contains(err.Error(), "not sealed to this key") {
		t.Fatalf("an outsider's key: err = %v", err)
	}
	if _, err := ParseLetter(mustOpen(t, sealed, mKey), "ffffffffffffffffffffffffffffffff", "https://i.example/users/lasse"); err == nil {
		t.Fatal("a letter of another case was taken")
	}
	if _, err := ParseLetter(mustOpen(t, sealed, mKey), caseID, "https://i.example/users/jia"); err == nil {
		t.Fatal("a letter with another author was taken")
	}
}

func mustOpen(t *testing.T, sealed []byte, key ed25519.PrivateKey) []byte {
	t.Helper()
	out, err := Open(sealed, key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCheckRecipients(t *testing.T) {
	a, _ := newKey(t)
	b, _ := newKey(t)
	c, _ := newKey(t)
	sealed, err := Seal([]byte(`{"type":"ReliefLetter"}`), []ed25519.PublicKey{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckRecipients(sealed, []ed25519.PublicKey{b, a}); err != nil {
		t.Fatalf("sealed to exactly the participants: %v", err)
	}
	for name, tt := range map[string]struct {
		keys []ed25519.PublicKey
		want string
	}{
		"a participant left out": {[]ed25519.PublicKey{a, b, c}, "2 of the participants' 3 keys"},
		"an outsider can read":   {[]ed25519.PublicKey{a}, "not a participant's key"},
	} {
		if err := CheckRecipients(sealed, tt.keys); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tt.want)
		}
	}
	if err := CheckRecipients([]byte("hello, plain text"), []ed25519.PublicKey{a}); err == nil {
		t.Error("plain text passed as a sealed message")
	}
}

func TestParseEnvelope(t *testing.T) {
	good := Envelope{Type: EnvelopeType, ID: "urn:uuid:1", Case: caseID, Author: "https://i.example/users/lasse", Ciphertext: []byte("x")}
	for name, tt := range map[string]struct {
		change func(*Envelope)
		want   string
	}{
		"good":          {func(*Envelope) {}, ""},
		"wrong type":    {func(e *Envelope) { e.Type = "Note" }, "want a ReliefMessage"},
		"no uuid":       {func(e *Envelope) { e.ID = "https://x" }, "urn:uuid"},
		"bad case":      {func(e *Envelope) { e.Case = "../x" }, "not a case id"},
		"no author":     {func(e *Envelope) { e.Author = "" }, "no author"},
		"no ciphertext": {func(e *Envelope) { e.Ciphertext = nil }, "no ciphertext"},
		"negative":      {func(e *Envelope) { e.Index = -1 }, "negative"},
	} {
		e := good
		tt.change(&e)
		doc, _ := json.Marshal(e)
		_, err := ParseEnvelope(doc)
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: err = %v, want %q", name, err, tt.want)
		}
	}
}

func TestLetterDocumentRefusesEmptyAndHuge(t *testing.T) {
	if _, err := LetterDocument(caseID, "a", "  \n", time.Now()); err == nil {
		t.Error("an empty message was taken")
	}
	if _, err := LetterDocument(caseID, "a", strings.Repeat("x", MaxText+1), time.Now()); err == nil {
		t.Error("a message over MaxText was taken")
	}
}
