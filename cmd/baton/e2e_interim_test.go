package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// An interim handover across instances, as docs/trust.md tells it. The project's instance (xz, with
// Lasse its maintainer and one steward) trusts the stewards of a second instance, where Jia, who takes
// over for a while, and a steward live; a distro re-verifies every proof against the signers' own
// actors. Lasse signs the handover; Jia accepts on her own instance; a steward of each instance
// endorses; a steward of an instance not trusted is refused. The interim ends by itself at its date
// (seen with check --at), and Lasse's return ends it early.
func TestE2EInterimAcrossInstances(t *testing.T) {
	t.Parallel()
	elsewhere := startBaton(t)                                           // B: Jia and a steward
	home := startBaton(t, "--trusted-steward-instances", elsewhere.addr) // A: the project
	distro := startBaton(t)                                              // C: a distro, and a steward nobody trusts
	keys := t.TempDir()
	lasse, s1, jia, s2, mallory := sshKey(t, keys, "lasse"), sshKey(t, keys, "s1"), sshKey(t, keys, "jia"), sshKey(t, keys, "s2"), sshKey(t, keys, "mallory")

	home.addProject("xz", "XZ Utils")
	home.mustCLI("person", "add", "lasse", "--key", lasse+".pub", "--display-name", "Lasse Collin")
	home.mustCLI("maintainer", "add", "lasse", "--project", "xz")
	home.mustCLI("steward", "add", "s1", "--key", s1+".pub")
	elsewhere.mustCLI("person", "add", "jia", "--key", jia+".pub", "--display-name", "Jia Tan")
	elsewhere.mustCLI("steward", "add", "s2", "--key", s2+".pub")
	distro.mustCLI("steward", "add", "mallory", "--key", mallory+".pub")
	distro.mustCLI("watch", "add", "xz-utils", "@xz@"+home.addr)
	if !waitFor(20*time.Second, func() bool {
		_, _, b := distro.get("/api/v1/watches", "application/json")
		return strings.Contains(string(b), `"accepted"`)
	}) {
		t.Fatal("the distro's follow of xz was not accepted")
	}
	jiaID, s2ID := elsewhere.base+"/users/jia", elsewhere.base+"/users/s2"
	jiaNamed := "Jia Tan (" + jiaID + ")" // as check names her, from her actor on her instance

	today := time.Now().UTC()
	end := today.AddDate(0, 0, 14).Format("2006-01-02")
	home.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", lasse,
		"--text", "Stepping back for two weeks.", "--until", end)
	wantCheck(t, home, "xz", 4, "hiatus: ")

	// Lasse hands commit and release signing to Jia, named by her handle on her own instance.
	handover := home.mustCLI("notice", "post", "--project", "xz", "--kind", "handover", "--as", "lasse", "--key", lasse,
		"--from", "lasse", "--to", "@jia@"+elsewhere.addr, "--mode", "interim", "--scope", "commit,release-signing", "--until", end,
		"--text", "Jia looks after releases while I am away.")
	wantCheck(t, home, "xz", 3, "pending acceptance: "+jiaNamed+" has not accepted handover "+handover)

	// Jia accepts on her instance, with the key her actor there lists.
	if _, errOut, err := elsewhere.cli("notice", "endorse", handover, "--as", "jia", "--key", jia); err != nil || !strings.Contains(errOut, "admitted the proof of "+jiaID) {
		t.Fatalf("Jia's acceptance from her instance: %v\n%s", err, errOut)
	}
	out := wantCheck(t, home, "xz", 3, "stewards: 0 of 2")
	if strings.Contains(out, "pending acceptance") {
		t.Fatalf("after Jia's acceptance, check still says it is pending:\n%s", out)
	}
	wantHolds(t, home, jiaID, "commit", "release-signing")

	// The project's own steward endorses.
	home.mustCLI("notice", "endorse", handover, "--as", "s1", "--key", s1)
	wantCheck(t, home, "xz", 3, "stewards: 1 of 2")

	// A steward of an instance the project's does not trust is refused, and told why.
	if _, errOut, err := distro.cli("notice", "endorse", handover, "--as", "mallory", "--key", mallory); err == nil ||
		!strings.Contains(errOut, "is a steward of "+distro.addr+", whose stewards this instance does not trust") {
		t.Fatalf("an untrusted instance's steward: %v\n%s", err, errOut)
	}
	wantCheck(t, home, "xz", 3, "stewards: 1 of 2")

	// The trusted instance's steward endorses from there: the handover is endorsed, the window opens.
	elsewhere.mustCLI("notice", "endorse", handover, "--as", "s2", "--key", s2)
	out = wantCheck(t, home, "xz", 2, "scrutiny: handover "+handover)
	if strings.Contains(out, "UNENDORSED") {
		t.Fatalf("after both stewards, check still says unendorsed:\n%s", out)
	}
	if _, _, actor := home.get("/users/xz", "application/activity+json"); !strings.Contains(string(actor), `"id":"`+s2ID+`"`) {
		t.Errorf("the project's actor does not list the trusted instance's steward among its stewards:\n%s", actor)
	}

	// The distro verified every proof against each signer's own actor, and counts the remote steward.
	waitCheck(t, distro, "xz-utils", 2)
	_, _, statement := home.get(handover, "application/activity+json")
	for _, who := range []string{jiaID, s2ID, home.base + "/users/s1", home.base + "/users/lasse"} {
		if !strings.Contains(string(statement), who+"#") {
			t.Errorf("the handover's statement carries no proof by %s", who)
		}
	}

	// At its date the interim ends by itself, as known then: on the project's instance and the distro's.
	line := "interim rights of " + jiaNamed + " ended on " + end + " (commit, release-signing, from " + handover + "): at the end the handover gave"
	holds := "maintainer " + jiaNamed + " holds commit, release-signing"
	for _, at := range []struct {
		in   *instance
		name string
	}{{home, "xz"}, {distro, "xz-utils"}} {
		if out := wantCheck(t, at.in, at.name, 2, line, "--at", end); strings.Contains(out, holds) || strings.Contains(out, "hiatus: ") {
			t.Fatalf("check %s --at %s: Jia still holds rights, or Lasse is still away:\n%s", at.name, end, out)
		}
		if out := wantCheck(t, at.in, at.name, 2, holds, "--at", today.AddDate(0, 0, 13).Format("2006-01-02")); strings.Contains(out, "interim rights of") {
			t.Fatalf("check %s the day before the end says the interim ended:\n%s", at.name, out)
		}
	}

	// Lasse returns early: the interim ends today, the hiatus with it, and the return opens its window.
	back := home.mustCLI("notice", "post", "--project", "xz", "--kind", "return", "--as", "lasse", "--key", lasse, "--text", "I am back.")
	early := "interim rights of " + jiaNamed + " ended on " + today.Format("2006-01-02") + " (commit, release-signing, from " + handover + "): early, by the return " + back
	out = wantCheck(t, home, "xz", 2, early)
	if strings.Contains(out, "hiatus: ") || !strings.Contains(out, "scrutiny: return "+back) {
		t.Fatalf("after the return, check lists the hiatus, or not the return's window:\n%s", out)
	}
	wantHolds(t, home, jiaID)
	if _, _, actor := home.get("/users/xz", "application/activity+json"); !strings.Contains(string(actor), "interim rights ended on "+today.Format("2006-01-02")) {
		t.Errorf("the project's profile does not say the interim ended today:\n%s", actor)
	}
	if _, _, page := home.get("/users/xz", "text/html"); !strings.Contains(string(page), "early, by the return") {
		t.Errorf("the project's page does not say the interim ended early")
	}
	waitCheck(t, distro, "xz-utils", 2, early)
}

