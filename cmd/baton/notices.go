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

	"baton/federation"
	"baton/notice"
	"baton/web"
)

// listFlag collects a repeatable flag, each value possibly a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// postFlags are the fields of a notice, as flags.
type postFlags struct {
	project, kind, text, since, until string
	term                              string
	from, to, scope, revokes          listFlag
	addKeys, removeKeys, moves        listFlag
	mode, role, requirements, reason  string
	public, orphaned                  bool
	sign                              signerFlags
}

func (f *postFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.project, "project", "", "the project's `NAME` (on a distro's instance, a watched package's: the admin speaks for it)")
	fs.StringVar(&f.kind, "kind", "", "the `KIND` of notice: "+strings.Join(kindNames(), ", "))
	fs.StringVar(&f.text, "text", "", "what changes, in the maintainer's words (`TEXT`)")
	fs.StringVar(&f.since, "since", "", "when it took effect (`DATE`, YYYY-MM-DD; default now; may lie in the past: the notice then says it was backdated)")
	fs.StringVar(&f.until, "until", "", "when it ends (`DATE`, YYYY-MM-DD); a date already past needs --since too (a past window on record)")
	fs.Var(&f.from, "from", "handover: outgoing maintainers (`NAMES`); hiatus, return, retirement: who (default --as)")
	fs.Var(&f.to, "to", "handover: incoming maintainers (`NAMES`, comma-separated or repeated)")
	fs.StringVar(&f.mode, "mode", "", "handover: `MODE`, co-maintainer, interim (ends --until) or successor")
	fs.Var(&f.scope, "scope", "handover: `RIGHTS` that pass; call-for-stewards: rights wanted (commit, merge, release-signing, publishing, security-contact, website, dns, ci, fuzzing-contact)")
	fs.StringVar(&f.role, "role", "", "call-for-stewards: the `ROLE` to fill")
	fs.StringVar(&f.requirements, "requirements", "", "call-for-stewards: what the role asks (`TEXT`)")
	fs.BoolVar(&f.public, "public", false, "call-for-stewards: show it to everyone, not only stewards")
	fs.StringVar(&f.term, "term", "", "call-for-stewards: for how long the rights (--scope) are wanted: an end `DATE` (YYYY-MM-DD) or a length (90d, 12w, 6m, 1y)")
	fs.Var(&f.addKeys, "add-key", "signer-change: a release-signing key that becomes valid, `TYPE:FINGERPRINT[:HOLDER]` (TYPE openpgp or ssh); repeatable")
	fs.Var(&f.removeKeys, "remove-key", "signer-change: a key that stops being valid, `TYPE:FINGERPRINT[:HOLDER]`; repeatable")
	fs.Var(&f.moves, "move", "infra-change: what moved, `FIELD=NEW` or FIELD=OLD->NEW; repeatable")
	fs.Var(&f.revokes, "revokes", "revocation: the notices revoked (their `URLS`)")
	fs.StringVar(&f.reason, "reason", "", "revocation, scrutiny: why (`TEXT`)")
	fs.BoolVar(&f.orphaned, "orphaned", false, "retirement: nobody is left to maintain the project")
	fs.StringVar(&f.sign.as, "as", "", "who signs: a person's `NAME` on the instance; without it, the admin speaks (--token)")
	fs.StringVar(&f.sign.keyFile, "key", "", "the signer's OpenSSH Ed25519 private key `FILE` (not the .pub)")
	fs.BoolVar(&f.sign.useAgent, "agent", false, "sign with the running ssh-agent")
}

func kindNames() []string {
	var names []string
	for _, k := range notice.Kinds {
		names = append(names, string(k))
	}
	return names
}

