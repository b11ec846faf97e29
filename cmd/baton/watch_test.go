package main

// Unit tests of the watch and check commands' own logic: the import file's lines, the import's
// summary and check's exit code over several names. The e2e tests run them against real instances.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baton/notice"
	"baton/web"
)

func readAllImport(t *testing.T, file string) []importLine {
	t.Helper()
	ir := newImportReader(strings.NewReader(file))
	var lines []importLine
	for l, ok := ir.next(); ok; l, ok = ir.next() {
		lines = append(lines, l)
	}
	if err := ir.err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestImportLines(t *testing.T) {
	file := "\ufeffpackage,upstream,purl\n" + // a spreadsheet's header, after its byte order mark
		"xz-utils,@xz@notices.tukaani.example,pkg:deb/debian/xz-utils\n" +
		"\n" +
		"# a comment\n" +
		"   # an indented comment\n" +
		"zlib  zlib@zlib.example\n" +
		"openssl\thttps://openssl.example/users/openssl\tpkg:deb/debian/openssl\r\n" +
		"curl, @curl@curl.example , pkg:deb/debian/curl\n" +
		"libfoo,@foo@foo.example,\n" + // an empty purl column
		"q \"pkg:x\" is fine\n" + // four fields
		"lonely\n" +
		"a,b,c,d\n" +
		",@nobody@example\n" +
		"\"unclosed,@x@example\n" +
		"zlib @other@example\n" +
		"two words,@x@example\n" +
		"pkgwithpurl @p@example pkg:generic/p?checksums=sha1:aa,sha256:bb\n" +
		"quoted,@q@example,\"pkg:generic/q?checksums=sha1:aa,sha256:bb\"\n" +
		"package upstream purl\n" // a header after data is data
	want := []importLine{
		{n: 2, pkg: "xz-utils", upstream: "@xz@notices.tukaani.example", purl: "pkg:deb/debian/xz-utils"},
		{n: 6, pkg: "zlib", upstream: "zlib@zlib.example"},
		{n: 7, pkg: "openssl", upstream: "https://openssl.example/users/openssl", purl: "pkg:deb/debian/openssl"},
		{n: 8, pkg: "curl", upstream: "@curl@curl.example", purl: "pkg:deb/debian/curl"},
		{n: 9, pkg: "libfoo", upstream: "@foo@foo.example"},
		{n: 10, problem: "want PACKAGE UPSTREAM [PURL], got 4 field(s)"},
		{n: 11, problem: "want PACKAGE UPSTREAM [PURL], got 1 field(s)"},
		{n: 12, problem: "want PACKAGE UPSTREAM [PURL], got 4 field(s)"},
		{n: 13, problem: "want PACKAGE UPSTREAM [PURL], got an empty PACKAGE or UPSTREAM"},
		{n: 14, problem: "not a CSV line: extraneous or missing \" in quoted-field"},
		{n: 15, problem: "zlib is already on line 6"},
		{n: 16, problem: "a PACKAGE or UPSTREAM has a space in it"},
		{n: 17, pkg: "pkgwithpurl", upstream: "@p@example", purl: "pkg:generic/p?checksums=sha1:aa,sha256:bb"},
		{n: 18, pkg: "quoted", upstream: "@q@example", purl: "pkg:generic/q?checksums=sha1:aa,sha256:bb"},
		{n: 19, pkg: "package", upstream: "upstream", purl: "purl"},
	}
	got := readAllImport(t, file)
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("missing %+v", want[i])
		case i >= len(want):
			t.Errorf("unexpected %+v", got[i])
		case got[i].problem != "" && want[i].problem != "":
			if got[i].n != want[i].n || got[i].problem != want[i].problem {
				t.Errorf("got line %d %q, want line %d %q", got[i].n, got[i].problem, want[i].n, want[i].problem)
			}
		case got[i] != want[i]:
			t.Errorf("got %+v, want %+v", got[i], want[i])
		}
	}
}

func TestImportWhitespaceHeaderAndEmpty(t *testing.T) {
	if got := readAllImport(t, "PACKAGE UPSTREAM\nxz-utils @xz@up.example\n"); len(got) != 1 || got[0].pkg != "xz-utils" || got[0].n != 2 {
		t.Errorf("whitespace header: got %+v", got)
	}
	if got := readAllImport(t, "# nothing\n\n  \n"); len(got) != 0 {
		t.Errorf("comments only: got %+v", got)
	}
}

func TestImportLineTooLong(t *testing.T) {
	ir := newImportReader(strings.NewReader("a b\n" + strings.Repeat("x", maxImportLine+1) + "\n"))
	if _, ok := ir.next(); !ok {
		t.Fatal("the first line was not read")
	}
	if _, ok := ir.next(); ok {
		t.Fatal("a line longer than the limit was read")
	}
	if err := ir.err(); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want one naming line 2", err)
	}
}

