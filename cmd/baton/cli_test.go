package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// runCLI runs a command line in this process, as main does.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut strings.Builder
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// commandLines lists every command and subcommand.
func commandLines() [][]string {
	lines := [][]string{{"serve"}, {"migrate"}, {"check"}}
	for name, g := range groups {
		lines = append(lines, []string{name})
		for _, s := range g.subs {
			lines = append(lines, []string{name, s.name})
		}
	}
	return lines
}

// Every command and subcommand answers -h and --help with its usage on stdout, and exits 0; each one
// that does something shows examples.
func TestEveryCommandHelps(t *testing.T) {
	for _, line := range commandLines() {
		for _, ask := range []string{"-h", "--help"} {
			args := append(slices.Clone(line), ask)
			code, out, errOut := runCLI(args...)
			if code != 0 || errOut != "" || !strings.Contains(out, "Usage:") && !strings.HasPrefix(out, "baton check") {
				t.Errorf("baton %s: exit %d, stdout %q, stderr %q; want the usage on stdout and exit 0", strings.Join(args, " "), code, out, errOut)
				continue
			}
			if _, isGroup := groups[line[0]]; (!isGroup || len(line) == 2) && !strings.Contains(out, "Examples:") {
				t.Errorf("baton %s shows no examples:\n%s", strings.Join(args, " "), out)
			}
		}
	}
	// baton help COMMAND is COMMAND --help.
	for _, line := range [][]string{{"notice", "post"}, {"relief", "open"}, {"call"}, {"token", "rotate"}} {
		_, viaHelp, _ := runCLI(append([]string{"help"}, line...)...)
		if _, direct, _ := runCLI(append(slices.Clone(line), "--help")...); viaHelp != direct {
			t.Errorf("baton help %[1]s printed\n%[2]s\nwant what %[1]s --help prints:\n%[3]s", strings.Join(line, " "), viaHelp, direct)
		}
	}
	// A group with a purpose its subcommands' names do not say tells it first.
	if _, out, _ := runCLI("relief", "--help"); !strings.HasPrefix(out, "A confidential case") || !strings.Contains(out, "docs/relief.md") {
		t.Errorf("baton relief --help does not say what a case is, or where to read more:\n%s", out)
	}
}

// baton --help lists every subcommand of every command.
func TestUsageListsEveryCommand(t *testing.T) {
	code, out, _ := runCLI("--help")
	if code != 0 {
		t.Fatalf("baton --help: exit %d", code)
	}
	for _, line := range commandLines() {
		if _, isGroup := groups[line[0]]; isGroup && len(line) == 1 {
			continue
		}
		if want := "baton " + strings.Join(line, " "); !strings.Contains(out, want) {
			t.Errorf("baton --help does not list %q:\n%s", want, out)
		}
	}
}

// notice post --help groups its flags by kind of notice.
func TestNoticePostHelpGroupsFlagsByKind(t *testing.T) {
	_, out, _ := runCLI("notice", "post", "--help")
	last := -1
	for _, part := range []string{"Flags (common):", "--project NAME", "--kind KIND", "Flags (handover):", "--to NAMES", "--mode MODE",
		"Flags (signer-change):", "--add-key TYPE:FINGERPRINT[:HOLDER]", "Flags (infra-change):", "--move FIELD=NEW",
		"Flags (call-for-stewards):", "--role ROLE", "--term", "Flags (scrutiny):", "--reason TEXT",
		"Flags (revocation):", "--revokes URLS", "Flags (hiatus, return, retirement):", "--orphaned", "Examples:"} {
		i := strings.Index(out, part)
		if i < 0 || i < last {
			t.Fatalf("notice post --help lacks %q, or shows it out of order:\n%s", part, out)
		}
		last = i
	}
}

