package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A distro imports a watch list of 5,000 lines against two foundation instances: packages map to 40
// upstream projects (several packages to one upstream, as a distro splits a project into libraries
// and tools), some upstreams do not exist, some lines are malformed. Each upstream is followed once;
// the summary says what resolved and what did not; importing again changes nothing.
func TestE2EImportWatchList(t *testing.T) {
	t.Parallel()
	foundations := []*instance{startBaton(t), startBaton(t)}
	distro := startBaton(t)
	var upstreams []string
	for f, in := range foundations {
		for i := range 20 {
			name := fmt.Sprintf("proj%d-%02d", f, i)
			in.addProject(name, name)
			if i%2 == 0 {
				upstreams = append(upstreams, "@"+name+"@"+in.addr) // a handle
			} else {
				upstreams = append(upstreams, in.base+"/users/"+name) // an actor URL
			}
		}
	}

	const lines, unknown, malformed = 5000, 50, 10
	var b strings.Builder
	b.WriteString("package,upstream,purl\n# the distro's watch list\n\n")
	for i := range lines - unknown - malformed {
		up := upstreams[i%len(upstreams)]
		fmt.Fprintf(&b, "pkg-%04d,%s,pkg:deb/debian/pkg-%04d\n", i, up, i)
	}
	for i := range unknown {
		fmt.Fprintf(&b, "gone-%02d @nonesuch-%02d@%s\n", i, i, foundations[0].addr)
	}
	for i := range malformed {
		fmt.Fprintf(&b, "lonely-%d\n", i) // a package without an upstream
	}
	file := filepath.Join(t.TempDir(), "watch-list.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	out, errOut, err := distro.cliWithin(10*time.Minute, "watch", "import", file)
	elapsed := time.Since(start)
	t.Logf("imported %d lines in %s (%.0f lines/s)", lines, elapsed.Round(time.Millisecond), float64(lines)/elapsed.Seconds())
	want := fmt.Sprintf("%d added, 0 already watched, %d failed, %d malformed", lines-unknown-malformed, unknown, malformed)
	if err == nil || !strings.Contains(out, want) {
		t.Fatalf("watch import: %v (want a failure exit), summary:\n%s\nwant %q", err, out, want)
	}
	for _, says := range []string{"line 4944: gone-00: ", "nonesuch-00", "line 4994: "} {
		if !strings.Contains(out, says) {
			t.Errorf("the summary does not name %q:\n%s", says, out)
		}
	}
	if !strings.Contains(errOut, "100%") {
		t.Errorf("no progress on stderr:\n%s", errOut)
	}

	// Every resolved package is watched; every upstream is followed once, by the instance actor.
	_, _, body := distro.get("/api/v1/watches", "application/json")
	var list struct {
		Watches []struct{ Package, Upstream, Purl string } `json:"watches"`
	}
	if err := json.Unmarshal(body, &list); err != nil || len(list.Watches) != lines-unknown-malformed {
		t.Fatalf("watch list has %d entries (%v), want %d", len(list.Watches), err, lines-unknown-malformed)
	}
	if w := list.Watches[7]; w.Package != "pkg-0007" || w.Purl != "pkg:deb/debian/pkg-0007" || !strings.HasSuffix(w.Upstream, "/users/proj0-07") {
		t.Errorf("pkg-0007 is watched as %+v", w)
	}
	for f, in := range foundations {
		for i := range 20 {
			name := fmt.Sprintf("proj%d-%02d", f, i)
			if !waitFor(30*time.Second, func() bool { return in.followers(name) == 1 }) {
				t.Fatalf("%s has %d followers, want the distro's instance actor once", name, in.followers(name))
			}
		}
	}

	// Importing the same list again adds nothing.
	out, _, _ = distro.cliWithin(10*time.Minute, "watch", "import", file)
	if want := fmt.Sprintf("0 added, %d already watched, %d failed", lines-unknown-malformed, unknown); !strings.Contains(out, want) {
		t.Fatalf("second import:\n%s\nwant %q", out, want)
	}
}
