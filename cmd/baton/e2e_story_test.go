package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/notice"
	"baton/web"
)

// The whole story, as docs/relief.md tells it to a maintainer, on real instances. Instance A is the
// foundation's: project xz, its maintainer Lasse, steward s1; it trusts the stewards of instance B,
// where Jia (who has done nothing anywhere yet) and steward s2 live. A distro D watches xz.
//
// Lasse asks the stewards for relief in confidence, and s1 answers: A holds ciphertext alone. Lasse
// calls for stewards in public; Jia answers from B with a signed offer; s1 reads the offers with Jia's
// track record, and accepts hers; Lasse runs the interim handover it prints, as printed. Jia accepts
// from B, s1 and s2 endorse, D re-verifies every proof and agrees with A; the case closes, led to the
// handover; and the interim ends by itself at its date, on A and on D. `check` answers each step
// with the exit code docs/trust.md gives it.
func TestE2EStory(t *testing.T) {
	t.Parallel()
	b := startBaton(t)                                        // Jia's and s2's instance
	a := startBaton(t, "--trusted-steward-instances", b.addr) // the foundation's
	d := startBaton(t)                                        // a distro
	keys := t.TempDir()
	lasse, s1, jia, s2 := sshKey(t, keys, "lasse"), sshKey(t, keys, "s1"), sshKey(t, keys, "jia"), sshKey(t, keys, "s2")

	a.addProject("xz", "XZ Utils")
	a.mustCLI("person", "add", "lasse", "--key", lasse+".pub", "--display-name", "Lasse Collin")
	a.mustCLI("maintainer", "add", "lasse", "--project", "xz")
	a.mustCLI("person", "add", "s1", "--key", s1+".pub", "--display-name", "Steward One")
	a.mustCLI("steward", "add", "s1")
	b.mustCLI("person", "add", "jia", "--key", jia+".pub", "--display-name", "Jia Tan")
	b.mustCLI("person", "add", "s2", "--key", s2+".pub", "--display-name", "Steward Two")
	b.mustCLI("steward", "add", "s2")
	d.mustCLI("watch", "add", "xz-utils", "@xz@"+a.addr)
	jiaID, jiaHandle := b.base+"/users/jia", "@jia@"+b.addr
	jiaNamed := "Jia Tan (" + jiaID + ")"
	wantCheck(t, a, "xz", 0, "): normal")
	waitCheck(t, d, "xz-utils", 0)

	// Lasse asks for relief in confidence; s1 answers. Nothing public changes, and A keeps no word.
	plea := "I cannot keep up with xz any more, and my health is failing."
	answer := "Thank you for telling us. Shall we call for an interim co-maintainer?"
	caseID := a.mustCLI("relief", "open", "--project", "xz", "--as", "lasse", "--key", lasse, "--text", plea)
	a.mustCLI("relief", "reply", caseID, "--as", "s1", "--key", s1, "--text", answer)
	wantInOrder(t, "relief show as lasse", a.mustCLI("relief", "show", caseID, "--as", "lasse", "--key", lasse),
		"participants: lasse, s1", "— lasse", plea, "— s1", answer)
	wantNoWords(t, a.dir, plea, answer, "health", "co-maintainer")
	wantInSomeFile(t, a.dir, caseID) // the files read are the ones the case is kept in
	wantCheck(t, a, "xz", 0, "): normal")

	// Lasse calls for stewards, in public: the rights wanted and for how long.
	call := a.mustCLI("notice", "post", "--project", "xz", "--kind", "call-for-stewards", "--as", "lasse", "--key", lasse,
		"--role", "co-maintainer", "--scope", "commit,release-signing", "--term", "6m", "--public",
		"--text", "XZ Utils looks for an interim co-maintainer.")
	wantCheck(t, a, "xz", 0, "): normal")
	waitSameState(t, a, d, "") // the distro has the call, and answers as A does

	// Jia answers from her own instance, which delivers her signed offer to xz's.
	out, errOut, err := b.cli("call", "answer", call, "--as", "jia", "--key", jia, "--text", "I know compression code and can help.")
	if err != nil || !strings.Contains(errOut, "offer delivered to "+a.base+"/users/xz") {
		t.Fatalf("Jia answers the call: %v\n%s%s", err, out, errOut)
	}
	offer := strings.TrimSpace(out)

	// s1 reads the offers: Jia has no track record, and that comes first.
	offers := a.mustCLI("call", "offers", call, "--as", "s1", "--key", s1)
	t.Logf("call offers, as s1 reads them:\n%s", offers)
	wantInOrder(t, "call offers", offers, "⚠ "+jiaHandle+": no track record", "call "+call, "1 signed offer(s)",
		"offer "+offer+"\tfrom "+jiaHandle, "record of Jia Tan ("+jiaID+"): Person made ")

	// s1 accepts it: the interim handover Lasse is to post, which he runs as printed, signing with his
	// key where ssh keeps it.
	out, errOut, err = a.cli("call", "accept", offer, "--as", "s1", "--key", s1)
	if err != nil {
		t.Fatalf("call accept: %v\n%s%s", err, out, errOut)
	}
	draft := strings.TrimSpace(out)
	end := time.Now().UTC().AddDate(0, 6, 0).Format(notice.Date)
	if want := "baton notice post --project xz --kind handover --mode interim --as lasse --from lasse --to " + jiaHandle +
		" --scope commit,release-signing --until " + end + " --text "; !strings.HasPrefix(draft, want) {
		t.Fatalf("call accept printed\n%s\nwant it to start %q", draft, want)
	}
	handover := runAsPrinted(t, a, draft, lasse)
	if !strings.HasPrefix(handover, a.base+"/notices/") {
		t.Fatalf("the draft printed %q, want the handover's URL", handover)
	}
	wantCheck(t, a, "xz", 3, "pending acceptance: "+jiaNamed+" has not accepted handover "+handover)
	waitCheck(t, d, "xz-utils", 3, "pending acceptance: "+jiaNamed)

	// Jia accepts from B; s1 endorses on A, s2 (trusted) from B.
	if _, errOut, err := b.cli("notice", "endorse", handover, "--as", "jia", "--key", jia); err != nil || !strings.Contains(errOut, "admitted the proof of "+jiaID) {
		t.Fatalf("Jia's acceptance from B: %v\n%s", err, errOut)
	}
	wantCheck(t, a, "xz", 3, "stewards: 0 of 2")
	a.mustCLI("notice", "endorse", handover, "--as", "s1", "--key", s1)
	wantCheck(t, a, "xz", 3, "stewards: 1 of 2")
	b.mustCLI("notice", "endorse", handover, "--as", "s2", "--key", s2)
	wantCheck(t, a, "xz", 2, "scrutiny: handover "+handover)
	wantHolds(t, a, jiaID, "commit", "release-signing")
	// Followers read Jia by her name on xz's profile, though she lives on another instance.
	if _, _, profile := a.get(a.base+"/users/xz", "application/activity+json"); !bytes.Contains(profile, []byte("Lasse Collin, Jia Tan")) {
		t.Errorf("xz's profile does not name its maintainers Lasse Collin and Jia Tan:\n%s", profile)
	}

	// The distro verified every proof against its signer's actor, and answers as A does.
	_, _, statement := a.get(handover, "application/activity+json")
	for _, who := range []string{a.base + "/users/lasse", jiaID, a.base + "/users/s1", b.base + "/users/s2"} {
		if !bytes.Contains(statement, []byte(`"`+who+"#")) {
			t.Errorf("the handover carries no proof by %s", who)
		}
	}
	waitSameState(t, a, d, "")

	// The case has done its work: it closes, led to the handover.
	wantInOrder(t, "relief close", a.mustCLI("relief", "close", caseID, "--as", "s1", "--key", s1, "--led-to", handover), "closed ", "by s1", "led to: "+handover)
	wantInOrder(t, "relief show after closing", a.mustCLI("relief", "show", caseID, "--as", "lasse", "--key", lasse), "led to: "+handover, plea, answer)
	wantCheck(t, a, "xz", 2, "scrutiny: handover "+handover)

	// The interim ends by itself at its date, as known then, on A and on D; the day before, Jia holds.
	ended := "interim rights of " + jiaNamed + " ended on " + end + " (commit, release-signing, from " + handover + "): at the end the handover gave"
	holds := "maintainer " + jiaNamed + " holds commit, release-signing"
	endTime, _ := time.Parse(notice.Date, end)
	dayBefore := endTime.AddDate(0, 0, -1).Format(notice.Date)
	for _, at := range []struct {
		in   *instance
		name string
	}{{a, "xz"}, {d, "xz-utils"}} {
		if out := wantCheck(t, at.in, at.name, 2, ended, "--at", end); strings.Contains(out, holds) {
			t.Errorf("check %s --at %s: Jia still holds rights:\n%s", at.name, end, out)
		}
		if out := wantCheck(t, at.in, at.name, 2, holds, "--at", dayBefore); strings.Contains(out, "interim rights of") {
			t.Errorf("check %s --at %s, the day before the end, says the interim ended:\n%s", at.name, dayBefore, out)
		}
	}
	sameState(t, a, d, end)
}

