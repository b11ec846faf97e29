package federation

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
)

func TestKeyPEMRoundTrips(t *testing.T) {
	key := rsaKey(t)
	pub, err := PublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pub, "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("PublicKeyPEM = %.40q", pub)
	}
	got, err := ParsePublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !got.(*rsa.PublicKey).Equal(&key.PublicKey) {
		t.Error("PKIX round trip changed the key")
	}
	// PKCS#1, as some servers still publish.
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)}))
	if got, err := ParsePublicKeyPEM(pkcs1); err != nil || !got.(*rsa.PublicKey).Equal(&key.PublicKey) {
		t.Errorf("PKCS#1 public key: %v", err)
	}
	// Ed25519.
	edPub, _, _ := ed25519.GenerateKey(nil)
	edPEM, err := PublicKeyPEM(edPub)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ParsePublicKeyPEM(edPEM); err != nil || !got.(ed25519.PublicKey).Equal(edPub) {
		t.Errorf("Ed25519 public key: %v", err)
	}
	// ECDSA is not used on the fediverse's HTTP signatures.
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPEM, _ := PublicKeyPEM(&ec.PublicKey)
	if _, err := ParsePublicKeyPEM(ecPEM); err == nil || !strings.Contains(err.Error(), "is not supported") {
		t.Errorf("ECDSA public key: %v", err)
	}
	for _, bad := range []string{"", "not a pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"} {
		if _, err := ParsePublicKeyPEM(bad); err == nil {
			t.Errorf("ParsePublicKeyPEM(%q) = nil error", bad)
		}
	}
}

func TestPrivateKeyPEM(t *testing.T) {
	key, pemText, err := NewRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != 2048 || !strings.HasPrefix(pemText, "-----BEGIN PRIVATE KEY-----\n") {
		t.Errorf("NewRSAKey: %d bits, %.30q", key.N.BitLen(), pemText)
	}
	signer, err := ParsePrivateKeyPEM(pemText)
	if err != nil {
		t.Fatal(err)
	}
	if !signer.(*rsa.PrivateKey).Equal(key) {
		t.Error("PKCS#8 round trip changed the key")
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	if signer, err := ParsePrivateKeyPEM(pkcs1); err != nil || !signer.(*rsa.PrivateKey).Equal(key) {
		t.Errorf("PKCS#1 private key: %v", err)
	}
	for _, bad := range []string{"", "junk", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if _, err := ParsePrivateKeyPEM(bad); err == nil {
			t.Errorf("ParsePrivateKeyPEM(%q) = nil error", bad)
		}
	}
}

func TestAcceptDocumentRejectsInvalidFollow(t *testing.T) {
	u := testURLs(t)
	for _, follow := range []string{`{`, `{"id":"x"`, "not json"} {
		if doc, err := u.AcceptDocument("xz", base+"/a/1", json.RawMessage(follow), "https://m.example/users/a"); err == nil {
			t.Errorf("AcceptDocument(%q) = %s, want an error", follow, doc)
		}
	}
}