func noticePost(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("notice post", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	var f postFlags
	f.register(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("notice post: unexpected arguments %q (quote the --text)", rest)
	}
	if f.project == "" {
		return errors.New("notice post: --project is required: the project's name")
	}
	if f.kind == "" {
		return fmt.Errorf("notice post: --kind is required: one of %s", strings.Join(kindNames(), ", "))
	}
	if f.kind == string(notice.ReliefRequest) {
		return notice.ErrReliefByCase
	}
	var view web.NoticeView
	if f.sign.as == "" {
		view, err = postAsInstance(c, f)
	} else {
		view, err = postSigned(c, f)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, view.URL)
	fmt.Fprintf(stderr, "queued for %d inbox(es)\n", view.Queued)
	return nil
}

// postAsInstance sends the notice for the admin (the token) to publish as the instance's word, with
// every field given: the instance refuses what it may not say rather than drop it.
func postAsInstance(c *apiClient, f postFlags) (web.NoticeView, error) {
	if f.sign.keyFile != "" || f.sign.useAgent {
		return web.NoticeView{}, errors.New("notice post: --key and --agent sign as a person: name them with --as NAME (without --as, the admin speaks for the project with --token)")
	}
	req := web.NoticeRequest{Kind: f.kind, Text: f.text, Since: f.since, Until: f.until, From: f.from, To: f.to, Mode: f.mode,
		Scope: f.scope, Term: f.term, Role: f.role, Requirements: f.requirements, Public: f.public, Reason: f.reason,
		Revokes: f.revokes, Orphaned: f.orphaned}
	var err error
	if req.KeysAdded, err = keySpecs(f.addKeys); err != nil {
		return web.NoticeView{}, fmt.Errorf("--add-key %w", err)
	}
	if req.KeysRemoved, err = keySpecs(f.removeKeys); err != nil {
		return web.NoticeView{}, fmt.Errorf("--remove-key %w", err)
	}
	if req.Moves, err = moves(f.moves); err != nil {
		return web.NoticeView{}, err
	}
	var view web.NoticeView
	err = c.call(http.MethodPost, "/api/v1/projects/"+url.PathEscape(f.project)+"/notices", req, &view)
	return view, err
}

// postSigned builds the statement on this machine, signs it with the maintainer's key, and sends it.
func postSigned(c *apiClient, f postFlags) (web.NoticeView, error) {
	s, err := f.sign.load(c)
	if err != nil {
		return web.NoticeView{}, err
	}
	var project web.ProjectView
	if err := c.call(http.MethodGet, "/api/v1/projects/"+url.PathEscape(f.project), nil, &project); err != nil {
		return web.NoticeView{}, err
	}
	n, err := f.notice(c, s.person.Actor)
	if err != nil {
		return web.NoticeView{}, err
	}
	if err := n.ValidateNew(); err != nil {
		return web.NoticeView{}, err
	}
	doc, err := federation.StatementDocument(federation.NewStatementID(), project.Actor, n)
	if err != nil {
		return web.NoticeView{}, err
	}
	signed, err := s.signDocument(doc)
	if err != nil {
		return web.NoticeView{}, err
	}
	var view web.NoticeView
	err = c.call(http.MethodPost, "/api/v1/projects/"+url.PathEscape(f.project)+"/statements", json.RawMessage(signed), &view)
	return view, err
}

// notice turns the flags into a notice whose people are actor ids, looked up by name.
func (f postFlags) notice(c *apiClient, author string) (notice.Notice, error) {
	kind, err := notice.ParseKind(f.kind)
	if err != nil {
		return notice.Notice{}, err
	}
	n := notice.Notice{Project: f.project, Kind: kind, Author: author, Text: f.text, Mode: notice.Mode(f.mode),
		Role: f.role, Requirements: f.requirements, Public: f.public, Reason: f.reason, Orphaned: f.orphaned, Revokes: f.revokes}
	if n.Since, err = notice.ParseDate(f.since); err != nil {
		return n, fmt.Errorf("--since: %w", err)
	}
	if n.Until, err = notice.ParseDate(f.until); err != nil {
		return n, fmt.Errorf("--until: %w", err)
	}
	if n.Term, err = notice.ParseTerm(f.term); err != nil {
		return n, fmt.Errorf("--term: %w", err)
	}
	if n.From, err = actorIDs(c, f.from); err != nil {
		return n, err
	}
	if n.To, err = actorIDs(c, f.to); err != nil {
		return n, err
	}
	for _, r := range f.scope {
		n.Scope = append(n.Scope, notice.Right(r))
	}
	if n.KeysAdded, err = signingKeys(c, f.addKeys); err != nil {
		return n, err
	}
	if n.KeysRemoved, err = signingKeys(c, f.removeKeys); err != nil {
		return n, err
	}
	n.Infra, err = moves(f.moves)
	return n, err
}

func actorIDs(c *apiClient, names []string) ([]string, error) {
	var ids []string
	for _, name := range names {
		if remote, ok, err := c.remoteActor(name); ok || err != nil {
			if err != nil {
				return nil, err
			}
			ids = append(ids, remote)
			continue
		}
		p, err := c.person(name)
		if err != nil {
			return nil, fmt.Errorf("person %s: %w", name, err)
		}
		ids = append(ids, p.Actor)
	}
	return ids, nil
}

// signingKeys reads TYPE:FINGERPRINT[:HOLDER] flags into keys, each holder's name looked up.
func signingKeys(c *apiClient, specs []string) ([]notice.SigningKey, error) {
	var keys []notice.SigningKey
	for _, spec := range specs {
		r, err := parseKeySpec(spec)
		if err != nil {
			return nil, err
		}
		k := notice.SigningKey{Type: notice.KeyType(r.Type), Fingerprint: r.Fingerprint}
		if r.Holder != "" {
			ids, err := actorIDs(c, []string{r.Holder})
			if err != nil {
				return nil, err
			}
			k.Holder = ids[0]
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// parseKeySpec reads TYPE:FINGERPRINT[:HOLDER] (TYPE openpgp or ssh; an SSH fingerprint has a colon of
// its own, SHA256:…) and checks the fingerprint here, so a typo is an error before anything is sent.
func parseKeySpec(spec string) (web.SigningKeyRequest, error) {
	typ, rest, ok := strings.Cut(spec, ":")
	if !ok {
		return web.SigningKeyRequest{}, fmt.Errorf("key %q: want TYPE:FINGERPRINT[:HOLDER], TYPE openpgp or ssh", spec)
	}
	fp, holder := rest, ""
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.HasSuffix(rest[:i], "SHA256") {
		fp, holder = rest[:i], rest[i+1:]
	}
	fp = normalFingerprint(fp)
	if typ != string(notice.OpenPGP) && typ != string(notice.SSH) {
		return web.SigningKeyRequest{}, fmt.Errorf("key %q: type %q is neither openpgp nor ssh", spec, typ)
	}
	if err := notice.CheckFingerprint(fp); err != nil {
		return web.SigningKeyRequest{}, fmt.Errorf("key %q: %w", spec, err)
	}
	return web.SigningKeyRequest{Type: typ, Fingerprint: fp, Holder: holder}, nil
}

// moves reads FIELD=NEW or FIELD=OLD->NEW.
func moves(specs []string) ([]notice.InfraMove, error) {
	var out []notice.InfraMove
	for _, spec := range specs {
		field, value, ok := strings.Cut(spec, "=")
		if !ok {
			return nil, fmt.Errorf("--move %q: want FIELD=NEW or FIELD=OLD->NEW", spec)
		}
		m := notice.InfraMove{Field: notice.Right(field), To: value}
		if old, nw, ok := strings.Cut(value, "->"); ok {
			m.From, m.To = old, nw
		}
		out = append(out, m)
	}
	return out, nil
}

// noticeNumber reads a notice's number from its number or its URL (…/notices/NUMBER).
func noticeNumber(arg string) (string, error) {
	if !strings.Contains(arg, "://") {
		return arg, nil
	}
	u, err := url.Parse(arg)
	if err != nil {
		return "", fmt.Errorf("%q is not a notice's URL: %v", arg, err)
	}
	rest, number, _ := strings.Cut(strings.TrimRight(u.Path, "/"), "/notices/")
	if number == "" || strings.Contains(number, "/") || strings.Contains(rest, "/notices") {
		return "", fmt.Errorf("%s is not a notice's URL (…/notices/NUMBER)", arg)
	}
	return number, nil
}

// noticeEndorse adds the signer's proof to a published notice's statement: a steward's endorsement,
// an outgoing maintainer's consent, or an incoming one's acceptance. A notice published on another
// instance is given by its URL: the proof is made here and the signer's own instance delivers it.
func noticeEndorse(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("notice endorse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	var sf signerFlags
	fs.StringVar(&sf.as, "as", "", "who signs: a person's name on the instance")
	fs.StringVar(&sf.keyFile, "key", "", "the signer's OpenSSH Ed25519 private key file")
	fs.BoolVar(&sf.useAgent, "agent", false, "sign with the running ssh-agent")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("notice endorse: want the notice's id (its number or URL)")
	}
	var current struct {
		URL       string          `json:"url"`
		Statement json.RawMessage `json:"statement"`
	}
	id, err := noticeNumber(rest[0])
	if err == nil {
		err = c.call(http.MethodGet, "/api/v1/notices/"+url.PathEscape(id), nil, &current)
	}
	// A notice of another instance (its URL names another, or this one has no notice there) is
	// fetched from its origin, signed here, and delivered by the signer's own instance.
	if elsewhere(rest[0], current.URL, err) {
		s, err := sf.load(c)
		if err != nil {
			return fmt.Errorf("notice endorse: %w", err)
		}
		return endorseElsewhere(c, s, rest[0], stdout, stderr)
	}
	if err != nil {
		return fmt.Errorf("notice endorse: %w", err)
	}
	s, err := sf.load(c)
	if err != nil {
		return err
	}
	if current.Statement == nil {
		return fmt.Errorf("notice %s carries no signed statement to endorse", id)
	}
	st, err := federation.ParseStatement(current.Statement)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "endorsing %s: %s by %s\n%s\n", st.ID, st.Notice.Kind, st.Notice.Author, st.Notice.Text)
	signed, err := s.signDocument(current.Statement)
	if err != nil {
		return err
	}
	var view web.EndorsementView
	if err := c.call(http.MethodPost, "/api/v1/notices/"+url.PathEscape(id)+"/endorsements", json.RawMessage(signed), &view); err != nil {
		return err
	}
	fmt.Fprintln(stdout, view.URL)
	if view.Endorsed {
		fmt.Fprintln(stderr, "the notice is now endorsed as the policy asks")
	} else if len(view.Missing) > 0 {
		fmt.Fprintf(stderr, "still missing: %s\n", strings.Join(view.Missing, "; "))
	}
	return nil
}
