package main

// The commands of a distro's instance: watch an upstream project's actor for a package, so that the
// instance mirrors the upstream's verified notices under a package actor packagers follow, and
// `baton check PACKAGE` can gate a build. `watch import` adds a distro's whole package list at once.

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"baton/web"
)

// watchRequest is the body of POST /api/v1/watches.
type watchRequest struct {
	Package  string `json:"package"`
	Upstream string `json:"upstream"` // a handle, @name@host or name@host, or an actor URL
	Purl     string `json:"purl,omitempty"`
}

func watchAdd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("watch add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	purl := fs.String("purl", "", "the package's package URL, e.g. pkg:deb/debian/xz-utils")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return fmt.Errorf("watch add: want PACKAGE and the upstream's HANDLE (@name@host) or actor URL, got %d argument(s)", len(rest))
	}
	var v web.WatchView
	err = c.call(http.MethodPost, "/api/v1/watches", watchRequest{Package: rest[0], Upstream: rest[1], Purl: *purl}, &v)
	if statusOf(err) == http.StatusConflict {
		return fmt.Errorf("watch add %s: %w; to watch another upstream, baton watch remove %s first", rest[0], err, rest[0])
	}
	if err != nil {
		return fmt.Errorf("watch add %s: %w", rest[0], err)
	}
	if v.Added != nil && !*v.Added {
		fmt.Fprint(stdout, "already watched: ")
	}
	fmt.Fprintf(stdout, "%s ← %s (%s): following %s; followers can follow @%s\n", v.Package, v.UpstreamHandle, v.Upstream, v.Following, v.Handle)
	return nil
}

// watchListAnswer is the answer to GET /api/v1/watches.
type watchListAnswer struct {
	Watches []web.WatchView `json:"watches"`
}

func watchList(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("watch list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print the instance's answer as JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("watch list: want no arguments, got %d", len(rest))
	}
	var raw json.RawMessage
	if err := c.call(http.MethodGet, "/api/v1/watches", nil, &raw); err != nil {
		return err
	}
	if *asJSON {
		stdout.Write(append(raw, '\n'))
		return nil
	}
	var list watchListAnswer
	if err := json.Unmarshal(raw, &list); err != nil {
		return err
	}
	if len(list.Watches) == 0 {
		fmt.Fprintln(stderr, "no packages are watched: baton watch add PACKAGE HANDLE-OR-ACTOR-URL adds one")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PACKAGE\tUPSTREAM\tFOLLOWING\tNOTICES\tPURL")
	for _, w := range list.Watches {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", w.Package, w.UpstreamHandle, w.Following, w.Notices, cmp.Or(w.Purl, "-"))
	}
	return tw.Flush()
}

func watchRemove(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("watch remove", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	name, err := oneName(fs, args)
	if err != nil {
		return err
	}
	if err := c.call(http.MethodDelete, "/api/v1/watches/"+url.PathEscape(name), nil, nil); err != nil {
		return fmt.Errorf("watch remove %s: %w", name, err)
	}
	fmt.Fprintf(stdout, "%s is no longer watched\n", name)
	return nil
}

// watchImport adds the watches of a file of `PACKAGE UPSTREAM [PURL]` lines, a few at a time. It
// reads the file as it goes, so a list of every package of a distribution costs no more memory than
// its package names (to catch one named twice) and the lines that fail.
func watchImport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("watch import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	workers := fs.Int("concurrency", 8, "how many watches to add at once")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("watch import: want one FILE of PACKAGE UPSTREAM [PURL] lines, or - for standard input")
	}
	if *workers < 1 {
		return fmt.Errorf("watch import: --concurrency %d: want 1 or more", *workers)
	}
	in, total, err := openImport(rest[0])
	if err != nil {
		return fmt.Errorf("watch import: %w", err)
	}
	defer in.Close()
	keepConnections(c, *workers)
	prog := &progress{w: stderr, tty: isTerminal(stderr), total: total}
	sum, readErr := c.importWatches(newImportReader(in), *workers, prog)
	prog.finish()
	sum.print(stdout)
	if readErr != nil {
		return fmt.Errorf("watch import: reading %s: %w", rest[0], readErr)
	}
	if !sum.ok() {
		return fmt.Errorf("watch import: %d line(s) not imported", len(sum.failed)+len(sum.malformed))
	}
	return nil
}

// openImport opens an import file, or standard input for "-", and counts the lines to send when it
// can: a regular file is read twice, the first time for the progress report's total. Standard input
// and pipes cannot be read twice, so their total is 0, unknown.
func openImport(name string) (io.ReadCloser, int, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), 0, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return f, 0, nil
	}
	ir := newImportReader(f)
	total := 0
	for _, ok := ir.next(); ok; _, ok = ir.next() {
		total++
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, total, nil
}

