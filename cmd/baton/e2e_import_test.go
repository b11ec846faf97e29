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

// A distro imports a watch list against two foundation instances: packages map to six upstream
// projects (several packages to one upstream, as a distro splits a project into libraries and tools),
// some upstreams do not exist, some lines are malformed. Each upstream is followed once, though the
// import's eight workers ask for its first packages at the same time; the summary says what resolved
// and what did not, naming each line that failed; progress reaches 100%; importing again changes
// nothing. How fast a distribution's whole list goes is BenchmarkImportWatchList's question.
func TestE2EImportWatchList(t *testing.T) {
	t.Parallel()
	foundations, upstreams := importFoundations(t)
	distro := startBaton(t)
	list := writeWatchList(t, upstreams, foundations[0], 100, 6, 3)
	resolved := list.resolved()

	out, errOut, err := distro.cliWithin(10*time.Minute, "watch", "import", list.file)
	want := fmt.Sprintf("%d added, 0 already watched, %d failed, %d malformed", resolved, list.unknown, list.malformed)
	if err == nil || !strings.Contains(out, want) {
		t.Fatalf("watch import: %v (want a failure exit), summary:\n%s\nwant %q", err, out, want)
	}
	for _, says := range []string{
		fmt.Sprintf("line %d: gone-00: ", list.firstUnknownLine()), "nonesuch-00",
		fmt.Sprintf("line %d: gone-%02d: ", list.firstUnknownLine()+list.unknown-1, list.unknown-1),
		fmt.Sprintf("line %d: want PACKAGE UPSTREAM [PURL], got 1 field(s)", list.firstUnknownLine()+list.unknown),
	} {
		if !strings.Contains(out, says) {
			t.Errorf("the summary does not name %q:\n%s", says, out)
		}
	}
	if !strings.Contains(errOut, "100%") {
		t.Errorf("no progress on stderr:\n%s", errOut)
	}

	// Every resolved package is watched; every upstream is followed once, by the instance actor.
	_, _, body := distro.get("/api/v1/watches", "application/json")
	var watches struct {
		Watches []struct{ Package, Upstream, Purl string } `json:"watches"`
	}
	if err := json.Unmarshal(body, &watches); err != nil || len(watches.Watches) != resolved {
		t.Fatalf("watch list has %d entries (%v), want %d", len(watches.Watches), err, resolved)
	}
	up := 7 % len(upstreams)
	if w := watches.Watches[7]; w.Package != "pkg-0007" || w.Purl != "pkg:deb/debian/pkg-0007" ||
		!strings.HasSuffix(w.Upstream, fmt.Sprintf("/users/proj%d-%02d", up/importProjects, up%importProjects)) {
		t.Errorf("pkg-0007 is watched as %+v, want the upstream %s", w, upstreams[up])
	}
	for f, in := range foundations {
		for i := range importProjects {
			name := fmt.Sprintf("proj%d-%02d", f, i)
			if !waitFor(30*time.Second, func() bool { return in.followers(name) == 1 }) {
				t.Fatalf("%s has %d followers, want the distro's instance actor once", name, in.followers(name))
			}
		}
	}

	// Importing the same list again adds nothing.
	out, _, _ = distro.cliWithin(10*time.Minute, "watch", "import", list.file)
	if want := fmt.Sprintf("0 added, %d already watched, %d failed", resolved, list.unknown); !strings.Contains(out, want) {
		t.Fatalf("second import:\n%s\nwant %q", out, want)
	}
}

// BenchmarkImportWatchList measures `baton watch import` of a distribution-sized list, 5,000 lines on
// six upstreams, into a fresh distro instance each time: lines/s, end to end through the client, the
// API and the store. Run it with
// go test ./cmd/baton -run XXX -bench ImportWatchList -benchtime 3x
func BenchmarkImportWatchList(b *testing.B) {
	foundations, upstreams := importFoundations(b)
	list := writeWatchList(b, upstreams, foundations[0], 5000, 50, 10)
	want := fmt.Sprintf("%d added, 0 already watched, %d failed, %d malformed", list.resolved(), list.unknown, list.malformed)
	var spent time.Duration
	for range b.N {
		b.StopTimer()
		distro := startBaton(b)
		b.StartTimer()
		start := time.Now()
		out, _, _ := distro.cliWithin(10*time.Minute, "watch", "import", list.file)
		spent += time.Since(start)
		b.StopTimer()
		if !strings.Contains(out, want) {
			b.Fatalf("watch import:\n%s\nwant %q", out, want)
		}
		distro.kill()
		b.StartTimer()
	}
	b.ReportMetric(float64(list.lines*b.N)/spent.Seconds(), "lines/s")
}

// importProjects is how many projects each of the two foundations of an import test has: fewer
// upstreams than the import has workers, so that some ask for one upstream's first packages at once.
const importProjects = 3

// importFoundations starts two foundation instances with importProjects projects each, proj0-00 …
// proj1-02, and returns them with the projects' upstream names for a watch list: every other one a
// handle, the rest actor URLs.
func importFoundations(t testing.TB) ([]*instance, []string) {
	t.Helper()
	foundations := []*instance{startBaton(t), startBaton(t)}
	var upstreams []string
	for f, in := range foundations {
		for i := range importProjects {
			name := fmt.Sprintf("proj%d-%02d", f, i)
			in.addProject(name, name)
			if i%2 == 0 {
				upstreams = append(upstreams, "@"+name+"@"+in.addr) // a handle
			} else {
				upstreams = append(upstreams, in.base+"/users/"+name) // an actor URL
			}
		}
	}
	return foundations, upstreams
}

// importList is a watch list file: a header, a comment and a blank line, then the packages of the
// upstreams in turn (pkg-0000 …, as CSV with a purl), then unknown packages (gone-00 …) of upstreams
// the foundation does not have, then malformed lines (lonely-0 …) that name no upstream.
type importList struct {
	file                      string
	lines, unknown, malformed int
}

func writeWatchList(t testing.TB, upstreams []string, foundation *instance, lines, unknown, malformed int) importList {
	t.Helper()
	l := importList{file: filepath.Join(t.TempDir(), "watch-list.csv"), lines: lines, unknown: unknown, malformed: malformed}
	var b strings.Builder
	b.WriteString("package,upstream,purl\n# the distro's watch list\n\n")
	for i := range l.resolved() {
		fmt.Fprintf(&b, "pkg-%04d,%s,pkg:deb/debian/pkg-%04d\n", i, upstreams[i%len(upstreams)], i)
	}
	for i := range unknown {
		fmt.Fprintf(&b, "gone-%02d @nonesuch-%02d@%s\n", i, i, foundation.addr)
	}
	for i := range malformed {
		fmt.Fprintf(&b, "lonely-%d\n", i) // a package without an upstream
	}
	if err := os.WriteFile(l.file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return l
}

// resolved is how many of the list's packages name an upstream that exists.
func (l importList) resolved() int { return l.lines - l.unknown - l.malformed }

// firstUnknownLine is the line number of gone-00: after the three lines before the packages.
func (l importList) firstUnknownLine() int { return 4 + l.resolved() }
