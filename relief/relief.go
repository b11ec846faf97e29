// Package relief is the envelope of a confidential relief case: a maintainer under strain and the
// instance's stewards write to each other, and the instance keeps only ciphertext. A message is a
// letter (the words, who wrote them and when, signed by the writer) sealed with age to the
// ssh-ed25519 keys of every participant, inside an envelope (which case, whose words, the ciphertext)
// that its sender signs for the instance. Sealing and opening happen on the participants' machines;
// the instance checks the envelope's signature (package ledger) and, with CheckRecipients, that the
// ciphertext is sealed to exactly the participants' keys. No I/O.
package relief

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// The types of the documents a case is made of.
const (
	EnvelopeType = "ReliefMessage" // a sealed message, as the instance stores it
	LetterType   = "ReliefLetter"  // the words inside, signed by their writer
	QueryType    = "ReliefQuery"   // a participant asks for a case, or for their cases
	ShareType    = "ReliefShare"   // a steward seals a case again for one more steward
	CloseType    = "ReliefClose"   // a participant closes a case
)

// MaxText bounds the words of one message, and MaxEnvelope the envelope that carries them sealed.
const (
	MaxText     = 32 << 10
	MaxEnvelope = 128 << 10
)

// Envelope is a sealed message as it travels and as the instance keeps it: the instance reads every
// field but the sealed words. Its proof (added with package proof) is its sender's: the writer's, or
// the steward's who sealed it again to share the case.
type Envelope struct {
	Type    string `json:"type"`
	ID      string `json:"id"`                // a fresh urn:uuid: an envelope is accepted once
	Case    string `json:"case"`              // the case's id
	Project string `json:"project,omitempty"` // the project, in the envelope that opens the case
	Author  string `json:"author"`            // the actor id of who wrote the words
	Index   int    `json:"index"`             // its place in the thread, from 0
	// Ciphertext is the letter sealed with age (binary format) to every participant's keys.
	Ciphertext []byte `json:"ciphertext"`
}

// Letter is what a participant reads once they opened a message: the words and who wrote them, with
// its writer's proof, so that a reader can tell the words are the writer's even after a steward
// sealed them again for someone who joined later.
type Letter struct {
	Type    string    `json:"type"`
	Case    string    `json:"case"`
	Author  string    `json:"author"`
	Written time.Time `json:"written"`
	Text    string    `json:"text"`
}

// LetterDocument is the letter to sign, before it is sealed.
func LetterDocument(caseID, author, text string, written time.Time) ([]byte, error) {
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("the message is empty: say what you need, in your own words")
	}
	if len(text) > MaxText {
		return nil, fmt.Errorf("the message has %d bytes, more than %d: write it in several", len(text), MaxText)
	}
	return json.Marshal(Letter{Type: LetterType, Case: caseID, Author: author, Written: written.UTC().Truncate(time.Second), Text: text})
}

// ParseLetter reads an opened letter and checks it belongs where it was found: in the case, written
// by the author its envelope names.
func ParseLetter(doc []byte, caseID, author string) (Letter, error) {
	var l Letter
	if err := json.Unmarshal(doc, &l); err != nil {
		return l, fmt.Errorf("the opened message is no letter: %w", err)
	}
	switch {
	case l.Type != LetterType:
		return l, fmt.Errorf("the opened message is a %q, not a %s", l.Type, LetterType)
	case l.Case != caseID:
		return l, fmt.Errorf("the opened message belongs to case %s, not %s", l.Case, caseID)
	case l.Author != author:
		return l, fmt.Errorf("the opened message was written by %s, not %s as its envelope says", l.Author, author)
	}
	return l, nil
}

// Seal encrypts a signed letter with age to each of the keys, on the writer's machine.
func Seal(letter []byte, to []ed25519.PublicKey) ([]byte, error) {
	if len(to) == 0 {
		return nil, errors.New("seal: nobody to seal the message to")
	}
	recipients := make([]age.Recipient, 0, len(to))
	for _, pub := range to {
		key, err := ssh.NewPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		r, err := agessh.NewEd25519Recipient(key)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		recipients = append(recipients, r)
	}
	var out bytes.Buffer
	w, err := age.Encrypt(&out, recipients...)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if _, err := w.Write(letter); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return out.Bytes(), nil
}

// Open decrypts a sealed message with a participant's private key, on their machine. age cannot
// decrypt through ssh-agent, which only signs: the key itself is needed.
func Open(ciphertext []byte, key ed25519.PrivateKey) ([]byte, error) {
	id, err := agessh.NewEd25519Identity(key)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	r, err := age.Decrypt(bytes.NewReader(ciphertext), id)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, errors.New("open: the message is not sealed to this key (was it sealed before you joined the case, or before this key was added?)")
	}
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(r, MaxText+4096))
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return out, nil
}

