package proof

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/mr-tron/base58"
)

// Multicodec prefixes, as unsigned varints, that say what kind of key follows
// (https://github.com/multiformats/multicodec): 0xed is ed25519-pub and
// 0x1300 is ed25519-priv.
var (
	ed25519PublicPrefix  = []byte{0xed, 0x01}
	ed25519PrivatePrefix = []byte{0x80, 0x26}
)

// base58btcPrefix is the multibase header for base58btc, the encoding both
// FEP-521a keys and eddsa-jcs-2022 proof values use.
const base58btcPrefix = "z"

// EncodeMultikey returns "z" + base58btc(0xed 0x01 + 32-byte key), the FEP-521a
// publicKeyMultibase form of pub. A pub that is not 32 bytes long yields a
// string DecodeMultikey rejects.
func EncodeMultikey(pub ed25519.PublicKey) string {
	return encodeBase58btc(append(bytes.Clone(ed25519PublicPrefix), pub...))
}

// DecodeMultikey reverses EncodeMultikey, rejecting other prefixes/lengths with a clear error.
func DecodeMultikey(s string) (ed25519.PublicKey, error) {
	key, err := decodePrefixedKey(s, ed25519PublicPrefix, ed25519.PublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("proof: Ed25519 public multikey: %w", err)
	}
	return ed25519.PublicKey(key), nil
}

// DecodeMultikeyPrivate decodes a multibase Ed25519 secret key ("z" + base58btc(0x80 0x26 + 32-byte seed)),
// as used in the W3C test vector keypair.json; returns the full ed25519.PrivateKey.
func DecodeMultikeyPrivate(s string) (ed25519.PrivateKey, error) {
	seed, err := decodePrefixedKey(s, ed25519PrivatePrefix, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("proof: Ed25519 private multikey: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// decodePrefixedKey decodes a multibase string holding prefix followed by
// exactly size bytes of key, and returns the key bytes.
func decodePrefixedKey(s string, prefix []byte, size int) ([]byte, error) {
	b, err := decodeBase58btc(s, len(prefix)+size)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, prefix) {
		return nil, fmt.Errorf("multicodec prefix is 0x%x, want 0x%x", b[:len(prefix)], prefix)
	}
	return b[len(prefix):], nil
}

func encodeBase58btc(b []byte) string {
	return base58btcPrefix + base58.Encode(b)
}

// decodeBase58btc decodes a multibase base58btc string that must hold
// exactly size bytes.
func decodeBase58btc(s string, size int) ([]byte, error) {
	if len(s) < len(base58btcPrefix) || s[:len(base58btcPrefix)] != base58btcPrefix {
		return nil, errors.New(`not multibase base58btc (must start with "z")`)
	}
	digits := s[len(base58btcPrefix):]
	// Base58 decoding costs time quadratic in the input length, so a hostile
	// megabyte-long value is refused before decoding. Every byte needs at
	// most two digits, so this never refuses an honest value.
	if len(digits) > 2*size {
		return nil, fmt.Errorf("%d base58 digits is too long for %d bytes", len(digits), size)
	}
	b, err := base58.Decode(digits)
	if err != nil {
		return nil, fmt.Errorf("bad base58btc: %w", err)
	}
	if len(b) != size {
		return nil, fmt.Errorf("decodes to %d bytes, want %d", len(b), size)
	}
	return b, nil
}
