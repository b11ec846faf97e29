package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// On a distro, check and the package page name the upstream's people by the names their actors give,
// the actor id after the name in text and behind a link on the page: "Lasse Collin
// (https://…/users/lasse)", never the bare id.
func TestE2EDistroNamesRemotePeople(t *testing.T) {
	t.Parallel()
	d := newDistroSetup(t)
	up := d.tukaani
	lasse, jia := up.base+"/users/lasse", up.base+"/users/jia"

	up.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", d.lasse,
		"--text", "Stepping back for a while.", "--until", "2099-03-01")
	out := d.waitCode(t, "xz-utils", 4)
	for _, want := range []string{"hiatus: Lasse Collin (" + lasse + ") since", "maintainer Lasse Collin (" + lasse + ") holds"} {
		if !strings.Contains(out, want) {
			t.Errorf("check xz-utils does not say %q:\n%s", want, out)
		}
	}

	// A handover Jia has not accepted yet: the reason and the pending line name him.
	up.mustCLI("notice", "post", "--project", "xz", "--kind", "handover", "--as", "lasse", "--key", d.lasse,
		"--from", "lasse", "--to", "jia", "--mode", "co-maintainer", "--scope", "commit", "--text", "Jia Tan joins.")
	out = d.waitCode(t, "xz-utils", 3)
	for _, want := range []string{"pending acceptance: Jia Tan (" + jia + ") has not accepted", "pending acceptance: Jia Tan (" + jia + ") (commit"} {
		if !strings.Contains(out, want) {
			t.Errorf("check xz-utils does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(strings.ReplaceAll(out, "("+lasse+")", ""), lasse) || strings.Contains(strings.ReplaceAll(out, "("+jia+")", ""), jia) {
		t.Errorf("check xz-utils names someone by their bare id:\n%s", out)
	}

	// The state API carries the names beside the ids.
	_, _, body := d.distro.get("/api/v1/packages/xz-utils/state", "application/json")
	var v struct{ Names map[string]string }
	if err := json.Unmarshal(body, &v); err != nil || v.Names[lasse] != "Lasse Collin" || v.Names[jia] != "Jia Tan" {
		t.Errorf("the package state's names: %q (%v), want Lasse Collin and Jia Tan by their ids", v.Names, err)
	}

	// The page links each name to the person's actor.
	_, _, page := d.distro.get("/users/xz-utils", "text/html")
	for _, want := range []string{`hiatus: <a href="` + lasse + `" rel="nofollow noopener">Lasse Collin</a> since`,
		`pending acceptance: <a href="` + jia + `" rel="nofollow noopener">Jia Tan</a> has not accepted`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the package page does not show %q", want)
		}
	}
}
