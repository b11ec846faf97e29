package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"baton/notice"
	"baton/web"
)

// checkUsage documents the exit codes pipelines gate on.
const checkUsage = `baton check NAME... [--at DATE [--hindsight]] [--json] [--server URL]
baton check NAME --signer FINGERPRINT [--at DATE [--hindsight]] [--json] [--server URL]
baton check --watched [--at DATE [--hindsight]] [--json] [--server URL]

Prints how each NAME stands, now or at the end of DATE. A NAME is a package the instance watches (a
distro's instance judges it by its upstream's mirrored notices), or else a project the instance hosts
(a foundation's). --watched checks every package the instance watches. --signer also asks whether
FINGERPRINT (OpenPGP hex, 40 or 64 digits, or SSH SHA256:…) is a release-signing key the project
announced and still holds. --server URL (env BATON_SERVER) is the instance to ask.

Two clocks. By default the answer is as known at DATE: only what was published by then counts, and
a change of rights opens its window when it was published, even if it says it took effect earlier
(such a notice is marked backdated). With --hindsight the answer is the auditor's: everything
published up to now counts, revocations included, at the dates notices took effect ("knowing what we
know today, was release day DATE inside a window, under a key later revoked?").

Exits with:
  0  normal
  1  a check failed (unknown name, malformed fingerprint, instance unreachable); with several names,
     1 wins over the rest
  2  in a scrutiny window: review new commits and releases with extra care
  3  a change of rights (handover, signer change, infrastructure move, revocation) is not endorsed as
     the policy asks, waits for someone's acceptance or consent, or was made under revoked rights
     (with --signer, this includes the change that announced the key)
  4  a maintainer is on hiatus, the project is orphaned, or no maintainer is named yet
  5  with --signer: the key was never announced, or was removed or revoked since: do not take
     releases signed with it as the project's
  6  no record of the project at that date: the instance had not taken it on yet (as known), or the
     date is before its recorded history starts (--hindsight). Never read it as normal.
When several apply, to one name or over several, 5 wins, then 6, 3, 2 and 4.

With --json, stdout is one JSON document, whatever happens: {"results":[...],"code":N}, each result
a state or {"name":…,"code":1,"error":…}, or {"code":1,"error":…} when nothing could be checked.
--watched on an instance that watches nothing exits 1.
`

const checkExamples = `
Examples:
  baton check xz-utils; echo $?
  baton check xz-utils zlib openssl --json
  baton check --watched
  baton check xz-utils --signer 22D465F2B4C173803B20C6DE59FCF207FEA7F445
  baton check xz-utils --at 2024-02-24 --hindsight
`

// checkConcurrency is how many names are checked at once: --watched may name thousands.
const checkConcurrency = 8

// checkCommand asks the instance how names stand and returns the exit code to end with.
func checkCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), checkUsage)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), checkExamples)
	}
	c := clientFlags(fs)
	at := fs.String("at", "", "answer as of this date (YYYY-MM-DD, the end of that day) or time (RFC 3339)")
	hindsight := fs.Bool("hindsight", false, "answer knowing everything published up to now, at the dates notices took effect")
	asJSON := fs.Bool("json", false, "print the whole state as JSON")
	watched := fs.Bool("watched", false, "check every package the instance watches")
	signer := fs.String("signer", "", "also ask whether this release-signing key was announced (one NAME only)")
	names, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return notice.ExitNormal // the usage was printed, as asked
	}
	// A pipeline reading --json gets one JSON document whatever happens, errors included.
	fail := func(err error) int {
		if *asJSON {
			json.NewEncoder(stdout).Encode(map[string]any{"code": notice.ExitError, "error": err.Error()})
		}
		fmt.Fprintln(stderr, "baton check:", err)
		return notice.ExitError
	}
	if err != nil {
		return fail(err)
	}
	if len(names) == 0 && !*watched {
		fmt.Fprint(stderr, checkUsage)
		return fail(errors.New("give NAMEs or --watched"))
	}
	fp := normalFingerprint(*signer)
	if fp != "" {
		if err := notice.CheckFingerprint(fp); err != nil {
			return fail(fmt.Errorf("--signer: %w", err))
		}
	}
	if names, err = checkNames(c, names, *watched, *signer != ""); err != nil {
		return fail(err)
	}
	if len(names) == 0 { // --watched on an instance that watches nothing: a job pointed at the wrong one
		return fail(errors.New("--watched: the instance watches no packages (is BATON_SERVER the distro's instance?)"))
	}
	results := c.checkAll(names, stateRequest{at: *at, hindsight: *hindsight, signer: fp})
	code := combineCodes(results)
	if *watched || len(names) > 1 || *asJSON {
		printResults(stdout, stderr, results, code, *asJSON)
	} else {
		printResult(stdout, stderr, results[0])
	}
	return code
}

