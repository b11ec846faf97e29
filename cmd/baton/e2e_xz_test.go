package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The xz-utils timeline (testdata/xz-timeline.md) replayed through the command line by an auditor's
// foundation that takes the project on today with its history: the record starts 2021-10-01, Lasse
// Collin is its first maintainer with his release-signing key, and every later change is posted today,
// dated when it happened, signed by the people who made it, with no steward endorsing. Knowing what we
// know today (--hindsight), each release day is judged; as known then, there was no record at all.
func TestE2EXZReplay(t *testing.T) {
	t.Parallel()
	in := startBaton(t)
	keys := t.TempDir()
	lasse, jia, s1, s2 := sshKey(t, keys, "lasse"), sshKey(t, keys, "jia"), sshKey(t, keys, "steward1"), sshKey(t, keys, "steward2")
	in.mustCLI("person", "add", "lasse", "--key", lasse+".pub", "--display-name", "Lasse Collin")
	in.mustCLI("person", "add", "jia", "--key", jia+".pub", "--display-name", "Jia Tan")
	in.mustCLI("steward", "add", "steward1", "--key", s1+".pub")
	in.mustCLI("steward", "add", "steward2", "--key", s2+".pub")
	in.mustCLI("project", "add", "xz", "--display-name", "XZ Utils", "--since", "2021-10-01",
		"--signing-key", "openpgp:3690C240CE51B4670D30AD1C38EE757D69184620:lasse")

	post := func(as, key string, args ...string) string {
		t.Helper()
		return in.mustCLI(append([]string{"notice", "post", "--project", "xz", "--as", as, "--key", key}, args...)...)
	}
	endorse := func(url, as, key string) {
		t.Helper()
		in.mustCLI("notice", "endorse", url, "--as", as, "--key", key)
	}
	const relief = "Long-term mental health issues limit what I can do."
	// Lasse Collin's plea for help (2022-06-08) goes to the stewards as a confidential case, today.
	in.mustCLI("relief", "open", "--project", "xz", "--as", "lasse", "--key", lasse, "--text", relief)
	post("lasse", lasse, "--kind", "call-for-stewards", "--since", "2022-06-21", "--role", "co-maintainer", "--public",
		"--scope", "commit,merge", "--term", "6m", "--text", "XZ Utils looks for a trusted co-maintainer.")
	post("lasse", lasse, "--kind", "hiatus", "--since", "2022-06-21", "--text", "My capacity is limited for now.")
	post("lasse", lasse, "--kind", "infra-change", "--since", "2022-11-30",
		"--move", "security-contact=lasse.collin@tukaani.org->xz@tukaani.org", "--text", "Lasse Collin and Jia Tan can be reached at xz@tukaani.org.")
	handover := post("lasse", lasse, "--kind", "handover", "--since", "2022-12-30", "--from", "lasse", "--to", "jia",
		"--mode", "co-maintainer", "--scope", "commit", "--text", "Jia Tan joins as co-maintainer with commit rights.")
	endorse(handover, "jia", jia) // Jia Tan accepts
	signer := post("jia", jia, "--kind", "signer-change", "--since", "2023-03-18",
		"--add-key", "openpgp:22D465F2B4C173803B20C6DE59FCF207FEA7F445:jia", "--text", "Releases from 5.4.2 on are signed with Jia Tan's key.")
	endorse(signer, "lasse", lasse) // Lasse Collin holds release signing: his consent
	fuzz := post("jia", jia, "--kind", "infra-change", "--since", "2023-03-20",
		"--move", "fuzzing-contact=lasse.collin@tukaani.org->jiat0218@gmail.com", "--text", "The oss-fuzz contact is now Jia Tan.")
	endorse(fuzz, "lasse", lasse)
	site := post("jia", jia, "--kind", "infra-change", "--since", "2024-01-19",
		"--move", "website=https://tukaani.org/xz/->https://xz.tukaani.org/", "--text", "The website moves to GitHub Pages.")
	endorse(site, "lasse", lasse)
	post("lasse", lasse, "--kind", "revocation", "--since", "2024-03-29", "--revokes", handover+","+signer,
		"--reason", "Jia Tan's 5.6.0 and 5.6.1 carry a backdoor (CVE-2024-3094).", "--text", "The handover to Jia Tan and his key are revoked.")

	const jiaKey = "22D465F2B4C173803B20C6DE59FCF207FEA7F445"
	for _, tt := range []struct {
		date string
		args []string
		code int
		says string
	}{
		{"2021-09-30", nil, 6, "NO RECORD"},
		{"2022-06-01", nil, 0, "normal"},
		{"2022-12-31", nil, 3, "unendorsed handover " + handover},
		{"2023-03-17", []string{"--signer", jiaKey}, 5, "never announced"},
		{"2023-03-19", []string{"--signer", jiaKey}, 3, "not endorsed as the policy asks; later revoked"},
		{"2024-02-24", nil, 3, "later revoked: handover " + handover}, // 5.6.0
		{"2024-03-09", nil, 3, "in a scrutiny window"},                // 5.6.1
		{"2024-03-30", nil, 3, "under a revoked handover"},
	} {
		code, out := in.checkCode("xz", append([]string{"--at", tt.date, "--hindsight"}, tt.args...)...)
		if code != tt.code || !strings.Contains(out, tt.says) {
			t.Errorf("check xz --at %s --hindsight %v: exit %d, want %d saying %q\n%s", tt.date, tt.args, code, tt.code, tt.says, out)
		}
		if code, out := in.checkCode("xz", append([]string{"--at", tt.date}, tt.args...)...); code != 6 {
			t.Errorf("check xz --at %s as known: exit %d, want 6 (the instance took the project on today)\n%s", tt.date, code, out)
		}
	}
	// As known today: every change opened its window when it was posted, today, and says it was dated back.
	if code, out := in.checkCode("xz"); code != 3 || !strings.Contains(out, "backdated: published") || !strings.Contains(out, "maintainer Lasse Collin ("+in.base+"/users/lasse) holds every right") {
		t.Errorf("check xz now: exit %d, want 3, backdated changes and the holders of each right\n%s", code, out)
	}
	// Lasse Collin's key, declared when the project was added, is the project's.
	if code, out := in.checkCode("xz", "--signer", "3690C240CE51B4670D30AD1C38EE757D69184620"); !strings.Contains(out, "one of the project's first release-signing keys") || code == 5 {
		t.Errorf("check --signer on Lasse Collin's key: exit %d\n%s", code, out)
	}
	for _, fp := range []string{"0x3690C240CE51B467", "38EE757D69184620", "nothex"} {
		if code, out := in.checkCode("xz", "--signer", fp); code != 1 {
			t.Errorf("check --signer %s: exit %d, want 1 (a malformed fingerprint)\n%s", fp, code, out)
		}
	}
	// The relief case is on no public page, feed or outbox.
	for _, path := range []string{"/users/xz", "/users/xz/feed.atom", "/users/xz/outbox?page=1", "/api/v1/projects/xz/state"} {
		for _, accept := range []string{"text/html", "application/activity+json"} {
			if _, _, body := in.get(in.base+path, accept); strings.Contains(string(body), relief) || strings.Contains(string(body), "relief-request") || strings.Contains(string(body), "/relief/") {
				t.Errorf("%s (%s) shows the relief case", path, accept)
			}
		}
	}
}