// keepConnections lets every worker keep its connection open: the default transport keeps two per
// host, and an import would otherwise open a new connection for most of its thousands of requests.
func keepConnections(c *apiClient, n int) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = n
	c.http.Transport = t
}

// importLine is one line of an import file: a watch to add, or a problem to report.
type importLine struct {
	n                   int // the line number, from 1
	pkg, upstream, purl string
	problem             string // why the line is not sent; empty when it is
}

// importReader reads an import file a line at a time. It skips blank lines, # comments and a
// header line, and marks the lines it cannot send.
type importReader struct {
	sc     *bufio.Scanner
	n      int
	seen   map[string]int // the line each package was first named on
	header bool           // whether a header may still come: only before the first data line
}

// maxImportLine bounds a line: a package, a URL and a purl fit in far less.
const maxImportLine = 64 << 10

func newImportReader(r io.Reader) *importReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxImportLine)
	return &importReader{sc: sc, seen: map[string]int{}, header: true}
}

// next returns the next line to send or to report as malformed; false at the end of the file or at
// an error reading it (err says which).
func (ir *importReader) next() (importLine, bool) {
	for ir.sc.Scan() {
		ir.n++
		text := strings.TrimSpace(ir.sc.Text())
		if ir.n == 1 {
			text = strings.TrimPrefix(text, "\ufeff") // spreadsheets save CSV with a byte order mark
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields, err := splitImportLine(text)
		if ir.header && err == nil && isImportHeader(fields) {
			ir.header = false
			continue
		}
		ir.header = false
		return ir.line(fields, err), true
	}
	return importLine{}, false
}

func (ir *importReader) err() error {
	if err := ir.sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", ir.n+1, err)
	}
	return nil
}

// line checks a line's fields; the instance checks the names themselves.
func (ir *importReader) line(fields []string, err error) importLine {
	l := importLine{n: ir.n}
	switch {
	case err != nil:
		l.problem = err.Error()
	case len(fields) < 2 || len(fields) > 3:
		l.problem = fmt.Sprintf("want PACKAGE UPSTREAM [PURL], got %d field(s)", len(fields))
	case fields[0] == "" || fields[1] == "":
		l.problem = "want PACKAGE UPSTREAM [PURL], got an empty PACKAGE or UPSTREAM"
	case strings.ContainsAny(fields[0]+fields[1], " \t"):
		l.problem = "a PACKAGE or UPSTREAM has a space in it"
	}
	if l.problem != "" {
		return l
	}
	l.pkg, l.upstream = fields[0], fields[1]
	if len(fields) == 3 {
		l.purl = fields[2]
	}
	// A package named twice would race with itself, and the loser's upstream would be dropped silently.
	if first, ok := ir.seen[l.pkg]; ok {
		l.problem = fmt.Sprintf("%s is already on line %d", l.pkg, first)
	} else {
		ir.seen[l.pkg] = l.n
	}
	return l
}

// splitImportLine splits a line into fields: by commas as CSV (quotes allowed) when commas separate
// them, else by whitespace. A purl may hold commas in its qualifiers, so a line whose first two
// whitespace-separated fields have none is taken as whitespace-separated.
func splitImportLine(text string) ([]string, error) {
	fields := strings.Fields(text)
	if len(fields) >= 2 && !strings.Contains(fields[0]+fields[1], ",") {
		return fields, nil
	}
	if !strings.Contains(text, ",") {
		return fields, nil
	}
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1 // checked by the caller, with a clearer message
	r.TrimLeadingSpace = true
	record, err := r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("not a CSV line: %w", err)
	}
	for i := range record {
		record[i] = strings.TrimSpace(record[i])
	}
	return record, nil
}

// isImportHeader reports whether fields are a header line: package,upstream[,purl].
func isImportHeader(fields []string) bool {
	want := []string{"package", "upstream", "purl"}
	if len(fields) < 2 || len(fields) > 3 {
		return false
	}
	for i, f := range fields {
		if !strings.EqualFold(f, want[i]) {
			return false
		}
	}
	return true
}

