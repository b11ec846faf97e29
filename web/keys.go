package web

// A person's signing keys: the OpenSSH Ed25519 public keys they already sign git commits with, read
// from a request, checked (one person per key, never the last key in use revoked), added and revoked.
// Keys are never deleted, so the record of who held which key when stays visible.

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"baton/federation/proof"
	"baton/store"
)

// KeyRequest is the body of POST /api/v1/people/{name}/keys.
type KeyRequest struct {
	Key string `json:"key"`
}

// RevokeKeyRequest is the body of POST /api/v1/people/{name}/keys/revoke.
type RevokeKeyRequest struct {
	Fingerprint string `json:"fingerprint"` // "SHA256:…", as ssh-keygen -l prints it
}

// KeyView is one of a person's keys, revoked ones included.
type KeyView struct {
	Fingerprint string `json:"fingerprint"`
	Multikey    string `json:"multikey"` // publicKeyMultibase
	KeyID       string `json:"key_id"`   // the verification method id proofs name
	Added       string `json:"added"`
	Revoked     string `json:"revoked,omitempty"`
}

// keyExample is how an error says what a key should look like.
const keyExample = `an OpenSSH public key line, "ssh-ed25519 AAAA… comment" (the .pub file)`

// parsedKey is a public key read from a request.
type parsedKey struct {
	pub         ed25519.PublicKey
	fingerprint string
}

// parsePublicKey reads one public key: an OpenSSH authorized_keys line (ssh-ed25519 only), or a
// Multikey ("z6Mk…").
func parsePublicKey(line string) (parsedKey, error) {
	line = strings.TrimSpace(line)
	switch {
	case line == "":
		return parsedKey{}, errors.New("empty: want " + keyExample)
	case strings.Contains(line, "PRIVATE KEY"):
		return parsedKey{}, errors.New("this is a private key: send the public key, the line in the .pub file")
	case strings.ContainsAny(line, "\r\n"):
		return parsedKey{}, errors.New("more than one line: give one key per entry")
	}
	var pub ed25519.PublicKey
	var err error
	if strings.HasPrefix(line, "z") && !strings.ContainsAny(line, " \t") {
		pub, err = proof.DecodeMultikey(line)
	} else {
		pub, err = proof.ParseOpenSSHPublicKey([]byte(line))
	}
	if err != nil {
		return parsedKey{}, err
	}
	fp, err := proof.Fingerprint(pub)
	if err != nil {
		return parsedKey{}, err
	}
	return parsedKey{pub: pub, fingerprint: fp}, nil
}

// keyLabel names a key of a request in an error: its position and its first characters.
func keyLabel(i int, line string) string {
	line = strings.TrimSpace(line)
	if utf8.RuneCountInString(line) > 24 {
		line = string([]rune(line)[:24]) + "…"
	}
	return fmt.Sprintf("keys[%d] (%q)", i, line)
}

// keyHolder returns the person other than except who holds pub (in use or revoked), or "". One key
// is one person: were a key listed for two, its holder could count as two signers.
func (s *Server) keyHolder(ctx context.Context, pub ed25519.PublicKey, except string) (string, error) {
	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return "", err
	}
	for _, a := range actors {
		if a.Kind != store.KindPerson || a.Name == except {
			continue
		}
		keys, err := s.store.PersonKeys(ctx, a.Name)
		if err != nil {
			return "", err
		}
		for _, k := range keys {
			if pub.Equal(ed25519.PublicKey(k.PublicKey)) {
				return a.Name, nil
			}
		}
	}
	return "", nil
}

func (s *Server) keyView(k store.PersonKey) KeyView {
	pub := ed25519.PublicKey(k.PublicKey)
	v := KeyView{Fingerprint: k.Fingerprint, Multikey: proof.EncodeMultikey(pub), KeyID: s.urls.PersonKey(k.Person, pub),
		Added: k.Added.UTC().Format(time.RFC3339)}
	if !k.Revoked.IsZero() {
		v.Revoked = k.Revoked.UTC().Format(time.RFC3339)
	}
	return v
}

