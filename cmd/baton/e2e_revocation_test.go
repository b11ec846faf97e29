package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"baton/federation"
	"baton/internal/testpeer"
	"baton/notice"
	"baton/store/sqlite"
)

// revFeed is what the revocation test reads of a project's Atom feed.
type revFeed struct {
	Entries []struct {
		ID        string `xml:"id"`
		Published string `xml:"published"`
		Updated   string `xml:"updated"`
		Content   string `xml:"content"`
	} `xml:"entry"`
}

// revFeedEntry reads the published and updated dates of a notice's entry in a project's Atom feed.
func revFeedEntry(t *testing.T, in *instance, project, url string) (published, updated time.Time) {
	t.Helper()
	status, header, body := in.get("/users/"+project+"/feed.atom", "application/atom+xml")
	if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("GET the feed of %s: %d %s\n%s", project, status, header.Get("Content-Type"), body)
	}
	var f revFeed
	if err := xml.Unmarshal(body, &f); err != nil {
		t.Fatalf("the feed of %s is not Atom: %v\n%s", project, err, body)
	}
	for _, e := range f.Entries {
		if e.ID != url {
			continue
		}
		p, errP := time.Parse(time.RFC3339, e.Published)
		u, errU := time.Parse(time.RFC3339, e.Updated)
		if errP != nil || errU != nil {
			t.Fatalf("the feed entry of %s has published %q and updated %q", url, e.Published, e.Updated)
		}
		return p, u
	}
	t.Fatalf("the feed of %s has no entry for %s:\n%s", project, url, body)
	return time.Time{}, time.Time{}
}

// revNote is what the revocation test reads of a Note served as application/activity+json.
type revNote struct {
	ID        string `json:"id"`
	Content   string `json:"content"`
	Published string `json:"published"`
	Updated   string `json:"updated"`
	RevokedBy string `json:"revokedBy"`
}

func revGetNote(t *testing.T, in *instance, url string) revNote {
	t.Helper()
	status, _, body := in.get(url, "application/activity+json")
	var n revNote
	if status != http.StatusOK || json.Unmarshal(body, &n) != nil || n.ID != url {
		t.Fatalf("GET %s as application/activity+json: %d %s", url, status, body)
	}
	return n
}

// revPackageState is what the revocation test reads of a distro's state of a package.
type revPackageState struct {
	Code    int      `json:"code"`
	Reasons []string `json:"reasons"`
	Notices []string `json:"notices"`
	State   struct {
		Revoked []struct {
			Notice string `json:"notice"`
			Kind   string `json:"kind"`
			By     string `json:"by"`
			Reason string `json:"reason"`
		} `json:"revoked"`
	} `json:"state"`
}

func revStateOf(t *testing.T, in *instance, pkg string) (revPackageState, []byte) {
	t.Helper()
	status, _, body := in.get("/api/v1/packages/"+pkg+"/state", "application/json")
	var s revPackageState
	if status != http.StatusOK || json.Unmarshal(body, &s) != nil {
		t.Fatalf("GET the state of %s: %d %s", pkg, status, body)
	}
	return s, body
}