// check --json is one JSON document on stdout, of one shape for one name or many, errors included;
// --watched on an instance that watches nothing fails (exit 1); an instance that is down is an error
// in JSON too.
func TestCheckJSONForCI(t *testing.T) {
	t.Parallel()
	in := startBaton(t)
	in.addProject("xz", "XZ Utils")
	type doc struct {
		Code    int               `json:"code"`
		Error   string            `json:"error"`
		Results []json.RawMessage `json:"results"`
	}
	for _, tc := range []struct {
		args    []string
		code    int
		results int
		error   string
	}{
		{[]string{"check", "xz", "--json"}, 4, 1, ""}, // no maintainer yet: 4
		{[]string{"check", "xz", "nosuch", "--json"}, 1, 2, ""},
		{[]string{"check", "nosuch", "--json"}, 1, 1, ""},
		{[]string{"check", "--watched", "--json"}, 1, 0, "watches no packages"},
		{[]string{"check", "xz", "--json", "--server", "http://127.0.0.1:1"}, 1, 1, ""},
	} {
		out, _, _ := in.cli(tc.args...)
		var d doc
		if err := json.Unmarshal([]byte(out), &d); err != nil || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("baton %v printed %q: not one JSON document (%v)", tc.args, out, err)
			continue
		}
		if d.Code != tc.code || len(d.Results) != tc.results || !strings.Contains(d.Error, tc.error) {
			t.Errorf("baton %v: %+v, want code %d, %d results, error %q", tc.args, d, tc.code, tc.results, tc.error)
		}
	}
	if code, out := in.checkCode("--watched"); code != 1 {
		t.Errorf("check --watched with nothing watched: exit %d\n%s", code, out)
	}
}