// keyFiles writes an RSA private key, and an Ed25519 key pair, and returns their paths.
func keyFiles(t *testing.T) (rsaKey, edPriv, edPub string) {
	t.Helper()
	dir := t.TempDir()
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, edPriv, edPub = filepath.Join(dir, "id_rsa"), filepath.Join(dir, "id_ed25519"), filepath.Join(dir, "id_ed25519.pub")
	for path, key := range map[string]any{rsaKey: r, edPriv: priv} {
		block, err := ssh.MarshalPrivateKey(key, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(edPub, ssh.MarshalAuthorizedKey(sp), 0o644); err != nil {
		t.Fatal(err)
	}
	return rsaKey, edPriv, edPub
}

// closedServer is the URL of a loopback port nothing listens on.
func closedServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// Each mistake exits 1 with a message naming the flag, variable or file to fix.
func TestErrorsNameTheFix(t *testing.T) {
	rsaKey, _, edPub := keyFiles(t)
	down := closedServer(t)
	t.Setenv("BATON_SERVER", down)
	t.Setenv("BATON_TOKEN", "")
	sign := []string{"notice", "post", "--project", "xz", "--kind", "hiatus", "--text", "Away.", "--as", "lasse"}
	tests := []struct {
		args []string
		says []string
	}{
		{nil, []string{"Usage:"}},
		{[]string{"holiday"}, []string{`unknown command "holiday"`, "baton --help"}},
		{[]string{"notice"}, []string{"notice: want 'post', 'endorse', 'verify' or 'status'"}},
		{[]string{"notice", "nope"}, []string{`notice: unknown subcommand "nope" (post, endorse, verify, status`}},
		{[]string{"notice", "post", "--project", "xz", "--text", "Away."}, []string{"--kind is required: one of relief-request, call-for-stewards, hiatus"}},
		{[]string{"notice", "post", "--kind", "hiatus", "--text", "Away."}, []string{"--project is required"}},
		{append(slices.Clone(sign), "--key", rsaKey), []string{"--key " + rsaKey + ": not an Ed25519 key: it is an RSA key", "ssh-keygen -t ed25519", "baton key add lasse"}},
		{append(slices.Clone(sign), "--key", edPub), []string{"--key " + edPub + " is a public key: pass the private key file (" + strings.TrimSuffix(edPub, ".pub") + ")"}},
		{append(slices.Clone(sign), "--key", "/nonexistent/id_ed25519"), []string{"--key: open /nonexistent/id_ed25519"}},
		{[]string{"notice", "post", "--project", "xz", "--kind", "hiatus", "--text", "Away.", "--key", edPub}, []string{"--key and --agent sign as a person: name them with --as NAME"}},
		{[]string{"project", "list"}, []string{"cannot reach " + down + ": connection refused", "is `baton serve` running there?", "BATON_SERVER=" + down}},
		{[]string{"notice", "endorse", down + "/users/xz", "--as", "s1", "--key", edPub}, []string{"is not a notice's URL (…/notices/NUMBER)"}},
		{[]string{"check", "--nope"}, []string{"flag provided but not defined: -nope"}},
		{[]string{"relief"}, []string{"relief: want 'open', 'reply CASE', 'show CASE', 'list', 'share CASE' or 'close CASE'", "baton relief --help"}},
		{[]string{"relief", "open", "--project", "xz", "--as", "lasse", "--key", edPub, "--text", "Tired."}, []string{"--key " + edPub + " is a public key"}},
		{[]string{"call", "nope"}, []string{`call: unknown subcommand "nope" (answer, offers, accept`}},
		{[]string{"token"}, []string{"token: want 'rotate [--data DIR | --redis URL]'"}},
		{[]string{"token", "rotate", "extra"}, []string{`token rotate: unexpected "extra"`}},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(tt.args...)
		if code != 1 {
			t.Errorf("baton %s: exit %d, want 1 (stdout %q, stderr %q)", strings.Join(tt.args, " "), code, out, errOut)
		}
		for _, s := range tt.says {
			if !strings.Contains(errOut, s) {
				t.Errorf("baton %s: stderr %q does not say %q", strings.Join(tt.args, " "), errOut, s)
			}
		}
	}
}

// An endorsement's notice is named by its number, or by its URL on the instance the endorsement goes to.
func TestNoticeNumber(t *testing.T) {
	for _, tt := range []struct{ arg, want string }{
		{"7", "7"},
		{"http://127.0.0.1:8080/notices/7", "7"},
		{"http://127.0.0.1:8080/notices/7/", "7"},
		{"https://notices.example.org/baton/notices/12", "12"},
	} {
		if got, err := noticeNumber(tt.arg); err != nil || got != tt.want {
			t.Errorf("noticeNumber(%q) = %q, %v; want %q", tt.arg, got, err, tt.want)
		}
	}
	for _, arg := range []string{"http://127.0.0.1:8080/users/xz", "http://127.0.0.1:8080/notices/7/endorsements", "http://127.0.0.1:8080/notices/"} {
		if got, err := noticeNumber(arg); err == nil {
			t.Errorf("noticeNumber(%q) = %q, want a refusal", arg, got)
		}
	}
}
