package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"baton/notice"
	"baton/web"
)

// checkUsage documents the exit codes pipelines gate on.
const checkUsage = `baton check PROJECT [--at DATE] [--json]

Prints how a project stands (now, or at the end of DATE, as known then) and exits:
  0  normal
  1  the check itself failed (unknown project, instance unreachable)
  2  in a scrutiny window: review new commits and releases with extra care
  3  a handover, signer change or security-contact move is not endorsed as the policy asks
  4  a maintainer is on hiatus, or the project is orphaned
When several apply, 3 wins over 2, and 2 over 4.
`

// checkCommand asks the instance for a project's state and returns the exit code to end with.
func checkCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, checkUsage); fs.PrintDefaults() }
	c := clientFlags(fs)
	at := fs.String("at", "", "answer as of this date (YYYY-MM-DD, the end of that day) or time (RFC 3339)")
	asJSON := fs.Bool("json", false, "print the whole state as JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return notice.ExitError
	}
	if len(rest) != 1 {
		fmt.Fprint(stderr, checkUsage)
		return notice.ExitError
	}
	path := "/api/v1/projects/" + url.PathEscape(rest[0]) + "/state"
	if *at != "" {
		path += "?at=" + url.QueryEscape(*at)
	}
	var raw json.RawMessage
	if err := c.call(http.MethodGet, path, nil, &raw); err != nil {
		fmt.Fprintln(stderr, "baton check:", err)
		return notice.ExitError
	}
	var view web.StateView
	if err := json.Unmarshal(raw, &view); err != nil {
		fmt.Fprintln(stderr, "baton check:", err)
		return notice.ExitError
	}
	if *asJSON {
		stdout.Write(append(raw, '\n'))
	} else {
		printState(stdout, view)
	}
	return view.Code
}

func printState(w io.Writer, v web.StateView) {
	verdict := map[int]string{notice.ExitNormal: "normal", notice.ExitScrutiny: "IN A SCRUTINY WINDOW",
		notice.ExitUnendorsed: "UNENDORSED CHANGE OF RIGHTS", notice.ExitAway: "maintainer away"}[v.Code]
	fmt.Fprintf(w, "%s at %s: %s\n", v.Project, v.At, verdict)
	for _, r := range v.Reasons {
		fmt.Fprintf(w, "  - %s\n", r)
	}
	var people []string
	for _, m := range v.State.Maintainers {
		people = append(people, m.Person)
	}
	fmt.Fprintf(w, "maintainers: %s\n", strings.Join(people, ", "))
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