// checkNames is the names to check: those given, or with --watched every package the instance watches.
func checkNames(c *apiClient, names []string, watched, signer bool) ([]string, error) {
	switch {
	case watched && len(names) > 0:
		return nil, errors.New("give NAMEs or --watched, not both")
	case signer && len(names) != 1:
		return nil, errors.New("--signer asks about one project's key: give exactly one NAME")
	case !watched:
		return names, nil
	}
	var list watchListAnswer
	if err := c.call(http.MethodGet, "/api/v1/watches", nil, &list); err != nil {
		return nil, fmt.Errorf("--watched: %w", err)
	}
	names = make([]string, 0, len(list.Watches))
	for _, w := range list.Watches {
		names = append(names, w.Package)
	}
	return names, nil
}

// stateRequest is what each name's state is asked with.
type stateRequest struct {
	at, signer string
	hindsight  bool
}

func (q stateRequest) query() string {
	v := url.Values{}
	if q.at != "" {
		v.Set("at", q.at)
	}
	if q.hindsight {
		v.Set("hindsight", "1")
	}
	if q.signer != "" {
		v.Set("signer", q.signer)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// normalFingerprint drops the spaces gpg prints between the groups of an OpenPGP fingerprint, so
// that it can be pasted as gpg shows it.
func normalFingerprint(fp string) string {
	if strings.HasPrefix(fp, "SHA256:") {
		return fp
	}
	return strings.ReplaceAll(fp, " ", "")
}

// stateAnswer is a name's state: a project's, or a watched package's with its package and upstream.
type stateAnswer = web.PackageStateView

// checked is one name's answer: as the instance sent it, which --json prints, and decoded.
type checked struct {
	name string
	raw  json.RawMessage
	view stateAnswer
	err  error
}

// checkAll checks names a few at a time, and answers in their order.
func (c *apiClient) checkAll(names []string, q stateRequest) []checked {
	if len(names) > 1 {
		keepConnections(c, checkConcurrency)
	}
	results := make([]checked, len(names))
	slots := make(chan struct{}, checkConcurrency)
	var wg sync.WaitGroup
	for i, name := range names {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			results[i] = c.checkOne(name, q)
		})
	}
	wg.Wait()
	return results
}

// checkOne asks for a watched package's state and, when the instance watches no such package, for
// a project's: one command serves a distro's instance and a foundation's.
func (c *apiClient) checkOne(name string, q stateRequest) checked {
	r := checked{name: name}
	query := q.query()
	err := c.call(http.MethodGet, "/api/v1/packages/"+url.PathEscape(name)+"/state"+query, nil, &r.raw)
	if statusOf(err) == http.StatusNotFound {
		err = c.call(http.MethodGet, "/api/v1/projects/"+url.PathEscape(name)+"/state"+query, nil, &r.raw)
		if statusOf(err) == http.StatusNotFound {
			err = errors.New("neither a watched package nor a project on this instance")
		}
	}
	if err == nil {
		err = json.Unmarshal(r.raw, &r.view)
	}
	r.err = err
	return r
}

// combineCodes is the exit code over all names: 1 if any could not be checked, since a pipeline must
// not pass what nobody looked at; else the most urgent code, 5 > 3 > 2 > 4 > 0.
func combineCodes(results []checked) int {
	code := notice.ExitNormal
	for i, r := range results {
		if r.err != nil {
			return notice.ExitError
		}
		if i == 0 {
			code = r.view.Code // as the instance said, even a code this client does not rank
		} else {
			code = notice.MostUrgent(code, r.view.Code)
		}
	}
	return code
}