// addPersonKey adds a key to a person: POST /api/v1/people/{name}/keys. Rotating a key is adding the
// new one, then revoking the old one.
func (s *Server) addPersonKey(w http.ResponseWriter, r *http.Request) {
	var req KeyRequest
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	s.peopleMu.Lock()
	defer s.peopleMu.Unlock()
	a, ok := s.lookupPerson(w, r, r.PathValue("name"))
	if !ok {
		return
	}
	k, err := parsePublicKey(req.Key)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "key: "+err.Error())
		return
	}
	keys, err := s.store.PersonKeys(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "keys")
		return
	}
	for _, old := range keys {
		if !k.pub.Equal(ed25519.PublicKey(old.PublicKey)) {
			continue
		}
		if !old.Revoked.IsZero() {
			writeError(w, http.StatusConflict, fmt.Sprintf("%s's key %s was revoked on %s and is not taken back: make a new key",
				a.Name, old.Fingerprint, old.Revoked.UTC().Format(time.RFC3339)))
			return
		}
		writeError(w, http.StatusConflict, fmt.Sprintf("%s has key %s already", a.Name, old.Fingerprint))
		return
	}
	holder, err := s.keyHolder(ctx, k.pub, a.Name)
	if err != nil {
		s.storeError(w, err, "keys")
		return
	}
	if holder != "" {
		writeError(w, http.StatusConflict, fmt.Sprintf("key %s is %s's already: one key, one person", k.fingerprint, holder))
		return
	}
	err = s.store.AddKey(ctx, store.PersonKey{Person: a.Name, Fingerprint: k.fingerprint, PublicKey: k.pub, Added: s.now().UTC()})
	if errors.Is(err, store.ErrExists) {
		writeError(w, http.StatusConflict, fmt.Sprintf("%s has key %s already", a.Name, k.fingerprint))
		return
	} else if err != nil {
		s.storeError(w, err, "key")
		return
	}
	s.log.Info("key added", "person", a.Name, "fingerprint", k.fingerprint)
	s.announcePerson(ctx, a)
	s.writePerson(w, ctx, http.StatusCreated, a)
}

// revokePersonKey revokes one of a person's keys: POST /api/v1/people/{name}/keys/revoke. The key
// stays listed, with the time, so what it signed before stays verifiable.
func (s *Server) revokePersonKey(w http.ResponseWriter, r *http.Request) {
	var req RevokeKeyRequest
	if !decodeBody(w, r, &req) {
		return
	}
	fp := strings.TrimSpace(req.Fingerprint)
	if fp == "" {
		writeError(w, http.StatusUnprocessableEntity, `fingerprint: required, as ssh-keygen -l prints it ("SHA256:…")`)
		return
	}
	if !strings.HasPrefix(fp, "SHA256:") {
		fp = "SHA256:" + fp
	}
	ctx := r.Context()
	s.peopleMu.Lock()
	defer s.peopleMu.Unlock()
	a, ok := s.lookupPerson(w, r, r.PathValue("name"))
	if !ok {
		return
	}
	keys, err := s.store.PersonKeys(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "keys")
		return
	}
	var target *store.PersonKey
	inUse := 0
	for i, k := range keys {
		if k.Revoked.IsZero() {
			inUse++
		}
		if k.Fingerprint == fp {
			target = &keys[i]
		}
	}
	switch {
	case target == nil:
		writeError(w, http.StatusNotFound, fmt.Sprintf("%s has no key %s", a.Name, fp))
		return
	case !target.Revoked.IsZero():
		writeError(w, http.StatusConflict, fmt.Sprintf("%s's key %s is already revoked, since %s: nothing to do", a.Name, fp, target.Revoked.UTC().Format(time.RFC3339)))
		return
	case inUse == 1:
		writeError(w, http.StatusConflict, fmt.Sprintf("%s is %s's last key in use: add the new key first (baton key add %s --key FILE.pub), then revoke this one",
			fp, a.Name, a.Name))
		return
	}
	if err := s.store.RevokeKey(ctx, a.Name, fp, s.now().UTC()); errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("%s has no key %s in use", a.Name, fp))
		return
	} else if err != nil {
		s.storeError(w, err, "key")
		return
	}
	s.log.Info("key revoked", "person", a.Name, "fingerprint", fp)
	s.announcePerson(ctx, a)
	s.writePerson(w, ctx, http.StatusOK, a)
}
