package main

import (
	"strings"
	"testing"
	"time"
)

// A distro scaled out: two replicas on one Redis read each watched upstream's outbox about once a
// catch-up interval between them, not once each, so a foundation is not read twice as often because
// its follower runs two processes.
func TestE2ERedisDistroReplicasShareCatchUp(t *testing.T) {
	t.Parallel()
	const interval = 2 * time.Second
	foundation := startBaton(t, "--log-level", "debug") // logs every request it serves
	foundation.addProject("xz", "XZ Utils")
	rs := startReplicas(t, startRedis(t, false), 2, "--catch-up-interval", interval.String())
	rs.api.mustCLI("watch", "add", "xz-utils", "@xz@"+foundation.addr)
	if !waitFor(20*time.Second, func() bool { return strings.Contains(rs.api.mustCLI("watch", "list"), "accepted") }) {
		t.Fatalf("the distro's follow of xz was not accepted:\n%s", rs.api.mustCLI("watch", "list"))
	}

	// A catch-up with nothing new reads the outbox collection and its first page: two requests.
	catchUps := func() int { return strings.Count(foundation.log.String(), `"path":"/users/xz/outbox"`) / 2 }
	const window = 8 * interval
	before := catchUps()
	time.Sleep(window)
	n := catchUps() - before
	// Each replica alone would catch up once an interval: 2 × 8 together. Between them they skip an
	// upstream read to the end within the last half interval, so about 8; a loaded machine delays some
	// rounds past that half interval, and rounds straddle the window's edges, so a few more. Sharing
	// is shown by staying well below 16.
	t.Logf("the foundation's outbox was read through %d times in %s by two replicas with --catch-up-interval %s", n, window, interval)
	if n < 5 || n > 12 {
		t.Errorf("the outbox was read through %d times in %s, want about %d (one replica's share), not %d", n, window, window/interval, 2*window/interval)
	}
}