// importResult is what became of one line.
type importResult struct {
	line    importLine
	already bool  // the package watched that upstream already
	err     error // the instance's refusal, or why it could not be asked
}

// importWatches sends the lines ir reads with workers requests at a time, and sums up the answers.
// The error is the file's: the summary counts the lines read before it.
func (c *apiClient) importWatches(ir *importReader, workers int, prog *progress) (*importSummary, error) {
	jobs := make(chan importLine)
	results := make(chan importResult, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for l := range jobs {
				req := watchRequest{Package: l.pkg, Upstream: l.upstream, Purl: l.purl}
				var v web.WatchView
				err := c.call(http.MethodPost, "/api/v1/watches", req, &v)
				results <- importResult{line: l, already: err == nil && v.Added != nil && !*v.Added, err: err}
			}
		})
	}
	go func() {
		for l, ok := ir.next(); ok; l, ok = ir.next() {
			if l.problem != "" {
				results <- importResult{line: l}
			} else {
				jobs <- l
			}
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	sum := &importSummary{}
	for r := range results {
		sum.add(r)
		prog.step()
	}
	return sum, ir.err() // results is closed after the reader's last next, so its error is set
}

// importSummary counts what an import did, and keeps the lines it could not import.
type importSummary struct {
	added, already    int
	failed, malformed []importResult
}

// add counts a line. A package that watches the upstream asked for already is not a failure: an
// import run again meets one for every line it added before. A package that watches another upstream
// is (409).
func (s *importSummary) add(r importResult) {
	switch {
	case r.line.problem != "":
		s.malformed = append(s.malformed, r)
	case r.err != nil:
		s.failed = append(s.failed, r)
	case r.already:
		s.already++
	default:
		s.added++
	}
}

func (s *importSummary) ok() bool { return len(s.failed) == 0 && len(s.malformed) == 0 }

// print writes the counts, then each line not imported, in the file's order: the workers answer
// in any order.
func (s *importSummary) print(w io.Writer) {
	byLine := func(a, b importResult) int { return a.line.n - b.line.n }
	slices.SortFunc(s.failed, byLine)
	slices.SortFunc(s.malformed, byLine)
	fmt.Fprintf(w, "%d added, %d already watched, %d failed, %d malformed\n", s.added, s.already, len(s.failed), len(s.malformed))
	if len(s.failed) > 0 {
		fmt.Fprintln(w, "failed:")
		for _, r := range s.failed {
			fmt.Fprintf(w, "  line %d: %s: %v\n", r.line.n, r.line.pkg, r.err)
		}
	}
	if len(s.malformed) > 0 {
		fmt.Fprintln(w, "malformed, not sent:")
		for _, r := range s.malformed {
			fmt.Fprintf(w, "  line %d: %s\n", r.line.n, r.line.problem)
		}
	}
}

// progress shows how far an import has got on stderr: a bar redrawn in place on a terminal, and a
// line at every tenth elsewhere, so that logs stay short.
type progress struct {
	w     io.Writer
	tty   bool
	total int // lines to send or report; 0 when unknown (standard input)
	done  int
	shown int  // the percentage last shown
	drawn bool // whether a bar is on the terminal's last line
}

// unknownTotalStep is how often progress reports when the total is unknown.
const unknownTotalStep = 500

func (p *progress) step() {
	p.done++
	if p.total <= 0 {
		if p.done%unknownTotalStep == 0 {
			p.show(fmt.Sprintf("%d lines done", p.done))
		}
		return
	}
	pct := min(p.done*100/p.total, 100)
	if pct == p.shown || !p.tty && pct/10 == p.shown/10 {
		return
	}
	p.shown = pct
	if p.tty {
		bar := strings.Repeat("#", pct/4) + strings.Repeat(".", 25-pct/4)
		p.show(fmt.Sprintf("[%s] %d/%d %3d%%", bar, p.done, p.total, pct))
	} else {
		p.show(fmt.Sprintf("%d/%d lines done (%d%%)", p.done, p.total, pct))
	}
}

func (p *progress) show(text string) {
	if p.tty {
		fmt.Fprintf(p.w, "\rwatch import: %s", text)
		p.drawn = true
	} else {
		fmt.Fprintf(p.w, "watch import: %s\n", text)
	}
}

// finish ends the bar's line, so the summary starts on its own.
func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

// isTerminal reports whether w is a terminal (a character device), without golang.org/x/term.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
