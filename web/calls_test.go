package web

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"baton/notice"
)

// The handover drafted for an accepted offer is a command a POSIX shell runs with the words it was
// given, whatever they hold; a call older than --scope and --term drafts what to fill in.
func TestDraftCommand(t *testing.T) {
	text := `Jia's "help" costs $HOME and $(rm -rf x); ` + "`id`" + ` \n ok`
	got := draftCommand("xz", "lasse", "lasse", "@jia@b.example", []notice.Right{notice.RightCommit, notice.RightReleaseSigning},
		time.Date(2027, 6, 3, 0, 0, 0, 0, time.UTC), text)
	want := "baton notice post --project xz --kind handover --mode interim --as lasse --from lasse --to @jia@b.example --scope commit,release-signing --until 2027-06-03 --text "
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, " --key ~/.ssh/id_ed25519") {
		t.Fatalf("draft:\n%s\nwant it to start %q and sign with ~/.ssh/id_ed25519", got, want)
	}
	// The shell gives baton the text as it was, in one word, and the key's path expanded.
	sh := exec.Command("sh", "-c", `baton() { for a; do printf '%s\n' "$a"; done; }; `+got)
	sh.Env = []string{"HOME=/home/lasse", "PATH=/usr/bin:/bin"}
	out, err := sh.Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	if !strings.Contains(string(out), "\n--text\n"+text+"\n--key\n/home/lasse/.ssh/id_ed25519\n") {
		t.Errorf("the shell split the draft into:\n%s\nwant the text %q whole, and the key's path expanded", out, text)
	}

	old := draftCommand("xz", "lasse", "lasse", "@jia@b.example", nil, time.Time{}, "Jia steps in.")
	if !strings.Contains(old, " --scope RIGHTS --until YYYY-MM-DD ") {
		t.Errorf("the draft for a call without scope or term:\n%s\nwant it to say what to fill in", old)
	}
}