// runAsPrinted runs a command line a server printed, with the shell, as its reader would paste it:
// baton on the PATH, their instance in BATON_SERVER, no admin token, and their key where ssh keeps it.
// It returns what the command printed.
func runAsPrinted(t *testing.T, in *instance, line, keyFile string) string {
	t.Helper()
	home := t.TempDir()
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "id_ed25519"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", line)
	cmd.Env = env("BATON_SERVER="+in.base, "HOME="+home, "PATH="+filepath.Dir(batonBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("the command as printed:\n%s\nfailed: %v\n%s%s", line, err, out.String(), errOut.String())
	}
	return strings.TrimSpace(out.String())
}

// stateAPI is the exit code and reasons of a project's state (or a package's) at a date ("" today).
func stateAPI(t *testing.T, in *instance, path, at string) (int, []string) {
	t.Helper()
	if at != "" {
		path += "?at=" + at
	}
	status, _, body := in.get(path, "application/json")
	var v web.StateView
	if err := json.Unmarshal(body, &v); status != 200 || err != nil {
		t.Fatalf("GET %s: %d %v\n%s", path, status, err, body)
	}
	return v.Code, v.Reasons
}

// sameState wants the distro's answer for xz-utils to be the project's instance's for xz, at a date.
func sameState(t *testing.T, a, d *instance, at string) {
	t.Helper()
	code, reasons := stateAPI(t, a, "/api/v1/projects/xz/state", at)
	dCode, dReasons := stateAPI(t, d, "/api/v1/packages/xz-utils/state", at)
	if code != dCode || strings.Join(reasons, "\n") != strings.Join(dReasons, "\n") {
		t.Errorf("at %q the distro answers %d:\n%s\nthe project's instance %d:\n%s", at, dCode, strings.Join(dReasons, "\n"), code, strings.Join(reasons, "\n"))
	}
}

// waitSameState waits until the distro has every proof the project's instance has, and so answers as
// it does.
func waitSameState(t *testing.T, a, d *instance, at string) {
	t.Helper()
	code, reasons := stateAPI(t, a, "/api/v1/projects/xz/state", at)
	if !waitFor(20*time.Second, func() bool {
		dCode, dReasons := stateAPI(t, d, "/api/v1/packages/xz-utils/state", at)
		return dCode == code && strings.Join(dReasons, "\n") == strings.Join(reasons, "\n")
	}) {
		sameState(t, a, d, at)
		t.FailNow()
	}
}

// wantInSomeFile wants s in one of the files in dir.
func wantInSomeFile(t *testing.T, dir, s string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil && bytes.Contains(data, []byte(s)) {
			return
		}
	}
	t.Errorf("no file in %s holds %q", dir, s)
}
