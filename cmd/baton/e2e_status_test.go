package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"baton/internal/testpeer"
	"baton/web"
)

// baton notice status follows a notice's delivery to the end against a running instance: two
// followers on two servers, both delivered, nothing retrying or given up.
func TestE2ENoticeStatus(t *testing.T) {
	t.Parallel()
	in := startBaton(t)
	in.addProject("xz", "XZ Utils")
	for _, name := range []string{"alice", "bob"} {
		in.followProject(testpeer.New(t, testpeer.Mastodon, name), name, "xz")
	}
	url, queued := in.postNotice("xz", "scrutiny", "Review releases with care.", "--until", time.Now().AddDate(0, 3, 0).Format("2006-01-02"))
	if queued != 2 {
		t.Fatalf("queued for %d inboxes, want 2", queued)
	}
	out, errOut, err := in.cliWithin(60*time.Second, "notice", "status", url, "--json", "--interval", "200ms")
	if err != nil {
		t.Fatalf("notice status: %v\n%s%s", err, out, errOut)
	}
	var v web.DeliveryView
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &v); err != nil {
		t.Fatalf("notice status --json printed %q: %v", out, err)
	}
	if v.Delivered < 2 || v.Queued != 0 || v.Failed != 0 {
		t.Errorf("delivery %+v, want both followers' inboxes delivered, nothing left", v)
	}
	if _, errOut, err := in.cliWithin(10*time.Second, "notice", "status", "999", "--once"); err == nil || !strings.Contains(errOut, "not found") {
		t.Errorf("status of an unknown notice: %v %s", err, errOut)
	}
}
