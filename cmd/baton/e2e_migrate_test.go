package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/internal/testpeer"
)

// An instance moved from SQLite into Redis and back keeps everything: its keys (followers see the same
// actor), notices and their ids, followers, the admin token, and a delivery that was waiting for its
// retry, which arrives from the new store.
func TestE2EMigrate(t *testing.T) {
	t.Parallel()
	redisURL := startRedis(t, false).URL(0)

	in := startBaton(t)
	in.addProject("xz", "XZ Utils")
	peer := testpeer.New(t, testpeer.Mastodon, "alice")
	project := in.followProject(peer, "alice", "xz")
	url1, _ := in.postNotice("xz", "hiatus", hiatusText)
	if !testpeer.Wait(15*time.Second, func() bool { return len(creates(peer, url1)) == 1 }) {
		t.Fatal("the first notice was not delivered")
	}
	_, _, before := in.get(url1, "application/activity+json")

	// The second notice's first delivery fails: it waits for its retry when the instance stops.
	peer.FailNext(1, 503)
	url2, _ := in.postNotice("xz", "return", "Lasse Collin is back.")
	if !testpeer.Wait(15*time.Second, func() bool { return len(peer.Refused()) == 1 }) {
		t.Fatal("the second notice's delivery was not tried")
	}
	in.stop()

	// Into Redis: not while the store named is not a Baton database, not into an instance.
	mustFailMigrate(t, "no Baton database", "--from", "sqlite:"+t.TempDir(), "--to", redisURL)
	out := mustMigrate(t, "--from", "sqlite:"+in.dir, "--to", redisURL)
	for _, want := range []string{"1 actors", "1 follows", "2 notices", " deliveries queued or given up"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("migrate printed %q, want %q in it", out, want)
		}
	}
	// The second notice, waiting for its retry; and the profile Update of the two status changes,
	// unless its time (5 s after the first) came before the instance stopped.
	if moved := strings.Join(strings.Fields(out), " "); !strings.Contains(moved, " 1 deliveries queued") && !strings.Contains(moved, " 2 deliveries queued") {
		t.Errorf("migrate printed %q, want 1 or 2 deliveries queued", out)
	}
	mustFailMigrate(t, "holds an instance already", "--from", "sqlite:"+in.dir, "--to", redisURL)

	in.flags = []string{"--redis", redisURL}
	in.start()
	checkMoved(t, in, peer, project, url1, before)
	if !testpeer.Wait(60*time.Second, func() bool { return len(creates(peer, url2)) == 1 }) {
		t.Fatal("the delivery waiting for its retry was not made from Redis")
	}
	url3, queued := in.postNotice("xz", "scrutiny", "Releases get a second look.", "--until", "2027-06-01")
	if queued != 1 || url3 != in.base+"/notices/3" {
		t.Errorf("a notice posted on Redis: %s queued for %d, want %s/notices/3 queued for 1", url3, queued, in.base)
	}
	if !testpeer.Wait(15*time.Second, func() bool { return len(creates(peer, url3)) == 1 }) {
		t.Fatal("a notice posted on Redis was not delivered")
	}
	in.stop()

	// And back into a new SQLite database.
	back := filepath.Join(t.TempDir(), "back")
	mustMigrate(t, "--from", redisURL, "--to", "sqlite:"+back)
	in.flags = []string{"--data", back}
	in.start()
	checkMoved(t, in, peer, project, url1, before)
	if url4, _ := in.postNotice("xz", "return", "Normal service."); url4 != in.base+"/notices/4" {
		t.Errorf("a notice posted after moving back is %s, want %s/notices/4", url4, in.base)
	}
	noFailures(t, peer)
}

// checkMoved checks what a follower sees of a moved instance: the same follower count, the same actor
// key, the first notice byte for byte.
func checkMoved(t *testing.T, in *instance, peer *testpeer.Peer, project *testpeer.RemoteActor, url1 string, before []byte) {
	t.Helper()
	if got := in.followers("xz"); got != 1 {
		t.Errorf("followers after the move = %d, want 1", got)
	}
	again, err := peer.Lookup(context.Background(), "@xz@"+in.addr)
	if err != nil {
		t.Fatal(err)
	}
	if !again.PublicKey.Equal(project.PublicKey) {
		t.Error("the project's RSA key changed in the move (Mastodon would refollow)")
	}
	if _, _, after := in.get(url1, "application/activity+json"); !bytes.Equal(before, after) {
		t.Errorf("the first notice changed in the move:\n%s\n%s", before, after)
	}
}

func runMigrate(args ...string) (string, error) {
	cmd := exec.Command(batonBin, append([]string{"migrate"}, args...)...)
	cmd.Env = env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustMigrate(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runMigrate(args...)
	if err != nil {
		t.Fatalf("baton migrate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func mustFailMigrate(t *testing.T, want string, args ...string) {
	t.Helper()
	out, err := runMigrate(args...)
	if err == nil || !strings.Contains(out, want) {
		t.Errorf("baton migrate %s: %v, %q; want a failure saying %q", strings.Join(args, " "), err, out, want)
	}
}
