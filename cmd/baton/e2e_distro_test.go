package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"baton/internal/testpeer"
)

// distroSetup is two foundations and a distro on loopback: xz on the first (Lasse maintains it; two
// stewards; Jia and Mallory have keys there but no rights), zlib on the second (Mark maintains it),
// and a distro watching both for its packages xz-utils and zlib, with a packager following xz-utils.
type distroSetup struct {
	tukaani, zlibOrg, distro *instance
	lasse, jia, s1, s2, mark string // private key files
	mallory                  string
	packager                 *testpeer.Peer
}

func newDistroSetup(t *testing.T) *distroSetup {
	t.Helper()
	d := &distroSetup{tukaani: startBaton(t), zlibOrg: startBaton(t), distro: startBaton(t)}
	keys := t.TempDir()
	d.lasse, d.jia, d.s1, d.s2 = sshKey(t, keys, "lasse"), sshKey(t, keys, "jia"), sshKey(t, keys, "s1"), sshKey(t, keys, "s2")
	d.mark, d.mallory = sshKey(t, keys, "mark"), sshKey(t, keys, "mallory")

	up := d.tukaani
	up.addProject("xz", "XZ Utils")
	up.mustCLI("person", "add", "lasse", "--key", d.lasse+".pub", "--display-name", "Lasse Collin")
	up.mustCLI("maintainer", "add", "lasse", "--project", "xz")
	up.mustCLI("person", "add", "jia", "--key", d.jia+".pub", "--display-name", "Jia Tan")
	up.mustCLI("person", "add", "mallory", "--key", d.mallory+".pub")
	up.mustCLI("steward", "add", "s1", "--key", d.s1+".pub")
	up.mustCLI("steward", "add", "s2", "--key", d.s2+".pub")
	d.zlibOrg.addProject("zlib", "zlib")
	d.zlibOrg.mustCLI("person", "add", "mark", "--key", d.mark+".pub", "--display-name", "Mark Adler")
	d.zlibOrg.mustCLI("maintainer", "add", "mark", "--project", "zlib")

	d.distro.mustCLI("watch", "add", "xz-utils", "@xz@"+up.addr, "--purl", "pkg:deb/debian/xz-utils")
	d.distro.mustCLI("watch", "add", "zlib", d.zlibOrg.base+"/users/zlib")
	if !waitFor(20*time.Second, func() bool { return d.following() == "accepted accepted" }) {
		t.Fatalf("the distro's follows of its upstreams: %q, want both accepted", d.following())
	}

	d.packagerFollows(t)
	return d
}

// following is the state of the distro's follows, in package order.
func (d *distroSetup) following() string {
	_, _, body := d.distro.get("/api/v1/watches", "application/json")
	var list struct {
		Watches []struct {
			Following string `json:"following"`
		} `json:"watches"`
	}
	json.Unmarshal(body, &list)
	var states []string
	for _, w := range list.Watches {
		states = append(states, w.Following)
	}
	return strings.Join(states, " ")
}

// waitCode waits until `baton check PACKAGE` on the distro exits with want.
func (d *distroSetup) waitCode(t *testing.T, pkg string, want int, extra ...string) string {
	t.Helper()
	var code int
	var out string
	if !waitFor(20*time.Second, func() bool { code, out = d.distro.checkCode(pkg, extra...); return code == want }) {
		t.Fatalf("baton check %s on the distro: exit %d, want %d\n%s", pkg, code, want, out)
	}
	return out
}

// announced lists the objects the packager received Announces of.
func (d *distroSetup) announced() []string {
	var out []string
	for _, a := range d.packager.ReceivedOfType("Announce") {
		var id string
		json.Unmarshal(a.Object, &id)
		out = append(out, id)
	}
	return out
}

