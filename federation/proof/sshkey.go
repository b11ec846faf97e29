package proof

import (
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"

	"golang.org/x/crypto/ssh"
)

// Maintainers sign with the Ed25519 key they already use for git: these read it as OpenSSH writes it.

// ParseOpenSSHPublicKey reads an authorized_keys line, "ssh-ed25519 AAAA… comment", as found in
// ~/.ssh/id_ed25519.pub. Other key types are refused: eddsa-jcs-2022 needs Ed25519.
func ParseOpenSSHPublicKey(line []byte) (ed25519.PublicKey, error) {
	pub, _, _, _, err := ssh.ParseAuthorizedKey(line)
	if err != nil {
		return nil, fmt.Errorf("OpenSSH public key: %w", err)
	}
	if pub.Type() != ssh.KeyAlgoED25519 {
		return nil, fmt.Errorf("OpenSSH public key: %s is not an Ed25519 key (ssh-keygen -t ed25519 makes one)", pub.Type())
	}
	crypto, ok := pub.(ssh.CryptoPublicKey)
	if !ok {
		return nil, errors.New("OpenSSH public key: cannot read the key")
	}
	key, ok := crypto.CryptoPublicKey().(ed25519.PublicKey)
	if !ok || len(key) != ed25519.PublicKeySize {
		return nil, errors.New("OpenSSH public key: not a 32-byte Ed25519 key")
	}
	return key, nil
}

// Fingerprint is a key's SHA-256 fingerprint as `ssh-keygen -l` prints it: "SHA256:…".
func Fingerprint(pub ed25519.PublicKey) (string, error) {
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", err
	}
	return ssh.FingerprintSHA256(key), nil
}

// ParseOpenSSHPrivateKey reads an unencrypted OpenSSH private key file (~/.ssh/id_ed25519). A key with
// a passphrase needs passphrase; ErrPassphraseNeeded says when one was needed and not given.
func ParseOpenSSHPrivateKey(pemBytes, passphrase []byte) (ed25519.PrivateKey, error) {
	var raw any
	var err error
	if len(passphrase) > 0 {
		raw, err = ssh.ParseRawPrivateKeyWithPassphrase(pemBytes, passphrase)
	} else {
		raw, err = ssh.ParseRawPrivateKey(pemBytes)
	}
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, ErrPassphraseNeeded
	}
	if err != nil {
		return nil, fmt.Errorf("OpenSSH private key: %w", err)
	}
	switch k := raw.(type) {
	case ed25519.PrivateKey:
		return k, nil
	case *ed25519.PrivateKey:
		return *k, nil
	}
	algorithm := fmt.Sprintf("%T", raw)
	switch raw.(type) {
	case *rsa.PrivateKey:
		algorithm = "RSA"
	case *ecdsa.PrivateKey:
		algorithm = "ECDSA"
	case *dsa.PrivateKey:
		algorithm = "DSA"
	}
	return nil, fmt.Errorf("%w: it is an %s key", ErrNotEd25519, algorithm)
}

// ErrNotEd25519 is returned for a private key of another algorithm: proofs are made with Ed25519 keys.
var ErrNotEd25519 = errors.New("not an Ed25519 key")

// ErrPassphraseNeeded is returned for a passphrase-protected key read without its passphrase.
var ErrPassphraseNeeded = errors.New("the key is protected by a passphrase")
