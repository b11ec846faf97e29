package proof

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestOpenSSHKeys(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " lasse@tukaani"
	got, err := ParseOpenSSHPublicKey([]byte(line))
	if err != nil || !got.Equal(pub) {
		t.Fatalf("ParseOpenSSHPublicKey(%q) = %x, %v; want %x", line, got, err, pub)
	}
	fp, err := Fingerprint(pub)
	if err != nil || fp != ssh.FingerprintSHA256(sshPub) || !strings.HasPrefix(fp, "SHA256:") || len(fp) != 50 {
		t.Fatalf("Fingerprint = %q, %v", fp, err)
	}

	for _, bad := range []string{"", "ssh-ed25519", "ssh-ed25519 AAAA!!!", "not a key at all",
		"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg="} {
		if _, err := ParseOpenSSHPublicKey([]byte(bad)); err == nil {
			t.Errorf("ParseOpenSSHPublicKey(%q) accepted", bad)
		}
	}

	block, err := ssh.MarshalPrivateKey(priv, "lasse")
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseOpenSSHPrivateKey(pem.EncodeToMemory(block), nil)
	if err != nil || !k.Equal(priv) {
		t.Fatalf("ParseOpenSSHPrivateKey = %v", err)
	}
	protected, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "lasse", []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseOpenSSHPrivateKey(pem.EncodeToMemory(protected), nil); !errors.Is(err, ErrPassphraseNeeded) {
		t.Fatalf("protected key without passphrase: err = %v, want ErrPassphraseNeeded", err)
	}
	if _, err := ParseOpenSSHPrivateKey(pem.EncodeToMemory(protected), []byte("wrong")); err == nil {
		t.Fatalf("protected key with the wrong passphrase accepted")
	}
	if k, err := ParseOpenSSHPrivateKey(pem.EncodeToMemory(protected), []byte("correct horse")); err != nil || !k.Equal(priv) {
		t.Fatalf("protected key with its passphrase: %v", err)
	}
}
