package federation

import (
	"crypto/ed25519"
	"crypto/rsa"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// What a peer sends is read by these: none may panic, and what they accept must be what they say.

// A WebFinger resource comes from any client, and a handle names the host a lookup goes to: the host
// read must be the host a request to it reaches.
func FuzzParseAcct(f *testing.F) {
	for _, s := range []string{
		"acct:xz@notices.example.org", "acct:@xz@Notices.Example.ORG", "acct:xz@127.0.0.1:8080", "acct:xz@[::1]:8443",
		"acct:notices.example.org@notices.example.org", "acct:xz@evil.example@victim.example", "acct:xz@host/path",
		"acct:xz@host?q=1", "acct:xz@host#f", "acct:xz@host:0", "acct:xz@host:99999", "acct:xz@bücher.example",
		"acct:xz@[fe80::1%25eth0]", "acct:xz", "acct:", "", "xz@host", "acct:xz@a..b", "acct:xz@ host", "acct:0@[0]", "acct:a@::1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, resource string) {
		name, host, err := ParseAcct(resource)
		if err != nil {
			return
		}
		if name == "" || host == "" || name != strings.ToLower(name) || host != strings.ToLower(host) {
			t.Fatalf("ParseAcct(%q) = %q, %q", resource, name, host)
		}
		u, err := url.Parse("https://" + host + "/.well-known/webfinger")
		if err != nil || u.Host != host || u.User != nil || u.Path != "/.well-known/webfinger" {
			t.Fatalf("ParseAcct(%q) host %q does not stand as a URL's host: %v %#v", resource, host, err, u)
		}
	})
}

// publicKeyPem is whatever a remote actor document says.
func FuzzParsePublicKeyPEM(f *testing.F) {
	rsaPEM, err := PublicKeyPEM(&rsaKey(f).PublicKey)
	if err != nil {
		f.Fatal(err)
	}
	edPEM, err := PublicKeyPEM(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public())
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{rsaPEM, edPEM, strings.Replace(rsaPEM, "PUBLIC KEY", "RSA PUBLIC KEY", 2),
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a pem", "", rsaPEM[:len(rsaPEM)/2]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParsePublicKeyPEM(s)
		if err != nil {
			return
		}
		switch k := key.(type) {
		case *rsa.PublicKey:
			if k == nil || k.N == nil {
				t.Fatalf("an empty RSA key from %q", s)
			}
		case ed25519.PublicKey:
			if len(k) != ed25519.PublicKeySize {
				t.Fatalf("an Ed25519 key of %d bytes", len(k))
			}
		default:
			t.Fatalf("a %T key", key)
		}
	})
}

// A key document read, and confirmed by the actor it names when that actor is the same document
// (Mastodon's ACTOR#main-key): a key is only ever taken for an owner on its origin that lists it.
func FuzzKeyDocument(f *testing.F) {
	pem, err := PublicKeyPEM(&rsaKey(f).PublicKey)
	if err != nil {
		f.Fatal(err)
	}
	actor := `{"id":"https://a.example/u","type":"Person","inbox":"https://a.example/u/inbox","publicKey":{"id":"https://a.example/u#main-key","owner":"https://a.example/u","publicKeyPem":` + quote(pem) + `}}`
	f.Add([]byte(actor), "https://a.example/u#main-key")
	f.Add([]byte(`{"id":"https://a.example/u/main-key","owner":"https://a.example/u","publicKeyPem":"x"}`), "https://a.example/u/main-key")
	f.Add([]byte(`{"id":"https://a.example/u","type":"Person","inbox":"https://a.example/i","publicKey":[{"id":"https://a.example/u#k","owner":"https://b.example/v","publicKeyPem":"p"}]}`), "https://a.example/u#k")
	f.Add([]byte(`{"id":"http://a.example/u","publicKey":{"id":"http://a.example/u#k"}}`), "http://a.example/u#k")
	f.Fuzz(func(t *testing.T, body []byte, keyID string) {
		owner, err := keyOwner(keyID, body, stripFragment(keyID))
		if err != nil {
			return
		}
		if !sameOrigin(keyID, owner) {
			t.Fatalf("owner %s taken for key %s on another origin", owner, keyID)
		}
		if owner != stripFragment(keyID) {
			return // the owner's actor is another document, fetched apart
		}
		a, err := actorFrom(owner, body, owner)
		if err != nil {
			return
		}
		k, pub, err := confirmKey(a, keyID)
		if err != nil {
			return
		}
		if k.KeyID != keyID || k.Owner != a.ID || pub == nil {
			t.Fatalf("confirmed %+v for key %s of %s", k, keyID, a.ID)
		}
	})
}

// An address the resolver returned: an IPv4 address and its IPv4-mapped form are judged alike, and
// an IPv6 address carrying a private IPv4 address is private.
func FuzzIsPrivateAddress(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "8.8.8.8", "::7f00:1", "2002:7f00:1::1", "2001:0:4136:e378:8000:63bf:80ff:fffe",
		"64:ff9b::a00:1", "64:ff9b:1::1", "2606:4700::1111", "fe80::1"} {
		f.Add(netip.MustParseAddr(s).AsSlice())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		addr, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		private := IsPrivateAddress(addr)
		if addr.Is4() && IsPrivateAddress(netip.AddrFrom16(addr.As16())) != private {
			t.Fatalf("%s and its mapped form are judged apart", addr)
		}
		for _, v4 := range embeddedIPv4(addr) {
			if IsPrivateAddress(v4) && !private {
				t.Fatalf("%s carries private %s and is not private", addr, v4)
			}
		}
	})
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