// wantCheck runs `baton check` and fails unless it exits with code and says every part.
func wantCheck(t *testing.T, in *instance, name string, code int, part string, extra ...string) string {
	t.Helper()
	got, out := in.checkCode(name, extra...)
	if got != code || !strings.Contains(out, part) {
		t.Fatalf("baton check %s %s: exit %d, want %d saying %q\n%s", name, strings.Join(extra, " "), got, code, part, out)
	}
	return out
}

// waitCheck waits until `baton check` exits with code, saying every part.
func waitCheck(t *testing.T, in *instance, name string, code int, parts ...string) {
	t.Helper()
	var got int
	var out string
	if !waitFor(20*time.Second, func() bool {
		got, out = in.checkCode(name)
		for _, p := range parts {
			if !strings.Contains(out, p) {
				return false
			}
		}
		return got == code
	}) {
		t.Fatalf("baton check %s: exit %d, want %d saying %q\n%s", name, got, code, parts, out)
	}
}

// wantHolds checks the rights person holds in xz, as the state API says.
func wantHolds(t *testing.T, in *instance, person string, rights ...string) {
	t.Helper()
	_, _, body := in.get("/api/v1/projects/xz/state", "application/json")
	var v struct {
		State struct {
			Maintainers []struct {
				Person string `json:"person"`
				Rights []struct {
					Right string `json:"right"`
				} `json:"rights"`
			} `json:"maintainers"`
		} `json:"state"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("state: %v\n%s", err, body)
	}
	var held []string
	for _, m := range v.State.Maintainers {
		if m.Person == person {
			for _, r := range m.Rights {
				held = append(held, r.Right)
			}
		}
	}
	if strings.Join(held, ",") != strings.Join(rights, ",") {
		t.Fatalf("%s holds %v in xz, want %v", person, held, rights)
	}
}