// A maintainer revokes a handover he made: the handover's page, its Note, the Update followers get,
// the Atom feed and `baton check` all say so, the revocation itself waits for stewards like the
// change it undoes and opens its own scrutiny window, and a distro watching the project keeps the
// revoked rendering of its mirrored copy.
func TestE2ERevocationIsLoud(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	up, distro := startBaton(t), startBaton(t)
	up.addProject("xz", "XZ Utils")
	keys := t.TempDir()
	lasse, jia, s1, s2 := sshKey(t, keys, "lasse"), sshKey(t, keys, "jia"), sshKey(t, keys, "s1"), sshKey(t, keys, "s2")
	up.mustCLI("person", "add", "lasse", "--key", lasse+".pub", "--display-name", "Lasse Collin")
	up.mustCLI("maintainer", "add", "lasse", "--project", "xz")
	up.mustCLI("person", "add", "jia", "--key", jia+".pub", "--display-name", "Jia Tan")
	up.mustCLI("steward", "add", "s1", "--key", s1+".pub")
	up.mustCLI("steward", "add", "s2", "--key", s2+".pub")

	peer := testpeer.New(t, testpeer.Mastodon, "packager")
	up.followProject(peer, "packager", "xz")

	// The distro watches the project before anything happens to it.
	distro.mustCLI("watch", "add", "xz-utils", "@xz@"+up.addr, "--purl", "pkg:deb/debian/xz-utils")
	following := func() string {
		_, _, body := distro.get("/api/v1/watches", "application/json")
		var list struct {
			Watches []struct {
				Package   string `json:"package"`
				Following string `json:"following"`
			} `json:"watches"`
		}
		json.Unmarshal(body, &list)
		for _, w := range list.Watches {
			if w.Package == "xz-utils" {
				return w.Following
			}
		}
		return ""
	}
	if !waitFor(20*time.Second, func() bool { return following() == "accepted" }) {
		t.Fatalf("the distro's follow of @xz: %q, want accepted", following())
	}
	mirror, err := sqlite.Open(distro.dir) // WAL lets this reader in beside the distro
	if err != nil {
		t.Fatalf("open the distro's database: %v", err)
	}
	defer mirror.Close()
	mirrored := func(url string) (federation.NoteView, int, bool) {
		m, err := mirror.MirroredNotice(ctx, url)
		if err != nil {
			return federation.NoteView{}, 0, false
		}
		v, err := federation.ParseNote(m.Document)
		if err != nil {
			t.Fatalf("the distro's copy of %s is not a Note: %v\n%s", url, err, m.Document)
		}
		return v, len(m.Proofs), true
	}

	// Lasse hands commit rights to Jia as co-maintainer; Jia accepts.
	handover := up.mustCLI("notice", "post", "--project", "xz", "--kind", "handover", "--as", "lasse", "--key", lasse,
		"--from", "lasse", "--to", "jia", "--mode", "co-maintainer", "--scope", "commit",
		"--text", "Jia Tan joins as co-maintainer.")
	up.mustCLI("notice", "endorse", handover, "--as", "jia", "--key", jia)

	// The distro mirrored the handover with Jia's acceptance, not revoked.
	if !waitFor(20*time.Second, func() bool { _, n, ok := mirrored(handover); return ok && n == 2 }) {
		_, n, ok := mirrored(handover)
		t.Fatalf("the distro's copy of the handover %s: kept %v, with %d proofs; want it kept with Lasse's and Jia's", handover, ok, n)
	}
	if v, _, _ := mirrored(handover); v.RevokedBy != "" {
		t.Fatalf("the distro's copy of the handover is revoked by %s before any revocation", v.RevokedBy)
	}
	// Nothing says "revoked" before the revocation.
	if _, _, page := up.get(handover, "text/html"); strings.Contains(string(page), "REVOKED") {
		t.Fatalf("the handover's page says REVOKED before any revocation:\n%s", page)
	}
	if n := revGetNote(t, up, handover); n.RevokedBy != "" || strings.Contains(n.Content, "REVOKED") {
		t.Fatalf("the handover's Note is revoked before any revocation: revokedBy %q\n%s", n.RevokedBy, n.Content)
	}
	if code, out := up.checkCode("xz"); code != 3 || strings.Contains(out, "revoked:") {
		t.Fatalf("check before the revocation: exit %d, want 3 (the handover lacks stewards), nothing revoked\n%s", code, out)
	}
	_, updatedBefore := revFeedEntry(t, up, "xz", handover)
	// Dates are to the second: let one pass, so the revocation's rendering is seen to be later.
	for !time.Now().After(updatedBefore.Add(time.Second)) {
		time.Sleep(50 * time.Millisecond)
	}

	// Lasse revokes the handover.
	const reason = "The 5.6.0 and 5.6.1 releases carry a backdoor (CVE-2024-3094)."
	revocation := up.mustCLI("notice", "post", "--project", "xz", "--kind", "revocation", "--as", "lasse", "--key", lasse,
		"--revokes", handover, "--reason", reason, "--text", "The handover to Jia Tan is revoked.")
	if !strings.HasPrefix(revocation, up.base+"/notices/") || revocation == handover {
		t.Fatalf("baton notice post printed %q, want the revocation's URL", revocation)
	}
	revNoteDoc := revGetNote(t, up, revocation)
	revPublished, err := time.Parse(time.RFC3339, revNoteDoc.Published)
	if err != nil {
		t.Fatalf("the revocation's published %q: %v", revNoteDoc.Published, err)
	}
	day := revPublished.UTC().Format(notice.Date)
	loudLine := `⚠ REVOKED by <a href="` + up.base + `/users/lasse">Lasse Collin</a> on ` + day + ": " + reason

	// (a) The handover's page says it was revoked, and why.
	status, _, page := up.get(handover, "text/html")
	if status != http.StatusOK || !strings.Contains(string(page), "REVOKED") || !strings.Contains(string(page), reason) {
		t.Errorf("the handover's page (%d) does not say REVOKED with the reason %q:\n%s", status, reason, page)
	}

	// (b) Its Note names the revocation and says so in its content, rendered later than published.
	note := revGetNote(t, up, handover)
	if note.RevokedBy != revocation {
		t.Errorf("the handover's Note has revokedBy %q, want %s", note.RevokedBy, revocation)
	}
	if !strings.Contains(note.Content, "(REVOKED)") || !strings.Contains(note.Content, loudLine) {
		t.Errorf("the handover's Note content does not say (REVOKED) and %q:\n%s", loudLine, note.Content)
	}
	if u, err := time.Parse(time.RFC3339, note.Updated); err != nil || u.Before(revPublished) {
		t.Errorf("the handover's Note is updated %q, want a time no earlier than the revocation (%s)", note.Updated, revNoteDoc.Published)
	}

	// (c) The follower got the Update of the handover, revoked, signed by the project.
	var update testpeer.Delivery
	if !testpeer.Wait(20*time.Second, func() bool {
		for _, d := range peer.ReceivedOfType("Update") {
			if d.ObjectField("id") == handover && d.ObjectField("revokedBy") == revocation {
				update = d
				return true
			}
		}
		return false
	}) {
		noFailures(t, peer)
		var got []string
		for _, d := range peer.ReceivedOfType("Update") {
			got = append(got, d.ObjectField("id")+" revokedBy="+d.ObjectField("revokedBy"))
		}
		t.Errorf("the follower got no Update of %s with revokedBy %s; Updates: %v", handover, revocation, got)
	} else {
		if update.Signer != up.base+"/users/xz" {
			t.Errorf("the Update was signed by %q, want the project", update.Signer)
		}
		if !strings.Contains(string(update.Object), "(REVOKED)") {
			t.Errorf("the Update's Note does not say (REVOKED):\n%s", update.Object)
		}
		if proofs, err := peer.VerifyNote(ctx, update.Object); err != nil || len(proofs) == 0 || proofs[0].Controller != up.base+"/users/xz" {
			t.Errorf("the project's proof on the revoked Note: %+v, %v", proofs, err)
		}
	}

	// (d) The feed's entry for the handover is updated by the revocation.
	published, updated := revFeedEntry(t, up, "xz", handover)
	if !updated.After(published) || !updated.After(updatedBefore) || updated.Before(revPublished) {
		t.Errorf("the feed entry of the handover: published %s, updated %s (before the revocation %s, revocation published %s); want updated by the revocation",
			published.Format(time.RFC3339), updated.Format(time.RFC3339), updatedBefore.Format(time.RFC3339), revPublished.Format(time.RFC3339))
	}

	// (e) check lists the revoked handover; the revocation lacks its stewards (exit 3) until two endorse
	// it, and then its scrutiny window remains (exit 2).
	revokedLine := "revoked: handover " + handover + " by " + revocation + " on " + day + ": " + reason
	code, out := up.checkCode("xz")
	if code != 3 || !strings.Contains(out, revokedLine) || !strings.Contains(out, "unendorsed revocation "+revocation) {
		t.Errorf("check after the revocation: exit %d, want 3 saying %q and that the revocation is unendorsed\n%s", code, revokedLine, out)
	}
	if strings.Contains(out, "unendorsed handover") {
		t.Errorf("check after the revocation still flags the revoked handover as unendorsed\n%s", out)
	}

	// (f) The distro's copy of the handover follows, and its state lists it as revoked.
	if !waitFor(20*time.Second, func() bool { v, _, _ := mirrored(handover); return v.RevokedBy == revocation }) {
		v, n, ok := mirrored(handover)
		t.Errorf("the distro's copy of the handover: kept %v, %d proofs, revokedBy %q, updated %s; want revokedBy %s",
			ok, n, v.RevokedBy, v.Updated.Format(time.RFC3339), revocation)
	} else if v, _, _ := mirrored(handover); !strings.Contains(v.ContentHTML, "(REVOKED)") || v.Updated.Before(revPublished) {
		t.Errorf("the distro's copy of the handover is revoked but reads (updated %s):\n%s", v.Updated.Format(time.RFC3339), v.ContentHTML)
	}
	distroRevoked := func() bool {
		s, _ := revStateOf(t, distro, "xz-utils")
		for _, r := range s.State.Revoked {
			if r.Notice == handover && r.By == revocation && r.Kind == "handover" && r.Reason == reason {
				return true
			}
		}
		return false
	}
	if !waitFor(20*time.Second, distroRevoked) {
		_, body := revStateOf(t, distro, "xz-utils")
		t.Errorf("the distro's state of xz-utils does not list %s as revoked by %s:\n%s", handover, revocation, body)
	}
	if code, out := distro.checkCode("xz-utils"); !strings.Contains(out, revokedLine) || code != 3 {
		t.Errorf("check xz-utils on the distro: exit %d, want 3 saying %q\n%s", code, revokedLine, out)
	}
	if status, _, page := distro.get("/users/xz-utils", "text/html"); status != http.StatusOK || !strings.Contains(string(page), "revoked: handover "+handover+" by "+revocation) {
		t.Errorf("the package page (%d) does not say the handover was revoked:\n%s", status, page)
	}

	// The stewards endorse the revocation: only the scrutiny window it opened remains.
	up.mustCLI("notice", "endorse", revocation, "--as", "s1", "--key", s1)
	if code, out := up.checkCode("xz"); code != 3 {
		t.Errorf("check after one steward endorsed the revocation: exit %d, want 3 (two are needed)\n%s", code, out)
	}
	up.mustCLI("notice", "endorse", revocation, "--as", "s2", "--key", s2)
	code, out = up.checkCode("xz")
	if code != 2 || !strings.Contains(out, "scrutiny: revocation "+revocation) || !strings.Contains(out, revokedLine) {
		t.Errorf("check after two stewards endorsed the revocation: exit %d, want 2 with the revocation's scrutiny window and %q\n%s", code, revokedLine, out)
	}
	if strings.Contains(out, "unendorsed") {
		t.Errorf("check after two stewards endorsed the revocation still flags something unendorsed\n%s", out)
	}
	// The distro follows the endorsements too.
	var distroCode int
	var distroOut string
	if !waitFor(20*time.Second, func() bool { distroCode, distroOut = distro.checkCode("xz-utils"); return distroCode == 2 }) {
		t.Errorf("check xz-utils on the distro after the stewards endorsed the revocation: exit %d, want 2\n%s", distroCode, distroOut)
	}
	// The handover stays revoked after the revocation was endorsed.
	if n := revGetNote(t, up, handover); n.RevokedBy != revocation {
		t.Errorf("after the revocation was endorsed, the handover's Note has revokedBy %q, want %s", n.RevokedBy, revocation)
	}
	noFailures(t, peer)
}
