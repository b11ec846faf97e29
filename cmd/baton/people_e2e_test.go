package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"baton/federation/proof"
	"baton/internal/testpeer"
)

// pubKeyFile is an Ed25519 key whose public half is written as ssh-keygen writes FILE.pub.
type pubKeyFile struct {
	path        string
	pub         ed25519.PublicKey
	fingerprint string
}

func writePubKey(t *testing.T, dir, name string) pubKeyFile {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".pub")
	// A leading blank line: the first non-empty line is the key.
	line := "\n" + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + name + "@laptop\n"
	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	return pubKeyFile{path: path, pub: pub, fingerprint: ssh.FingerprintSHA256(sp)}
}

// People with keys, as the admin registers them with the client commands, and their actors.
func TestE2EPeople(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := startBaton(t)
	in.addProject("xz", "XZ Utils")
	in.addProject("zlib", "zlib")
	dir := t.TempDir()
	lasse1, lasse2, lasse3 := writePubKey(t, dir, "lasse1"), writePubKey(t, dir, "lasse2"), writePubKey(t, dir, "lasse3")
	s1, jia := writePubKey(t, dir, "s1"), writePubKey(t, dir, "jia")

	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := in.cli(args...)
		if err != nil {
			t.Fatalf("baton %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	refused := func(says string, args ...string) {
		t.Helper()
		out, errOut, err := in.cli(args...)
		if err == nil || !strings.Contains(errOut, says) {
			t.Errorf("baton %s: %v, stdout %q, stderr %q; want a failure saying %q", strings.Join(args, " "), err, out, errOut, says)
		}
	}

	out := run("person", "add", "lasse", "--key", lasse1.path, "--display-name", "Lasse Collin")
	for _, want := range []string{"@lasse@" + in.addr + "\t" + in.base + "/users/lasse", "name: Lasse Collin", "key: " + lasse1.fingerprint} {
		if !strings.Contains(out, want) {
			t.Errorf("person add printed %q, want %q in it", out, want)
		}
	}
	if out := run("maintainer", "add", "lasse", "--project", "xz"); !strings.Contains(out, "lasse is a maintainer of xz since ") {
		t.Errorf("maintainer add printed %q", out)
	}
	// steward add registers a person it does not know yet.
	if out := run("steward", "add", "s1", "--key", s1.path); !strings.Contains(out, "s1 is a steward since ") {
		t.Errorf("steward add printed %q", out)
	}
	// So does maintainer add, before any notice.
	run("maintainer", "add", "jia", "--project", "xz", "--key", jia.path)
	// Rotation: add the new key, then revoke the old one.
	if out := run("key", "add", "lasse", "--key", lasse2.path); !strings.Contains(out, "added "+lasse2.fingerprint+" to lasse") {
		t.Errorf("key add printed %q", out)
	}
	if out := run("key", "revoke", "lasse", lasse1.fingerprint); !strings.Contains(out, "revoked "+lasse1.fingerprint+" of lasse at ") {
		t.Errorf("key revoke printed %q", out)
	}

	show := run("person", "show", "lasse")
	lines := strings.Split(strings.TrimSpace(show), "\n")
	wantPrefixes := []string{
		"@lasse@" + in.addr + "\t" + in.base + "/users/lasse",
		"name: Lasse Collin",
		"key: " + lasse1.fingerprint + "\tadded ",
		"key: " + lasse2.fingerprint + "\tadded ",
		"role: maintainer of xz\tsince ",
		"rights in xz: commit, merge, release-signing, publishing, security-contact, website, dns, ci, fuzzing-contact\tsince ",
	}
	if len(lines) != len(wantPrefixes) {
		t.Fatalf("person show printed %d lines, want %d:\n%s", len(lines), len(wantPrefixes), show)
	}
	for i, p := range wantPrefixes {
		if !strings.HasPrefix(lines[i], p) {
			t.Errorf("person show line %d = %q, want it to start %q", i+1, lines[i], p)
		}
	}
	if !strings.Contains(lines[2], "\trevoked ") || !strings.HasSuffix(lines[3], "\tin use") {
		t.Errorf("person show does not say which key is revoked:\n%s", show)
	}
	if show := run("person", "show", "s1"); !strings.Contains(show, "role: steward\tsince ") || !strings.Contains(show, "key: "+s1.fingerprint) {
		t.Errorf("person show s1:\n%s", show)
	}

	// Refusals say what is wrong.
	in.postNotice("zlib", "hiatus", "Away for a while.")
	refused("the maintainers of zlib now change only through handover notices", "maintainer", "add", "lasse", "--project", "zlib",
		"--signing-key", "openpgp:3690C240CE51B4670D30AD1C38EE757D69184620")
	refused("lasse's key "+lasse1.fingerprint+" is already revoked, since ", "key", "revoke", "lasse", lasse1.fingerprint)
	refused("this needs the admin token, and none was given: pass --token TOKEN or set BATON_TOKEN", "person", "add", "mallory", "--key", lasse3.path, "--token", "")
	refused("last key in use", "key", "revoke", "lasse", lasse2.fingerprint)
	refused("private key", "person", "add", "mallory", "--key", writePrivateKey(t, dir))
	refused("--key FILE.pub is required", "person", "add", "mallory")
	refused(`"xz" is taken already, by a project`, "person", "add", "xz", "--key", lasse3.path)
	refused("is not one of their keys in use", "maintainer", "add", "lasse", "--project", "xz", "--key", lasse3.path)
	refused(`project "nope" not found`, "maintainer", "add", "newbie", "--project", "nope", "--key", lasse3.path)
	refused(`person "newbie" not found`, "person", "show", "newbie") // nothing was registered for the unknown project

	// The person's actor: a Person with the keys as Multikeys, the revoked one marked.
	status, header, body := in.get("/users/lasse", "application/activity+json")
	var actor struct {
		ID              string              `json:"id"`
		Type            string              `json:"type"`
		Summary         string              `json:"summary"`
		AssertionMethod []map[string]string `json:"assertionMethod"`
	}
	if status != 200 || !strings.HasPrefix(header.Get("Content-Type"), "application/activity+json") || json.Unmarshal(body, &actor) != nil {
		t.Fatalf("GET the person actor: %d %s", status, body)
	}
	if actor.ID != in.base+"/users/lasse" || actor.Type != "Person" || !strings.Contains(actor.Summary, "XZ Utils") || len(actor.AssertionMethod) != 2 {
		t.Fatalf("person actor: %s", body)
	}
	for i, k := range []pubKeyFile{lasse1, lasse2} {
		m := actor.AssertionMethod[i]
		pub, err := proof.DecodeMultikey(m["publicKeyMultibase"])
		if err != nil || !pub.Equal(k.pub) || m["id"] != actor.ID+"#"+proof.EncodeMultikey(k.pub) || m["controller"] != actor.ID || (m["revoked"] != "") != (i == 0) {
			t.Errorf("assertionMethod[%d] = %v", i, m)
		}
	}
	if status, _, page := in.get("/users/lasse", "text/html"); status != 200 || !strings.Contains(string(page), "Lasse Collin") {
		t.Errorf("person page: %d %s", status, page)
	}

	// A person is followed like a project, and their followers hear of a new key.
	peer := testpeer.New(t, testpeer.Mastodon, "alice")
	person, err := peer.Lookup(ctx, "@lasse@"+in.addr)
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	f, err := peer.Follow(ctx, "alice", person)
	if err != nil {
		t.Fatalf("follow: %v", err)
	}
	var accept testpeer.Delivery
	if !testpeer.Wait(15*time.Second, func() (ok bool) { accept, ok = peer.Accepted(f); return ok }) {
		noFailures(t, peer)
		t.Fatal("no Accept of the Follow of a person")
	}
	if accept.Signer != person.ID || accept.KeyID != person.ID+"#main-key" {
		t.Errorf("the Accept was signed by %s (%s)", accept.Signer, accept.KeyID)
	}
	run("key", "add", "lasse", "--key", lasse3.path)
	var update testpeer.Delivery
	if !testpeer.Wait(15*time.Second, func() bool {
		for _, d := range peer.ReceivedOfType("Update") {
			if d.ObjectField("id") == person.ID {
				update = d
				return true
			}
		}
		return false
	}) {
		noFailures(t, peer)
		t.Fatal("no Update of the person after a key was added")
	}
	var obj struct {
		Type            string              `json:"type"`
		AssertionMethod []map[string]string `json:"assertionMethod"`
	}
	json.Unmarshal(update.Object, &obj)
	if update.Signer != person.ID || obj.Type != "Person" || len(obj.AssertionMethod) != 3 {
		t.Errorf("Update signed by %s: %s", update.Signer, update.Body)
	}
	noFailures(t, peer)
}

// writePrivateKey writes an OpenSSH private key file, which person add must refuse to read.
func writePrivateKey(t *testing.T, dir string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