// printResult prints one name's answer as text.
func printResult(stdout, stderr io.Writer, r checked) {
	if r.err != nil {
		fmt.Fprintf(stderr, "baton check: %s: %v\n", r.name, r.err)
		return
	}
	printAnswer(stdout, r.view)
}

// printResults prints several names' answers: a block each, a blank line apart, or one JSON object.
func printResults(stdout, stderr io.Writer, results []checked, code int, asJSON bool) {
	if asJSON {
		out := struct {
			Results []any `json:"results"`
			Code    int   `json:"code"`
		}{Results: make([]any, 0, len(results)), Code: code}
		for _, r := range results {
			if r.err != nil {
				out.Results = append(out.Results, map[string]any{"name": r.name, "code": notice.ExitError, "error": r.err.Error()})
			} else {
				out.Results = append(out.Results, r.raw)
			}
		}
		json.NewEncoder(stdout).Encode(out)
		return
	}
	if len(results) == 0 {
		fmt.Fprintln(stderr, "baton check: the instance watches no packages")
	}
	for i, r := range results {
		if r.err != nil {
			fmt.Fprintf(stderr, "baton check: %s: %v\n", r.name, r.err)
			continue
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		printAnswer(stdout, r.view)
	}
}

// printAnswer prints a state; a package's names its upstream, as watch add does.
func printAnswer(w io.Writer, v stateAnswer) {
	title := v.Project
	if v.Package != "" {
		title = fmt.Sprintf("%s ← %s (%s)", v.Package, v.Project, v.Upstream)
	}
	printState(w, title, v.StateView)
	if v.Signer != nil {
		printSigner(w, *v.Signer)
	}
}

// verdicts name each exit code as a release manager reads it.
var verdicts = map[int]string{notice.ExitNormal: "normal", notice.ExitScrutiny: "IN A SCRUTINY WINDOW",
	notice.ExitUnendorsed: "UNENDORSED OR PENDING CHANGE OF RIGHTS", notice.ExitAway: "maintainer away",
	notice.ExitUnannouncedSigner: "RELEASE-SIGNING KEY NOT ANNOUNCED OR NO LONGER VALID",
	notice.ExitNoRecord:          "NO RECORD of the project at that date"}

// printState prints a state under a title: the project, or a package and its upstream.
func printState(w io.Writer, title string, v web.StateView) {
	clock := "as known then"
	if v.Hindsight {
		clock = "with hindsight"
	}
	fmt.Fprintf(w, "%s at %s (%s): %s\n", title, v.At, clock, verdicts[v.Code])
	for _, r := range v.Reasons {
		fmt.Fprintf(w, "  - %s\n", r)
	}
	if v.State.NoRecord {
		return
	}
	if len(v.State.Maintainers) == 0 {
		fmt.Fprintln(w, "maintainers: none")
	}
	for _, m := range v.State.Maintainers {
		fmt.Fprintf(w, "maintainer %s holds %s\n", v.Person(m.Person), notice.RightsText(m.RightsHeld()))
	}
	for _, p := range v.State.Pending {
		if p.Waiting == "acceptance" {
			fmt.Fprintf(w, "pending acceptance: %s (%s, by %s)\n", strings.Join(v.People(p.People), ", "), notice.RightsText(p.Rights), p.Notice)
		}
	}
	for _, s := range v.State.Signers {
		state := "valid"
		if !s.Valid() {
			state = "no longer valid"
		} else if !s.Endorsed {
			state = "valid, not endorsed"
		}
		fmt.Fprintf(w, "release-signing key %s (%s) since %s: %s\n", s.Key.Fingerprint, s.Key.Type, s.Since.Format(notice.Date), state)
	}
}

// printSigner answers --signer: first what a release manager acts on, then why.
func printSigner(w io.Writer, s notice.SignerAnswer) {
	verdict := "announced and valid"
	switch {
	case !s.Announced:
		verdict = "NEVER ANNOUNCED: do not take releases signed with it as the project's"
	case !s.Valid:
		verdict = "NO LONGER VALID: do not take releases signed with it as the project's"
	case !s.Endorsed:
		verdict = "announced, but NOT ENDORSED as the policy asks"
	}
	fmt.Fprintf(w, "signer %s: %s\n  %s\n", s.Fingerprint, verdict, s.Reason)
}
