package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/record"
	"baton/web"
)

// `baton call`: answering a call for stewards with a signed offer, and the stewards' side: the offers
// with each person's track record, and accepting one.

// signerFlagsOn registers --as, --key and --agent.
func signerFlagsOn(fs *flag.FlagSet, who string) *signerFlags {
	var sf signerFlags
	fs.StringVar(&sf.as, "as", "", who)
	fs.StringVar(&sf.keyFile, "key", "", "the OpenSSH Ed25519 private key `FILE` to sign with")
	fs.BoolVar(&sf.useAgent, "agent", false, "sign with the running ssh-agent")
	return &sf
}

// callAnswer signs an offer to answer a call with the person's key and sends it through their own
// instance, which delivers it to the calling project's.
func callAnswer(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("call answer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	sf := signerFlagsOn(fs, "who offers: a person's `NAME` on their own instance (--server)")
	text := fs.String("text", "", "who you are and what you would do: a `TEXT` of a few sentences")
	until := fs.String("until", "", "the `DATE` until which you can serve (YYYY-MM-DD; default: the term the call names)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("call answer: want the call's URL (quote the --text)")
	}
	s, err := sf.load(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	project, err := callProject(ctx, rest[0])
	if err != nil {
		// A call that is not public is served only to the instances of the stewards it names; theirs
		// kept it for them, so ask it.
		var fallbackErr error
		if project, fallbackErr = addressedCallProject(c, s, rest[0]); fallbackErr != nil {
			return fmt.Errorf("%w; nor was it among the calls addressed to you: %v", err, fallbackErr)
		}
	}
	o := federation.OfferStatement{ID: federation.NewStatementID(), Call: rest[0], Project: project, Author: s.person.Actor, Text: *text}
	if o.Until, err = notice.ParseDate(*until); err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	doc, err := federation.OfferStatementDocument(o)
	if err != nil {
		return err
	}
	if _, err := federation.ParseOfferStatement(doc); err != nil { // say what is wrong before signing
		return err
	}
	signed, err := s.signDocument(doc)
	if err != nil {
		return err
	}
	var view web.AnswerView
	if err := c.call(http.MethodPost, "/api/v1/people/"+url.PathEscape(s.person.Name)+"/offers", json.RawMessage(signed), &view); err != nil {
		return err
	}
	fmt.Fprintln(stdout, view.Offer)
	if view.Queued {
		fmt.Fprintf(stderr, "the calling instance could not be reached; the offer to %s is queued and will be tried again\n", view.Call)
	} else {
		fmt.Fprintf(stderr, "offer delivered to %s, answering %s\n", view.Project, view.Call)
	}
	return nil
}

// callProject fetches a call's Note and says whose call it is.
func callProject(ctx context.Context, callURL string) (string, error) {
	v := verifier{client: &http.Client{Timeout: 20 * time.Second}}
	doc, err := v.fetch(ctx, callURL)
	if err != nil {
		return "", fmt.Errorf("the call %s could not be fetched: %w", callURL, err)
	}
	var note struct {
		Kind         string `json:"noticeKind"`
		AttributedTo string `json:"attributedTo"`
	}
	if json.Unmarshal(doc, &note) != nil || note.AttributedTo == "" {
		return "", fmt.Errorf("%s is not a notice", callURL)
	}
	if note.Kind != string(notice.CallForStewards) {
		return "", fmt.Errorf("%s is a %s, not a call for stewards", callURL, note.Kind)
	}
	return note.AttributedTo, nil
}

// addressedCallProject finds, among the calls for stewards other instances addressed to the steward s
// (kept for them by their own instance), the one at callURL, and says whose call it is.
func addressedCallProject(c *apiClient, s signer, callURL string) (string, error) {
	query, err := signedQuery(s, nil)
	if err != nil {
		return "", err
	}
	asSteward := *c
	asSteward.token = "" // the query is the steward's credential
	var notices []web.StewardNotice
	if err := asSteward.call(http.MethodPost, "/api/v1/stewards/notices", json.RawMessage(query), &notices); err != nil {
		return "", err
	}
	for _, n := range notices {
		if n.URL == callURL && n.Instance != "" && n.Kind == string(notice.CallForStewards) {
			return n.Project, nil
		}
	}
	return "", fmt.Errorf("%s names no call for stewards %s", c.server, callURL)
}

// stewardRequest posts to path as a steward, with a query signed by their key carrying extra, or, without
// --as, as the admin with the token.
func stewardRequest(c *apiClient, sf *signerFlags, path string, extra map[string]string, out any) error {
	if sf.as == "" {
		if c.token == "" {
			return errors.New("sign as a steward (--as NAME with --key FILE or --agent), or give the admin token")
		}
		return c.call(http.MethodPost, path, extra, out)
	}
	s, err := sf.load(c)
	if err != nil {
		return err
	}
	query, err := signedQuery(s, extra)
	if err != nil {
		return err
	}
	c.token = "" // the query is the steward's credential
	return c.call(http.MethodPost, path, json.RawMessage(query), out)
}

// callOffers lists the answers to a call, signed offers with each person's track record first.
func callOffers(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("call offers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	sf := signerFlagsOn(fs, "the steward's `NAME` (without it: the admin, with the token)")
	asJSON := fs.Bool("json", false, "print the answers as JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("call offers: want the call's URL or id")
	}
	var view web.CallOffersView
	if err := stewardRequest(c, sf, "/api/v1/notices/"+url.PathEscape(noticeRef(rest[0]))+"/offers", nil, &view); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, view)
	}
	printCallOffers(stdout, view)
	return nil
}

// noticeRef is the id of a notice given as its URL or id, as the API's path takes it.
func noticeRef(ref string) string {
	if i := strings.LastIndex(ref, "/notices/"); i >= 0 {
		return strings.TrimSuffix(ref[i+len("/notices/"):], "/")
	}
	return ref
}

func printCallOffers(w io.Writer, v web.CallOffersView) {
	// Warnings first: a person with no record, or with a revocation against them, is what stewards
	// must not miss.
	for _, o := range v.Offers {
		for _, warning := range o.Record.Warnings {
			fmt.Fprintf(w, "⚠ %s: %s\n", o.Handle, warning)
		}
	}
	fmt.Fprintf(w, "call %s (%s): %s, with %s, %s\n", v.Call, v.Project, v.Role, strings.Join(v.Rights, ", "), v.Term)
	if v.Closed != "" {
		fmt.Fprintf(w, "closed: %s\n", v.Closed)
	}
	fmt.Fprintf(w, "%d signed offer(s)\n", len(v.Offers))
	for _, o := range v.Offers {
		fmt.Fprintf(w, "\noffer %s\tfrom %s (%s)\treceived %s\n", o.ID, o.Handle, o.Person, o.Received)
		fmt.Fprintf(w, "\t%s\n", strings.ReplaceAll(o.Text, "\n", "\n\t"))
		if o.Until != "" {
			fmt.Fprintf(w, "\tcan serve until %s\n", o.Until)
		}
		printRecord(w, *o.Record, "\t")
		if o.Accepted != "" {
			fmt.Fprintf(w, "\taccepted by %s on %s; the outgoing maintainer posts:\n\t%s\n", o.AcceptedBy, o.Accepted, o.Draft)
		}
	}
	if len(v.Interest) > 0 {
		fmt.Fprintf(w, "\n%d repl(ies) from the fediverse, read as interest, not offers:\n", len(v.Interest))
		for _, o := range v.Interest {
			fmt.Fprintf(w, "interest %s\tfrom %s\treceived %s\n\t%s\n", o.ID, o.Person, o.Received, strings.ReplaceAll(o.Text, "\n", "\n\t"))
		}
	}
}

// printRecord prints a track record, its warnings first.
func printRecord(w io.Writer, r record.Record, indent string) {
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "%s⚠ %s\n", indent, warning)
	}
	age := "does not say when it was made"
	if !r.Published.IsZero() {
		age = fmt.Sprintf("made %s (%d days ago)", r.Published.Format(notice.Date), int(time.Since(r.Published).Hours()/24))
	}
	kind := r.Type
	if kind == "" {
		kind = "actor"
	}
	who := r.Person
	if r.Shown != "" {
		who = r.Shown + " (" + r.Person + ")" // the name is theirs to choose: the id says who they are
	}
	fmt.Fprintf(w, "%srecord of %s: %s %s; ", indent, who, kind, age)
	if r.Served {
		fmt.Fprintln(w, "their instance serves a record")
	} else {
		fmt.Fprintln(w, "their instance serves no record")
	}
	for _, p := range r.Projects {
		until := "now"
		if !p.Until.IsZero() {
			until = p.Until.Format(notice.Date)
		}
		fmt.Fprintf(w, "%s  maintains %s since %s, until %s (%s)\n", indent, p.Project, p.Since.Format(notice.Date), until, p.How)
	}
	for _, h := range r.Handovers {
		endorsed := "endorsement not asked"
		if h.Endorsed != nil && *h.Endorsed {
			endorsed = "endorsed"
		} else if h.Endorsed != nil {
			endorsed = "NOT endorsed"
		}
		var notes []string
		if !h.Accepted {
			notes = append(notes, "not accepted")
		}
		if h.Revoked {
			notes = append(notes, "REVOKED")
		}
		fmt.Fprintf(w, "%s  handover %s of %s, %s (%s: %s) on %s, %s%s\n", indent, h.Notice, h.Project, h.Role, h.Mode,
			strings.Join(h.Rights, ", "), h.Date.Format(notice.Date), endorsed, prefixed(", ", strings.Join(notes, ", ")))
	}
	for _, s := range r.Stewards {
		fmt.Fprintf(w, "%s  steward of %s since %s\n", indent, s.Instance, s.Since.Format(notice.Date))
	}
	for _, v := range r.Revocations {
		what := "revocation they made"
		if v.Revokes != "" {
			what = "revocation involving them"
		}
		if v.Against {
			what = "REVOCATION AGAINST THEM"
		}
		fmt.Fprintf(w, "%s  %s: %s%s in %s%s\n", indent, what, v.Notice, prefixed(" revokes ", v.Revokes), v.Project, prefixed(": ", v.Reason))
	}
	for _, u := range r.Unverified {
		fmt.Fprintf(w, "%s  not counted: %s: %s\n", indent, u.What, u.Reason)
	}
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// callAccept accepts a signed offer and prints the interim handover the outgoing maintainer posts.
func callAccept(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("call accept", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	sf := signerFlagsOn(fs, "the steward's `NAME` (without it: the admin, with the token)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("call accept: want the offer's id (as call offers prints it)")
	}
	var view web.AcceptView
	if err := stewardRequest(c, sf, "/api/v1/offers/accept", map[string]string{"offer": rest[0]}, &view); err != nil {
		return err
	}
	for _, warning := range view.Offer.Record.Warnings {
		fmt.Fprintf(stderr, "⚠ %s: %s\n", view.Offer.Handle, warning)
	}
	fmt.Fprintf(stderr, "accepted %s's offer to answer %s; the outgoing maintainer posts the interim handover:\n", view.Offer.Handle, view.Call)
	fmt.Fprintln(stdout, view.Draft)
	return nil
}

// personRecord prints a person's track record, gathered by the instance (admin token).
func personRecord(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("person record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print the record as JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("person record: want @name@host or an actor's URL")
	}
	var r record.Record
	if err := c.call(http.MethodGet, "/api/v1/records?person="+url.QueryEscape(rest[0]), nil, &r); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, r)
	}
	printRecord(stdout, r, "")
	return nil
}

// printJSON prints v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
