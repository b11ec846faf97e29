package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// noteOf fetches a notice's Note: its content, and the statement it carries.
func (in *instance) noteOf(url string) (content string, statement map[string]any) {
	in.t.Helper()
	status, _, body := in.get(url, "application/activity+json")
	var note struct {
		Content   string         `json:"content"`
		Statement map[string]any `json:"statement"`
	}
	if status != 200 || json.Unmarshal(body, &note) != nil {
		in.t.Fatalf("GET %s: %d %s", url, status, body)
	}
	return note.Content, note.Statement
}

// The admin speaking for a project without maintainers: every field given reaches the Note and the
// state, what the instance may not say is refused saying what to do, and a project whose instance
// spoke for it is adopted by a handover from the instance that the person accepts and stewards endorse.
func TestE2EAdminPath(t *testing.T) {
	t.Parallel()
	in := startBaton(t)
	in.mustCLI("project", "add", "xz", "--display-name", "XZ Utils", "--since", "2019-01-01")
	in.addProject("zlib", "zlib")
	dir := t.TempDir()
	lasse, s1, s2 := sshKey(t, dir, "lasse"), sshKey(t, dir, "s1"), sshKey(t, dir, "s2")
	in.mustCLI("person", "add", "lasse", "--key", lasse+".pub", "--display-name", "Lasse Collin")
	in.mustCLI("steward", "add", "s1", "--key", s1+".pub")
	in.mustCLI("steward", "add", "s2", "--key", s2+".pub")
	refused := func(says string, args ...string) {
		t.Helper()
		out, errOut, err := in.cli(args...)
		if err == nil || !strings.Contains(errOut, says) {
			t.Errorf("baton %s: %v, stdout %q, stderr %q; want a failure saying %q", strings.Join(args, " "), err, out, errOut, says)
		}
	}
	today := time.Now().UTC()

	// Every field reaches the Note, its statement, and the state.
	reason := "the release tarballs differ from the repository"
	scrutiny, _ := in.postNotice("xz", "scrutiny", "Review releases with care.", "--until", today.AddDate(0, 6, 0).Format("2006-01-02"), "--reason", reason)
	if content, st := in.noteOf(scrutiny); !strings.Contains(content, reason) || st["reason"] != reason || st["author"] != in.base+"/users/xz" {
		t.Errorf("the scrutiny notice's Note does not carry its reason: %s\n%v", content, st)
	}
	var state struct {
		State struct {
			Scrutiny struct {
				Reasons []struct{ Why string } `json:"reasons"`
			} `json:"scrutiny"`
		} `json:"state"`
	}
	if _, _, body := in.get("/api/v1/projects/xz/state", "application/json"); json.Unmarshal(body, &state) != nil ||
		len(state.State.Scrutiny.Reasons) != 1 || state.State.Scrutiny.Reasons[0].Why != reason {
		t.Errorf("xz's state does not give the scrutiny's reason: %s", body)
	}
	call, _ := in.postNotice("xz", "call-for-stewards", "We look for a reviewer.", "--role", "release reviewer", "--requirements", "two years of reviews", "--public",
		"--scope", "commit", "--term", "6m")
	if content, st := in.noteOf(call); !strings.Contains(content, "release reviewer") || !strings.Contains(content, "two years of reviews") || st["role"] != "release reviewer" {
		t.Errorf("the call for stewards' Note does not carry its role and requirements: %s\n%v", content, st)
	}

	// What the instance may not say is refused, saying what to do; nothing is dropped unsaid.
	refused("signer-change: only a maintainer can sign this", "notice", "post", "--project", "xz", "--kind", "signer-change",
		"--text", "A new key.", "--add-key", "openpgp:22D465F2B4C173803B20C6DE59FCF207FEA7F445:lasse")
	refused("baton relief open", "notice", "post", "--project", "xz", "--kind", "relief-request", "--text", "Help.")
	refused("from: the project has no maintainer to name", "notice", "post", "--project", "xz", "--kind", "hiatus", "--text", "Away.", "--from", "lasse")
	refused("--until 2020-02-01 is already past (today is "+today.Format("2006-01-02")+")",
		"notice", "post", "--project", "xz", "--kind", "hiatus", "--text", "Away.", "--until", "2020-02-01")
	// With --since too, a past window is on record on purpose, and reads as backdated.
	record, _ := in.postNotice("xz", "hiatus", "Nobody looked after xz in January 2020.", "--since", "2020-01-10", "--until", "2020-02-01")
	if content, _ := in.noteOf(record); !strings.Contains(content, "Backdated: published "+today.Format("2006-01-02")) {
		t.Errorf("a notice of a past window does not say it was backdated: %s", content)
	}

	// zlib's instance spoke for it; maintainer add now offers it to lasse by a handover from the instance.
	in.postNotice("zlib", "hiatus", "Nobody looks after zlib.")
	out, errOut, err := in.cli("maintainer", "add", "lasse", "--project", "zlib")
	adoption := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(adoption, in.base+"/notices/") ||
		!strings.Contains(errOut, "lasse holds nothing until they accept it: baton notice endorse "+adoption+" --as lasse") {
		t.Fatalf("maintainer add after zlib's first notice: %v\n%s%s", err, out, errOut)
	}
	if code, out := in.checkCode("zlib"); code != 3 || !strings.Contains(out, "pending acceptance: Lasse Collin") {
		t.Errorf("check zlib before lasse accepts: exit %d\n%s", code, out)
	}
	if content, st := in.noteOf(adoption); !strings.Contains(content, "Not endorsed") || !strings.Contains(content, "pending acceptance by") || st["author"] != in.base+"/users/zlib" {
		t.Errorf("the adoption's Note: %s\n%v", content, st)
	}
	refused("lasse is offered zlib already by "+adoption, "maintainer", "add", "lasse", "--project", "zlib")

	elsewhere := "https://notices.other.example/notices/" + adoption[strings.LastIndex(adoption, "/")+1:]
	// The same number on another instance is another notice: it is fetched from there, never this one signed.
	refused("notices.other.example", "notice", "endorse", elsewhere, "--as", "lasse", "--key", lasse)
	if code, _ := in.checkCode("zlib"); code != 3 {
		t.Errorf("check zlib after an endorsement of another instance's notice: exit %d, want 3 (still pending)", code)
	}
	in.mustCLI("notice", "endorse", adoption, "--as", "lasse", "--key", lasse)
	in.mustCLI("notice", "endorse", adoption, "--as", "s1", "--key", s1)
	in.mustCLI("notice", "endorse", adoption, "--as", "s2", "--key", s2)
	if code, out := in.checkCode("zlib"); code != 2 || strings.Contains(out, "hiatus") || strings.Contains(out, "no maintainer") {
		t.Errorf("check zlib once adopted and endorsed: exit %d, want 2 (the handover's scrutiny window) and no hiatus\n%s", code, out)
	}
	if out := in.mustCLI("notice", "verify", adoption); !strings.Contains(out, "statement by the project itself") ||
		!strings.Contains(out, "statement signed by "+in.base+"/users/lasse#") || !strings.Contains(out, "policy: met") {
		t.Errorf("notice verify of the adoption:\n%s", out)
	}
	if show := in.mustCLI("person", "show", "lasse"); !strings.Contains(show, "rights in zlib: commit, merge, release-signing") || !strings.Contains(show, "by "+adoption) {
		t.Errorf("person show lasse after the adoption:\n%s", show)
	}
	// lasse now signs zlib's notices, and the instance no longer speaks for it.
	in.mustCLI("notice", "post", "--project", "zlib", "--kind", "return", "--text", "zlib is maintained again.", "--as", "lasse", "--key", lasse)
	refused("the instance speaks for a project only while it has no maintainers", "notice", "post", "--project", "zlib", "--kind", "hiatus", "--text", "Away.")
}