// KeyTag is how an age ssh-ed25519 stanza names the key it is sealed to: the first four bytes of the
// SHA-256 of the key in SSH wire form, in unpadded base64. It names a key without giving it away.
func KeyTag(pub ed25519.PublicKey) (string, error) {
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(key.Marshal())
	return base64.RawStdEncoding.EncodeToString(sum[:4]), nil
}

// CheckRecipients checks that ciphertext is sealed to exactly the keys given (every participant's keys
// in use): one ssh-ed25519 stanza for each, none for anyone else, and no other kind of stanza. The
// instance cannot decrypt, but it can read the age header, and so refuse a message that would leave
// a participant out or let an outsider read it.
func CheckRecipients(ciphertext []byte, keys []ed25519.PublicKey) error {
	stanzas, err := headerStanzas(ciphertext)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, k := range keys {
		tag, err := KeyTag(k)
		if err != nil {
			return err
		}
		want[tag] = true
	}
	have := map[string]bool{}
	for _, s := range stanzas {
		if s.Type != "ssh-ed25519" || len(s.Args) != 2 {
			return fmt.Errorf("the message is sealed with a %q stanza: want ssh-ed25519 alone, to the participants' keys", s.Type)
		}
		if !want[s.Args[0]] {
			return fmt.Errorf("the message is sealed to a key (tag %s) that is not a participant's key in use", s.Args[0])
		}
		have[s.Args[0]] = true
	}
	if len(have) < len(want) {
		return fmt.Errorf("the message is sealed to %d of the participants' %d keys in use: seal it to every one", len(have), len(want))
	}
	return nil
}

// headerStanzas reads the recipient stanzas of an age file's header. age hands an identity every
// stanza of the header it decrypts; this one keeps them and declines, so nothing is decrypted.
func headerStanzas(ciphertext []byte) ([]*age.Stanza, error) {
	header, err := age.ExtractHeader(bytes.NewReader(ciphertext))
	if err != nil {
		return nil, fmt.Errorf("the ciphertext is not an age file: %w", err)
	}
	var keep stanzaKeeper
	if _, err := age.DecryptHeader(header, &keep); err != nil && keep.stanzas == nil {
		return nil, fmt.Errorf("the ciphertext's age header: %w", err)
	}
	return keep.stanzas, nil
}

type stanzaKeeper struct{ stanzas []*age.Stanza }

func (k *stanzaKeeper) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	k.stanzas = slices.Clone(stanzas)
	return nil, age.ErrIncorrectIdentity
}

// ParseEnvelope reads an envelope (its proof is checked elsewhere, against the sender's keys) and
// checks its form.
func ParseEnvelope(doc []byte) (Envelope, error) {
	var e Envelope
	if len(doc) > MaxEnvelope {
		return e, fmt.Errorf("the envelope has %d bytes, more than %d", len(doc), MaxEnvelope)
	}
	if err := json.Unmarshal(doc, &e); err != nil {
		return e, fmt.Errorf("the envelope: %w", err)
	}
	switch {
	case e.Type != EnvelopeType:
		return e, fmt.Errorf("want a %s, got %q", EnvelopeType, e.Type)
	case !strings.HasPrefix(e.ID, "urn:uuid:"):
		return e, errors.New("the envelope's id must be a urn:uuid")
	case !ValidCaseID(e.Case):
		return e, fmt.Errorf("%q is not a case id (32 hexadecimal digits)", e.Case)
	case e.Author == "":
		return e, errors.New("the envelope names no author")
	case e.Index < 0:
		return e, fmt.Errorf("the envelope's index %d is negative", e.Index)
	case len(e.Ciphertext) == 0:
		return e, errors.New("the envelope carries no ciphertext")
	}
	return e, nil
}

// ValidCaseID reports whether id has the form of a case's id: 32 lowercase hexadecimal digits,
// random, so that nobody can guess that a case exists from its id.
func ValidCaseID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Query is a participant's signed request about cases: to read one (Case set), to list theirs (Case
// empty), to share one with another steward (Type ShareType, With and Messages set), or to close one
// (Type CloseType, LedTo optionally set). Its proof authenticates it, once, within minutes.
type Query struct {
	Type string `json:"type"`
	ID   string `json:"id"` // a fresh urn:uuid
	Case string `json:"case,omitempty"`
	// With is the actor id of the steward a case is shared with.
	With string `json:"with,omitempty"`
	// Messages are the case's messages sealed again to the participants and With, each an envelope
	// signed by the sharer, in the order of the thread.
	Messages []json.RawMessage `json:"messages,omitempty"`
	// LedTo is the URL of the notice a case led to, when it closes.
	LedTo string `json:"ledTo,omitempty"`
}
