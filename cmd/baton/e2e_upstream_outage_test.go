package main

// A distro's upstream that is briefly unreachable, or that names its first maintainer after the distro
// started watching it: the notice is mirrored at its next delivery, not at the next hourly catch-up.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"baton/internal/testpeer"
)

// outageSetup is a foundation behind a reverse proxy (startProxy), which is its public address: the
// distro fetches its actors and notices and delivers to it there, while the foundation delivers to the
// distro directly. xz is on the foundation, Lasse has a key there, and the distro watches xz for its
// package xz-utils, followed by a packager. With maintainerFirst, Lasse is made xz's maintainer before
// the distro watches it; otherwise not yet.
func newOutageSetup(t *testing.T, maintainerFirst bool) (*distroSetup, *rrProxy) {
	t.Helper()
	front := startProxy(t)
	d := &distroSetup{tukaani: startBaton(t, "--base-url", front.url), distro: startBaton(t)}
	front.setBackends(d.tukaani)
	d.lasse = sshKey(t, t.TempDir(), "lasse")
	d.tukaani.mustCLI("project", "add", "xz", "--display-name", "XZ Utils")
	d.tukaani.mustCLI("person", "add", "lasse", "--key", d.lasse+".pub", "--display-name", "Lasse Collin")
	if maintainerFirst {
		d.tukaani.mustCLI("maintainer", "add", "lasse", "--project", "xz")
	}

	d.distro.mustCLI("watch", "add", "xz-utils", "@xz@"+front.addr)
	if !waitFor(20*time.Second, func() bool { return d.following() == "accepted" }) {
		t.Fatalf("the distro's follow of xz: %q, want accepted", d.following())
	}
	d.packagerFollows(t)
	return d, front
}

// postHiatus has Lasse post a hiatus on the foundation (its API reached directly, not through the
// front) and returns its id.
func (d *distroSetup) postHiatus(t *testing.T) string {
	t.Helper()
	return d.tukaani.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", d.lasse,
		"--text", "Stepping back for a while.", "--until", "2099-03-01")
}

// wantMirroredOnDelivery checks that the distro mirrored and announced exactly the notice url, from a
// delivery and refusing nothing, without a catch-up bringing it.
func (d *distroSetup) wantMirroredOnDelivery(t *testing.T, url string) {
	t.Helper()
	if v := d.view(t); !slices.Equal(v.Notices, []string{url}) || v.Mirrored != 1 || v.Code != 4 {
		t.Errorf("the distro shows %s, want the hiatus %s (exit 4)", v, url)
	}
	if got := upstreamNotices(t, d.distro, "mirrored", "delivered"); got != 1 {
		t.Errorf("%v notices mirrored from deliveries, want 1", got)
	}
	for _, via := range []string{"delivered", "catch_up"} {
		if got := upstreamNotices(t, d.distro, "rejected", via); got != 0 {
			t.Errorf("%v notices rejected (%s), want none", got, via)
		}
	}
	if got := upstreamNotices(t, d.distro, "mirrored", "catch_up"); got != 0 {
		t.Errorf("%v notices mirrored by a catch-up, want none: the delivery brings it", got)
	}
	if !testpeer.Wait(20*time.Second, func() bool { return len(d.announced()) == 1 }) || d.announced()[0] != url {
		t.Errorf("the packager got Announces of %v, want one of %s", d.announced(), url)
	}
	noFailures(t, d.packager)
}

// The foundation's front answers 502 for a while (the foundation itself runs on and delivers): a
// notice delivered then cannot be verified, since the keys it is signed with cannot be fetched. The
// distro answers 503 and keeps nothing of it; the foundation delivers it again once it is reachable,
// and the distro mirrors it then, not an hour later at its next catch-up.
func TestE2EDistroMirrorsNoticeDeliveredDuringUpstreamOutage(t *testing.T) {
	t.Parallel()
	d, front := newOutageSetup(t, true)

	front.setBackends() // the outage: the foundation's public address answers 502 Bad Gateway
	down := time.Now()
	url := d.postHiatus(t)
	if !waitFor(15*time.Second, func() bool { return upstreamNotices(t, d.distro, "unavailable", "delivered") >= 1 }) {
		t.Fatalf("the distro never found the delivered notice unverifiable for now (%v unavailable, %v rejected)",
			upstreamNotices(t, d.distro, "unavailable", "delivered"), upstreamNotices(t, d.distro, "rejected", "delivered"))
	}
	if !waitFor(10*time.Second, func() bool { return retriedAfter503(d.tukaani.log.String()) }) {
		t.Fatalf("the foundation did not schedule its delivery again after a 503:\n%s", d.tukaani.log.String())
	}
	if v := d.view(t); len(v.Notices) != 0 || v.Mirrored != 0 {
		t.Fatalf("with its keys unreachable the distro shows %s, want nothing", v)
	}
	time.Sleep(2 * time.Second) // the outage goes on a little after the delivery failed
	front.setBackends(d.tukaani)
	back := time.Now()
	t.Logf("the foundation was unreachable for %v", back.Sub(down).Round(time.Millisecond))

	if !waitFor(45*time.Second, func() bool { return slices.Contains(d.view(t).Notices, url) }) {
		t.Fatalf("the distro did not mirror %s once the foundation was back: %s", url, d.view(t))
	}
	t.Logf("mirrored %v after the foundation was back, %v after it was published",
		time.Since(back).Round(time.Millisecond), time.Since(down).Round(time.Millisecond))
	d.wantMirroredOnDelivery(t, url)
	if strings.Contains(d.tukaani.log.String(), "delivery given up") {
		t.Errorf("the foundation gave a delivery up:\n%s", d.tukaani.log.String())
	}
}

// retriedAfter503 reports whether an instance's log says a delivery will be retried after a 503.
func retriedAfter503(log string) bool {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "delivery will be retried") && strings.Contains(line, "503") {
			return true
		}
	}
	return false
}

// The distro watches xz before the foundation names its first maintainer: when Lasse, named since,
// posts, the distro reads xz's genesis again before judging the notice, and mirrors it on delivery.
func TestE2EDistroMirrorsFirstMaintainersNoticeOnDelivery(t *testing.T) {
	t.Parallel()
	d, _ := newOutageSetup(t, false)
	d.tukaani.mustCLI("maintainer", "add", "lasse", "--project", "xz")
	url := d.postHiatus(t)
	if !waitFor(15*time.Second, func() bool { return slices.Contains(d.view(t).Notices, url) }) {
		t.Fatalf("the distro did not mirror the first maintainer's notice %s on delivery: %s (%v rejected)", url, d.view(t),
			upstreamNotices(t, d.distro, "rejected", "delivered"))
	}
	d.wantMirroredOnDelivery(t, url)
}
