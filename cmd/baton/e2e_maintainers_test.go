package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/internal/testpeer"
)

// sshKey makes an OpenSSH Ed25519 key pair with ssh-keygen and returns the private key's path.
func sshKey(t *testing.T, dir, name string) string {
	t.Helper()
	requireTool(t, "ssh-keygen", "openssh-client")
	path := filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name+"@example.org", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	return path
}

// runAgent runs an ssh-agent holding the given keys and returns its socket: give it to the client
// commands that sign with --agent as SSH_AUTH_SOCK, in instance.cliEnv.
func runAgent(t *testing.T, keys ...string) string {
	t.Helper()
	requireTool(t, "ssh-agent", "openssh-client")
	requireTool(t, "ssh-add", "openssh-client")
	dir, err := os.MkdirTemp("", "agent") // a socket path must be short
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatalf("ssh-agent: %v", err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait(); os.RemoveAll(dir) })
	if !waitFor(10*time.Second, func() bool { _, err := os.Stat(sock); return err == nil }) {
		t.Fatal("ssh-agent did not start")
	}
	for _, k := range keys {
		add := exec.Command("ssh-add", k)
		add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("ssh-add %s: %v\n%s", k, err, out)
		}
	}
	return sock
}

// mustCLI runs a client command and fails the test if it fails.
func (in *instance) mustCLI(args ...string) string {
	in.t.Helper()
	out, errOut, err := in.cli(args...)
	if err != nil {
		in.t.Fatalf("baton %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return strings.TrimSpace(out)
}

// checkCode runs `baton check` and returns its exit code and output.
func (in *instance) checkCode(project string, extra ...string) (int, string) {
	in.t.Helper()
	out, errOut, err := in.cli(append([]string{"check", project}, extra...)...)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out
	case errors.As(err, &exit):
		return exit.ExitCode(), out + errOut
	}
	in.t.Fatalf("baton check: %v", err)
	return -1, ""
}

// The README's walk-through: maintainers register with their SSH keys, sign a hiatus and a handover on
// their own machines (a key file, and the ssh-agent), the handover is marked unendorsed until two
// stewards endorse it, and `baton check` changes its answer. A follower verifies every proof itself.
func TestE2EMaintainersSignAndStewardsEndorse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := startBaton(t)
	in.addProject("xz", "XZ Utils")
	keys := t.TempDir()
	lasse, jia, s1, s2 := sshKey(t, keys, "lasse"), sshKey(t, keys, "jia"), sshKey(t, keys, "steward1"), sshKey(t, keys, "steward2")
	in.cliEnv = append(in.cliEnv, "SSH_AUTH_SOCK="+runAgent(t, jia)) // Jia signs with the agent; the others with key files

	in.mustCLI("person", "add", "lasse", "--key", lasse+".pub", "--display-name", "Lasse Collin")
	in.mustCLI("maintainer", "add", "lasse", "--project", "xz")
	in.mustCLI("person", "add", "jia", "--key", jia+".pub", "--display-name", "Jia Tan")
	in.mustCLI("steward", "add", "steward1", "--key", s1+".pub")
	in.mustCLI("steward", "add", "steward2", "--key", s2+".pub")

	peer := testpeer.New(t, testpeer.Mastodon, "packager")
	in.followProject(peer, "packager", "xz")
	if code, out := in.checkCode("xz"); code != 0 {
		t.Fatalf("check before any notice: exit %d\n%s", code, out)
	}

	// A hiatus, signed with Lasse's key file.
	hiatusURL := in.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", lasse,
		"--text", "I am stepping back for a few months.", "--until", "2099-03-01")
	if code, out := in.checkCode("xz"); code != 4 {
		t.Fatalf("check during the hiatus: exit %d, want 4\n%s", code, out)
	}

	// A handover by Lasse; Jia accepts with the agent; no steward yet: unendorsed.
	handoverURL := in.mustCLI("notice", "post", "--project", "xz", "--kind", "handover", "--as", "lasse", "--key", lasse,
		"--from", "lasse", "--to", "jia", "--mode", "co-maintainer", "--scope", "commit",
		"--text", "Jia Tan joins as co-maintainer.")
	// The project was created within the same second as the notices: its first maintainers count all
	// the same, so after Jia's acceptance only the stewards are missing.
	if _, errOut, err := in.cli("notice", "endorse", handoverURL, "--as", "jia", "--agent"); err != nil ||
		!strings.Contains(errOut, "still missing: stewards: 0 of 2") {
		t.Fatalf("Jia's acceptance: %v\n%s", err, errOut)
	}
	if code, out := in.checkCode("xz"); code != 3 || !strings.Contains(out, "UNENDORSED") {
		t.Fatalf("check after an unendorsed handover: exit %d, want 3\n%s", code, out)
	}
	if _, _, body := in.get(handoverURL, "application/activity+json"); !strings.Contains(string(body), "Not endorsed by any steward") {
		t.Fatalf("the handover Note does not say it is unendorsed:\n%s", body)
	}

	// Two stewards endorse it: the change is endorsed, the scrutiny window stays (exit 3 → 2).
	in.mustCLI("notice", "endorse", handoverURL, "--as", "steward1", "--key", s1)
	if code, _ := in.checkCode("xz"); code != 3 {
		t.Fatalf("after one endorsement: exit %d, want 3 (two are needed for a single maintainer)", code)
	}
	in.mustCLI("notice", "endorse", handoverURL, "--as", "steward2", "--key", s2)
	if code, out := in.checkCode("xz"); code != 2 {
		t.Fatalf("after two endorsements: exit %d, want 2\n%s", code, out)
	}
	if _, _, actor := in.get("/users/xz", "application/activity+json"); !strings.Contains(string(actor), `"name":"Maintainers","type":"PropertyValue","value":"Lasse Collin, Jia Tan"`) ||
		!strings.Contains(string(actor), "scrutiny until") {
		t.Errorf("the project's profile does not show its maintainers and scrutiny window:\n%s", actor)
	}
	// Before the project was added there is no record of it: never "normal".
	if code, out := in.checkCode("xz", "--at", "2020-01-01"); code != 6 || !strings.Contains(out, "NO RECORD") {
		t.Fatalf("check --at 2020-01-01: exit %d, want 6\n%s", code, out)
	}

	// The follower got both notices and the Update of the endorsed handover, and verifies every
	// proof on its own: the project's on the Note, the people's on the statement inside it.
	if !testpeer.Wait(20*time.Second, func() bool {
		for _, d := range peer.ReceivedOfType("Update") {
			if d.ObjectField("id") == handoverURL && strings.Contains(string(d.Object), `"endorsed":true`) {
				return true
			}
		}
		return false
	}) {
		noFailures(t, peer)
		t.Fatal("no Update of the endorsed handover arrived")
	}
	for _, url := range []string{hiatusURL, handoverURL} {
		if len(creates(peer, url)) == 0 {
			t.Errorf("the notice %s did not arrive", url)
		}
	}
	var updated []byte
	for _, d := range peer.ReceivedOfType("Update") {
		if d.ObjectField("id") == handoverURL {
			updated = d.Object
		}
	}
	if _, err := peer.VerifyNote(ctx, updated); err != nil {
		t.Fatalf("the project's proof on the Note: %v", err)
	}
	var note struct {
		Statement json.RawMessage `json:"statement"`
	}
	json.Unmarshal(updated, &note)
	proofs, err := peer.VerifyNote(ctx, note.Statement)
	if err != nil {
		t.Fatalf("the statement's proofs: %v", err)
	}
	signers := map[string]bool{}
	for _, p := range proofs {
		signers[p.Controller] = true
	}
	for _, who := range []string{"lasse", "jia", "steward1", "steward2"} {
		if !signers[in.base+"/users/"+who] {
			t.Errorf("no verified proof by %s on the statement (signers: %v)", who, signers)
		}
	}
	noFailures(t, peer)

	// Anyone can check the handover's proofs from its URL alone.
	out := in.mustCLI("notice", "verify", handoverURL)
	for _, want := range []string{"Note signed by " + in.base + "/users/xz#ed25519-key", "statement signed by " + in.base + "/users/lasse#",
		"statement signed by " + in.base + "/users/steward2#", "policy: met"} {
		if !strings.Contains(out, want) {
			t.Errorf("baton notice verify says:\n%s\nwant %q", out, want)
		}
	}

	// A relief request is no longer a notice (its words would sit in plain text on the instance): the
	// client points to a relief case, and signs nothing. Stewards still read the notices meant for
	// them with a query signed by their key, and a maintainer cannot.
	if out, errOut, err := in.cli("notice", "post", "--project", "xz", "--kind", "relief-request", "--as", "lasse", "--key", lasse,
		"--text", "I cannot keep up with reviews alone."); err == nil || !strings.Contains(errOut, "baton relief open") {
		t.Errorf("notice post --kind relief-request: %v\n%s%s\nwant a refusal pointing to baton relief open", err, out, errOut)
	}
	in.mustCLI("steward", "notices", "--as", "steward1", "--key", s1)
	if out, errOut, err := in.cli("steward", "notices", "--as", "lasse", "--key", lasse); err == nil {
		t.Errorf("a maintainer read the stewards' notices:\n%s", out)
	} else if !strings.Contains(errOut, "not a steward") {
		t.Errorf("refusal says %q, want 'not a steward'", errOut)
	}
	in.waitQueueEmpty(20 * time.Second)
	for _, d := range peer.Received() {
		if strings.Contains(string(d.Body), "keep up with reviews") {
			t.Errorf("the follower received the relief request: %s", d.Body)
		}
	}
}
