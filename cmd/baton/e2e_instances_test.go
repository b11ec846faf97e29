package main

import (
	"testing"
	"time"

	"baton/internal/testpeer"
)

// Two instances on loopback, each with its own keys, followed from one Mastodon account: each notice
// arrives signed by its own instance's project actor, and one instance's keys never verify the other's.
func TestE2ETwoInstances(t *testing.T) {
	t.Parallel()
	foundation, distro := startBaton(t), startBaton(t)
	foundation.addProject("xz", "XZ Utils")
	distro.addProject("xz", "XZ Utils")
	peer := testpeer.New(t, testpeer.Mastodon, "alice")

	var projects []*testpeer.RemoteActor
	for _, in := range []*instance{foundation, distro} {
		projects = append(projects, in.followProject(peer, "alice", "xz"))
	}
	if projects[0].KeyID == projects[1].KeyID || projects[0].PublicKey.Equal(projects[1].PublicKey) {
		t.Fatalf("two instances share a project key: %s", projects[0].KeyID)
	}

	for i, in := range []*instance{foundation, distro} {
		url, queued := in.postNotice("xz", "hiatus", hiatusText)
		if queued != 1 {
			t.Errorf("%s queued %d deliveries, want 1", in.base, queued)
		}
		if !testpeer.Wait(15*time.Second, func() bool { return len(creates(peer, url)) == 1 }) {
			noFailures(t, peer)
			t.Fatalf("the notice %s did not arrive", url)
		}
		checkCreate(t, peer, creates(peer, url)[0], projects[i], url)
	}
	noFailures(t, peer)
}