// Notices posted upstream reach the distro verified, change what it answers its pipelines, and reach
// its packagers as Announces of the original objects, which stay fetchable at their origin.
func TestE2EDistroMirrorsAndGates(t *testing.T) {
	t.Parallel()
	d := newDistroSetup(t)
	up := d.tukaani
	if code, out := d.distro.checkCode("xz-utils"); code != 0 {
		t.Fatalf("check before any notice: exit %d\n%s", code, out)
	}

	hiatus := up.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", d.lasse,
		"--text", "Stepping back for a while.", "--until", "2099-03-01")
	d.waitCode(t, "xz-utils", 4)
	if !testpeer.Wait(20*time.Second, func() bool { return len(d.announced()) == 1 }) {
		t.Fatalf("the packager got Announces of %v, want the hiatus %s", d.announced(), hiatus)
	}
	if got := d.announced()[0]; got != hiatus {
		t.Fatalf("Announce of %s, want %s", got, hiatus)
	}
	a := d.packager.ReceivedOfType("Announce")[0]
	if a.Actor != d.distro.base+"/users/xz-utils" || a.Signer != a.Actor {
		t.Fatalf("the Announce came from %s (signed by %q), want the package actor", a.Actor, a.Signer)
	}
	// Mastodon refetches an announced object from its id: the origin serves it, with its proofs.
	if _, err := d.packager.Get(context.Background(), hiatus); err != nil {
		t.Fatalf("the announced notice is not fetchable at its origin: %v", err)
	}

	// A handover to Jia, with release signing, accepted by Jia: unendorsed at the distro too.
	handover := up.mustCLI("notice", "post", "--project", "xz", "--kind", "handover", "--as", "lasse", "--key", d.lasse,
		"--from", "lasse", "--to", "jia", "--mode", "co-maintainer", "--scope", "commit", "--scope", "release-signing",
		"--text", "Jia Tan joins as co-maintainer.")
	up.mustCLI("notice", "endorse", handover, "--as", "jia", "--key", d.jia)
	out := d.waitCode(t, "xz-utils", 3)
	if !strings.Contains(out, "UNENDORSED") {
		t.Fatalf("check says:\n%s", out)
	}
	// A new release-signing key, announced by Jia; unendorsed.
	const newKey = "22D465F2B4C173803B20C6DE59FCF207FEA7058E"
	up.mustCLI("notice", "post", "--project", "xz", "--kind", "signer-change", "--as", "jia", "--key", d.jia,
		"--add-key", "openpgp:"+newKey+":jia", "--text", "Releases are now signed by Jia's key.")
	if !waitFor(20*time.Second, func() bool {
		code, _ := d.distro.checkCode("xz-utils", "--signer", newKey)
		return code == 3
	}) {
		code, out := d.distro.checkCode("xz-utils", "--signer", newKey)
		t.Fatalf("check --signer of Jia's unendorsed key: exit %d, want 3\n%s", code, out)
	}
	if code, out := d.distro.checkCode("xz-utils", "--signer", "3690C240CE51B4670D30AD1C38EE7A5D6D4F98A0"); code != 5 {
		t.Fatalf("check --signer of a key nobody announced: exit %d, want 5\n%s", code, out)
	}

	// Two stewards endorse the handover: the distro sees the Update, and only the scrutiny window stays
	// of the handover; the signer change still lacks its endorsements.
	jiaEndorsed := func() bool {
		_, _, body := d.distro.get("/api/v1/packages/xz-utils/state", "application/json")
		var v struct {
			State struct {
				Maintainers []struct {
					Person string
					Rights []struct{ Endorsed bool }
				}
			}
		}
		json.Unmarshal(body, &v)
		for _, m := range v.State.Maintainers {
			if strings.HasSuffix(m.Person, "/users/jia") {
				return len(m.Rights) > 0 && m.Rights[0].Endorsed
			}
		}
		return false
	}
	if jiaEndorsed() {
		t.Fatal("Jia's rights count as endorsed before any steward endorsed the handover")
	}
	up.mustCLI("notice", "endorse", handover, "--as", "s1", "--key", d.s1)
	up.mustCLI("notice", "endorse", handover, "--as", "s2", "--key", d.s2)
	if !waitFor(20*time.Second, jiaEndorsed) {
		_, _, body := d.distro.get("/api/v1/packages/xz-utils/state", "application/json")
		t.Fatalf("the endorsed handover never reached the distro's state:\n%s", body)
	}

	// The gate over several packages: the most urgent code wins; zlib alone is normal.
	if code, out := d.distro.checkCode("zlib"); code != 0 {
		t.Fatalf("check zlib: exit %d\n%s", code, out)
	}
	code, out := d.distro.checkCode("--watched", "--json")
	if code != 3 {
		t.Fatalf("check --watched: exit %d, want 3\n%s", code, out)
	}
	var all struct {
		Results []struct {
			Package string `json:"package"`
			Code    int    `json:"code"`
		} `json:"results"`
		Code int `json:"code"`
	}
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all.Results) != 2 || all.Code != 3 {
		t.Fatalf("check --watched --json printed %s (%v)", out, err)
	}
	// The distro's own notice about its packaging reaches the packager from the package actor, signed
	// by the package's key (verified by the peer itself).
	hold, _ := d.distro.postNotice("xz-utils", "scrutiny", "Debian holds xz-utils at 5.4.5 while the handover is reviewed.", "--until", "2099-01-01")
	if !testpeer.Wait(20*time.Second, func() bool { return len(creates(d.packager, hold)) == 1 }) {
		t.Fatalf("the packager did not get the distro's own notice %s", hold)
	}
	own := creates(d.packager, hold)[0]
	if own.Signer != d.distro.base+"/users/xz-utils" {
		t.Errorf("the distro's notice was signed by %s, want the package actor", own.Signer)
	}
	if proofs, err := d.packager.VerifyNote(context.Background(), own.Object); err != nil || len(proofs) != 1 || proofs[0].Controller != own.Signer {
		t.Errorf("the distro's notice's proof: %+v, %v", proofs, err)
	}
	if status, _, body := d.distro.get("/users/xz-utils/outbox?page=1", "application/activity+json"); status != http.StatusOK ||
		!strings.Contains(string(body), hold) || !strings.Contains(string(body), `"type":"Announce"`) {
		t.Errorf("the package's outbox (%d) does not list its Announces and its own notice:\n%s", status, body)
	}

	// The distro's own scrutiny window counts in its check for the package, beside the upstream's state.
	if code, out := d.distro.checkCode("xz-utils"); code < 2 || !strings.Contains(out, "this distribution's own scrutiny window") {
		t.Errorf("check xz-utils after the distro's own scrutiny notice: exit %d\n%s", code, out)
	}

	// The package's page, for the packager who opens the profile link.
	status, _, page := d.distro.get("/users/xz-utils", "text/html")
	for _, want := range []string{"pkg:deb/debian/xz-utils", "baton check exits 3", hiatus, handover, "Jia Tan joins as co-maintainer.", "Debian holds xz-utils"} {
		if status != http.StatusOK || !strings.Contains(string(page), want) {
			t.Errorf("the package page (%d) does not show %q", status, want)
		}
	}
	status, _, _ = d.distro.get("/api/v1/packages/nonesuch/state", "application/json")
	if status != http.StatusNotFound {
		t.Fatalf("state of an unwatched package: %d, want 404", status)
	}
	noFailures(t, d.packager)
}

// packagerFollows has a packager on a Mastodon-like peer follow the distro's xz-utils package actor.
func (d *distroSetup) packagerFollows(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	d.packager = testpeer.New(t, testpeer.Mastodon, "packager")
	pkg, err := d.packager.Lookup(ctx, "@xz-utils@"+d.distro.addr)
	if err != nil {
		t.Fatal(err)
	}
	follow, err := d.packager.Follow(ctx, "packager", pkg)
	if err != nil {
		t.Fatal(err)
	}
	if !testpeer.Wait(15*time.Second, func() bool { _, ok := d.packager.Accepted(follow); return ok }) {
		t.Fatal("the package actor did not accept the packager's follow")
	}
}
