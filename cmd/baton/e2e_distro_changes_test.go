package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"baton/internal/testpeer"
)

// packagePosts are the Creates the packager received from a package's actor whose Note says each of
// want.
func packagePosts(d *distroSetup, pkg string, want ...string) []testpeer.Delivery {
	var out []testpeer.Delivery
	for _, c := range d.packager.ReceivedOfType("Create") {
		if c.Actor != d.distro.base+"/users/"+pkg {
			continue
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(string(c.Object), w)
		}
		if ok {
			out = append(out, c)
		}
	}
	return out
}

// When a mirrored upstream notice changes, its endorsement completing or its revocation, the package
// actor tells its followers with a post of its own, signed by the package: Mastodon never fetches a
// boosted status again. The distro's pages, feed and home page show the change.
func TestE2EDistroChangesReachFollowers(t *testing.T) {
	t.Parallel()
	d := newDistroSetup(t)
	up := d.tukaani

	status, _, home := d.distro.get("/", "text/html")
	if status != http.StatusOK || !strings.Contains(string(home), "/users/xz-utils") || !strings.Contains(string(home), "/users/zlib") ||
		strings.Contains(string(home), "No projects yet") {
		t.Errorf("the distro's home page (%d) does not list its watched packages:\n%s", status, home)
	}

	handover := up.mustCLI("notice", "post", "--project", "xz", "--kind", "handover", "--as", "lasse", "--key", d.lasse,
		"--from", "lasse", "--to", "jia", "--mode", "co-maintainer", "--scope", "commit",
		"--text", "Jia Tan joins as co-maintainer.")
	up.mustCLI("notice", "endorse", handover, "--as", "jia", "--key", d.jia)
	d.waitCode(t, "xz-utils", 3)
	if got := packagePosts(d, "xz-utils", "Upstream now endorsed"); len(got) != 0 {
		t.Fatalf("told of an endorsement before any steward endorsed")
	}
	status, _, page := d.distro.get("/users/xz-utils", "text/html")
	for _, want := range []string{"Jia Tan", "Lasse Collin", "co-maintainer", "UNENDORSED"} {
		if status != http.StatusOK || !strings.Contains(string(page), want) {
			t.Errorf("the package page (%d) does not show %q", status, want)
		}
	}

	// Two stewards endorse it: the package tells its followers, once.
	up.mustCLI("notice", "endorse", handover, "--as", "s1", "--key", d.s1)
	up.mustCLI("notice", "endorse", handover, "--as", "s2", "--key", d.s2)
	if !testpeer.Wait(20*time.Second, func() bool {
		return len(packagePosts(d, "xz-utils", "Upstream now endorsed by s1 and s2", handover)) == 1
	}) {
		t.Fatalf("the packager was not told that the handover is endorsed; Creates: %d", len(d.packager.ReceivedOfType("Create")))
	}
	told := packagePosts(d, "xz-utils", "Upstream now endorsed by")[0]
	if told.Signer != d.distro.base+"/users/xz-utils" {
		t.Errorf("the post was signed by %s, want the package actor", told.Signer)
	}
	if proofs, err := d.packager.VerifyNote(t.Context(), told.Object); err != nil || len(proofs) != 1 || proofs[0].Controller != told.Signer {
		t.Errorf("the post's proof: %+v, %v", proofs, err)
	}
	_, _, page = d.distro.get("/users/xz-utils", "text/html")
	if !strings.Contains(string(page), "Endorsed, by this instance") {
		t.Errorf("the package page does not show the handover endorsed")
	}
	_, _, feed := d.distro.get("/users/xz-utils/feed.atom", "application/atom+xml")
	if !strings.Contains(string(feed), "<id>"+handover+"</id>") {
		t.Errorf("the package's feed does not hold the upstream's handover:\n%s", feed)
	}

	// Lasse revokes it: the package tells its followers, with the reason.
	const reason = "Jia Tan was never vetted."
	up.mustCLI("notice", "post", "--project", "xz", "--kind", "revocation", "--as", "lasse", "--key", d.lasse,
		"--revokes", handover, "--reason", reason, "--text", "The handover to Jia Tan is revoked.")
	if !testpeer.Wait(20*time.Second, func() bool {
		return len(packagePosts(d, "xz-utils", "Upstream REVOKED this handover: "+reason, handover)) == 1
	}) {
		t.Fatalf("the packager was not told that the handover was revoked")
	}
	if !waitFor(20*time.Second, func() bool {
		_, _, page = d.distro.get("/users/xz-utils", "text/html")
		return strings.Contains(string(page), "⚠ REVOKED") && strings.Contains(string(page), reason)
	}) {
		t.Errorf("the package page does not mark the handover revoked:\n%s", page)
	}
	_, _, feed = d.distro.get("/users/xz-utils/feed.atom", "application/atom+xml")
	if !strings.Contains(string(feed), "REVOKED") {
		t.Errorf("the package's feed does not mark the handover revoked:\n%s", feed)
	}
	// Nothing more comes of it: once the foundation has delivered everything (the revocation, the
	// profile Update) and the distro's queue, filled by its inbox before it answered, is empty too,
	// every post the distro made is in the packager's hands.
	up.waitQueueEmpty(20 * time.Second)
	d.distro.waitQueueEmpty(20 * time.Second)
	if n := len(packagePosts(d, "xz-utils", "Upstream")); n != 2 {
		t.Errorf("the package posted %d changes, want 2", n)
	}
	noFailures(t, d.packager)
}