func TestImportSummary(t *testing.T) {
	refused := func(status int, msg string) error { return &apiError{status, fmt.Sprintf("%s (%d)", msg, status)} }
	var s importSummary
	for _, r := range []importResult{
		{line: importLine{n: 40, pkg: "late"}, err: refused(http.StatusUnprocessableEntity, "@late@up.example is not a Baton project actor")},
		{line: importLine{n: 3, pkg: "a"}},
		{line: importLine{n: 9, problem: "want PACKAGE UPSTREAM [PURL], got 1 field(s)"}},
		{line: importLine{n: 4, pkg: "b"}, already: true},
		{line: importLine{n: 7, pkg: "early"}, err: errors.New("connection refused")},
		{line: importLine{n: 5, problem: "a is already on line 3"}},
		{line: importLine{n: 6, pkg: "c"}},
	} {
		s.add(r)
	}
	if s.ok() {
		t.Error("a summary with failures is ok")
	}
	var out strings.Builder
	s.print(&out)
	want := `2 added, 1 already watched, 2 failed, 2 malformed
failed:
  line 7: early: connection refused
  line 40: late: @late@up.example is not a Baton project actor (422)
malformed, not sent:
  line 5: a is already on line 3
  line 9: want PACKAGE UPSTREAM [PURL], got 1 field(s)
`
	if out.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", out.String(), want)
	}
	already := importSummary{}
	already.add(importResult{line: importLine{n: 1, pkg: "a"}, already: true})
	if !already.ok() {
		t.Error("a package already watched counts as a failure")
	}
	other := importSummary{}
	other.add(importResult{line: importLine{n: 1, pkg: "a"}, err: refused(http.StatusConflict, "a watches https://elsewhere/users/a already")})
	if other.ok() {
		t.Error("a package that watches another upstream does not count as a failure")
	}
}

func TestImportProgress(t *testing.T) {
	var log strings.Builder
	p := &progress{w: &log, total: 25}
	for range 25 {
		p.step()
	}
	p.finish()
	if n := strings.Count(log.String(), "\n"); n != 10 {
		t.Errorf("%d progress lines for 25 lines, want one a tenth:\n%s", n, log.String())
	}
	var bar strings.Builder
	p = &progress{w: &bar, tty: true, total: 1000}
	for range 1000 {
		p.step()
	}
	p.finish()
	if n := strings.Count(bar.String(), "\r"); n != 100 {
		t.Errorf("the bar was drawn %d times for 1000 lines, want once a percent", n)
	}
	if !strings.HasSuffix(bar.String(), "1000/1000 100%\n") {
		t.Errorf("the bar ends %q", bar.String()[max(0, bar.Len()-40):])
	}
}

// TestImportWatchesConcurrently runs an import against a fake API: the answers are counted as
// their statuses say, and no more requests are in flight than asked.
func TestImportWatchesConcurrently(t *testing.T) {
	var inFlight, most atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		var req watchRequest
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/watches" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		time.Sleep(time.Millisecond)
		switch {
		case strings.HasPrefix(req.Package, "dup"):
			w.WriteHeader(http.StatusOK)
			added := false
			json.NewEncoder(w).Encode(web.WatchView{Package: req.Package, Added: &added})
		case strings.HasPrefix(req.Package, "bad"):
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprintf(w, `{"error":"%s is not a Baton project actor"}`, req.Upstream)
		default:
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(web.WatchView{Package: req.Package})
		}
	}))
	defer srv.Close()
	var file strings.Builder
	file.WriteString("package,upstream,purl\n")
	for i := range 300 {
		name := fmt.Sprintf("p%d", i)
		switch i % 100 {
		case 10:
			name = "dup" + name
		case 20:
			name = "bad" + name
		case 30:
			name += " @extra@field"
		}
		fmt.Fprintf(&file, "%s @%s@up.example\n", name, name)
	}
	c := &apiClient{server: srv.URL, http: &http.Client{Timeout: 10 * time.Second}}
	keepConnections(c, 4)
	var log strings.Builder
	sum, err := c.importWatches(newImportReader(strings.NewReader(file.String())), 4, &progress{w: &log, total: 300})
	if err != nil {
		t.Fatal(err)
	}
	if sum.added != 291 || sum.already != 3 || len(sum.failed) != 3 || len(sum.malformed) != 3 {
		t.Errorf("added %d, already %d, failed %d, malformed %d; want 291, 3, 3, 3", sum.added, sum.already, len(sum.failed), len(sum.malformed))
	}
	if m := most.Load(); m > 4 {
		t.Errorf("%d requests at once, want at most 4", m)
	}
	var out strings.Builder
	sum.print(&out)
	if !strings.Contains(out.String(), "  line 22: badp20: @badp20@up.example is not a Baton project actor (422)\n  line 122:") {
		t.Errorf("failures not in line order:\n%s", out.String())
	}
}

func TestCombineExitCodes(t *testing.T) {
	ok := func(code int) checked { return checked{view: stateAnswer{StateView: web.StateView{Code: code}}} }
	failed := checked{name: "gone", err: errors.New("not found")}
	for _, tc := range []struct {
		name    string
		results []checked
		want    int
	}{
		{"none", nil, notice.ExitNormal},
		{"one normal", []checked{ok(0)}, notice.ExitNormal},
		{"one as the instance says", []checked{ok(4)}, notice.ExitAway},
		{"a code this client does not rank, alone", []checked{ok(7)}, 7},
		{"scrutiny over away", []checked{ok(4), ok(2), ok(0)}, notice.ExitScrutiny},
		{"unannounced key over scrutiny", []checked{ok(2), ok(5), ok(4)}, notice.ExitUnannouncedSigner},
		{"an unannounced key over unendorsed", []checked{ok(5), ok(3), ok(2)}, notice.ExitUnannouncedSigner},
		{"unendorsed over scrutiny", []checked{ok(2), ok(3)}, notice.ExitUnendorsed},
		{"an error over everything", []checked{ok(3), failed, ok(5)}, notice.ExitError},
		{"an error alone", []checked{failed}, notice.ExitError},
	} {
		if got := combineCodes(tc.results); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}