// A distro judges what an upstream's instance said for a project without maintainers, and its adoption,
// by the same rules: the instance's statements need no person's proof, the adoption counts once
// accepted and endorsed, and the new maintainer's own notices are taken from then on.
func TestE2EDistroFollowsAnAdoption(t *testing.T) {
	t.Parallel()
	d := &distroSetup{zlibOrg: startBaton(t), distro: startBaton(t)}
	up := d.zlibOrg
	keys := t.TempDir()
	mark, s1, s2 := sshKey(t, keys, "mark"), sshKey(t, keys, "s1"), sshKey(t, keys, "s2")
	up.addProject("zlib", "zlib")
	up.mustCLI("person", "add", "mark", "--key", mark+".pub", "--display-name", "Mark Adler")
	up.mustCLI("steward", "add", "s1", "--key", s1+".pub")
	up.mustCLI("steward", "add", "s2", "--key", s2+".pub")
	d.distro.mustCLI("watch", "add", "zlib", up.base+"/users/zlib")
	if !waitFor(20*time.Second, func() bool { return d.following() == "accepted" }) {
		t.Fatalf("the distro's follow of zlib: %q", d.following())
	}

	up.postNotice("zlib", "scrutiny", "Review zlib's releases with care.", "--until", time.Now().AddDate(0, 3, 0).Format("2006-01-02"), "--reason", "nobody maintains it")
	if out := d.waitCode(t, "zlib", 2); !strings.Contains(out, "nobody maintains it") {
		t.Errorf("the distro's check of zlib under the instance's scrutiny window:\n%s", out)
	}
	adoption := up.mustCLI("maintainer", "add", "mark", "--project", "zlib")
	if out := d.waitCode(t, "zlib", 3); !strings.Contains(out, "pending acceptance") {
		t.Errorf("the distro's check of zlib before mark accepts:\n%s", out)
	}
	for _, signer := range [][2]string{{"mark", mark}, {"s1", s1}, {"s2", s2}} {
		up.mustCLI("notice", "endorse", adoption, "--as", signer[0], "--key", signer[1])
	}
	out := d.waitCode(t, "zlib", 2)
	if strings.Contains(out, "pending") || strings.Contains(out, "no maintainer") || !strings.Contains(out, "Mark Adler ("+up.base+"/users/mark) holds every right") {
		t.Errorf("the distro's check of zlib once the adoption is accepted and endorsed:\n%s", out)
	}
	// Mark's own notice is taken: he maintains zlib on the distro too.
	hiatus := up.mustCLI("notice", "post", "--project", "zlib", "--kind", "hiatus", "--text", "Away for a month.",
		"--until", time.Now().AddDate(0, 1, 0).Format("2006-01-02"), "--as", "mark", "--key", mark)
	if !waitFor(20*time.Second, func() bool {
		_, out := d.distro.checkCode("zlib")
		return strings.Contains(out, "hiatus: Mark Adler ("+up.base+"/users/mark) since")
	}) {
		_, out := d.distro.checkCode("zlib")
		t.Errorf("the distro did not take mark's hiatus %s:\n%s", hiatus, out)
	}
}
