package main

// Confidential relief cases, from the participants' side. Every message is written, signed and
// sealed (age, to every participant's ssh-ed25519 keys in use) on this machine; the instance gets
// ciphertext and who wrote it. Reading opens the messages here too, with the reader's private key.

import (
	"baton/federation"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
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
	"time"

	"baton/federation/proof"
	"baton/relief"
	"baton/web"
)

// reliefFlags are the flags every relief subcommand shares: the instance, and who signs.
type reliefFlags struct {
	fs   *flag.FlagSet
	c    *apiClient
	sign signerFlags
}

func newReliefFlags(name string, stderr io.Writer) *reliefFlags {
	fs := flag.NewFlagSet("relief "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &reliefFlags{fs: fs, c: clientFlags(fs)}
	fs.StringVar(&f.sign.as, "as", "", "your `NAME` on the instance")
	fs.StringVar(&f.sign.keyFile, "key", "", "your OpenSSH Ed25519 private key `FILE`")
	fs.BoolVar(&f.sign.useAgent, "agent", false, "sign with the running ssh-agent (show and share need --key: the agent cannot decrypt)")
	return f
}

// parse parses the flags and wants want positional arguments (the case's id).
func (f *reliefFlags) parse(args []string, want int) ([]string, error) {
	rest, err := parseFlags(f.fs, args)
	if err != nil {
		return nil, err
	}
	if len(rest) != want {
		return nil, fmt.Errorf("%s: want %d argument(s) (the case's id), got %d", f.fs.Name(), want, len(rest))
	}
	return rest, nil
}

// textFlags read a message: --text, or --text-file (- for standard input), for words that need room.
type textFlags struct{ text, file string }

func (t *textFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.text, "text", "", "your message, in your own words: the `TEXT`")
	fs.StringVar(&t.file, "text-file", "", "read the message from `FILE` (- for standard input) instead of --text")
}

func (t textFlags) read() (string, error) {
	switch {
	case t.file != "" && t.text != "":
		return "", errors.New("give the message with --text or --text-file, not both")
	case t.file == "-":
		b, err := io.ReadAll(io.LimitReader(os.Stdin, relief.MaxText+1))
		return string(b), err
	case t.file != "":
		b, err := os.ReadFile(t.file)
		return string(b), err
	case t.text == "":
		return "", errors.New("--text is required: say what you need, in your own words (or --text-file FILE)")
	}
	return t.text, nil
}

// newCaseID is a case's id: 16 random bytes in hex, so nobody can guess that a case exists.
func newCaseID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// nameOf is a local person's name from their actor id (…/users/NAME).
func nameOf(actorID string) string {
	name := actorID[strings.LastIndex(actorID, "/")+1:]
	if n, err := url.PathUnescape(name); err == nil {
		return n
	}
	return name
}

// keysInUse reads the keys in use of each person (actor ids), as their Person actors publish them:
// the keys a message to them is sealed to.
func (c *apiClient) keysInUse(people []string) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	for _, id := range people {
		p, err := c.person(nameOf(id))
		if err != nil {
			return nil, fmt.Errorf("person %s: %w", nameOf(id), err)
		}
		for _, k := range p.Keys {
			if k.Revoked != "" {
				continue
			}
			pub, err := proof.DecodeMultikey(k.Multikey)
			if err != nil {
				return nil, fmt.Errorf("a key of %s: %w", p.Name, err)
			}
			out = append(out, pub)
		}
	}
	return out, nil
}

// seal signs a letter as s, seals it to people, and puts it in an envelope s signs.
func (s signer) seal(c *apiClient, e relief.Envelope, letter []byte, people []string) ([]byte, error) {
	keys, err := c.keysInUse(people)
	if err != nil {
		return nil, err
	}
	if e.Ciphertext, err = relief.Seal(letter, keys); err != nil {
		return nil, err
	}
	e.Type, e.ID = relief.EnvelopeType, federation.NewStatementID()
	doc, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return s.signDocument(doc)
}

// write signs a new message of s's on this machine and seals it to people.
func (s signer) write(c *apiClient, e relief.Envelope, text string, people []string) ([]byte, error) {
	doc, err := relief.LetterDocument(e.Case, s.person.Actor, text, time.Now())
	if err != nil {
		return nil, err
	}
	letter, err := s.signDocument(doc)
	if err != nil {
		return nil, err
	}
	e.Author = s.person.Actor
	return s.seal(c, e, letter, people)
}

// query signs a relief query as s.
func (s signer) query(q relief.Query) (json.RawMessage, error) {
	q.ID = federation.NewStatementID()
	doc, err := json.Marshal(q)
	if err != nil {
		return nil, err
	}
	return s.signDocument(doc)
}

// readCase asks for a case with its sealed messages, as one who takes part in it.
func (s signer) readCase(c *apiClient, id string) (web.CaseView, error) {
	var v web.CaseView
	q, err := s.query(relief.Query{Type: relief.QueryType, Case: id})
	if err != nil {
		return v, err
	}
	return v, c.call(http.MethodPost, "/api/v1/relief/read", q, &v)
}

func participantIDs(v web.CaseView) []string {
	ids := make([]string, len(v.Participants))
	for i, p := range v.Participants {
		ids[i] = p.Person
	}
	return ids
}

func participantNames(v web.CaseView) string {
	names := make([]string, len(v.Participants))
	for i, p := range v.Participants {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func reliefOpen(args []string, stdout, stderr io.Writer) error {
	f := newReliefFlags("open", stderr)
	project := f.fs.String("project", "", "the `PROJECT` you maintain")
	var t textFlags
	t.register(f.fs)
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	if *project == "" {
		return errors.New("relief open: --project is required")
	}
	text, err := t.read()
	if err != nil {
		return err
	}
	s, err := f.sign.load(f.c)
	if err != nil {
		return err
	}
	caseID := newCaseID()
	// A steward may be named, or change keys, between reading who they are and sending: the instance
	// then answers 422, and the message is sealed again to the stewards as they are.
	for attempt := 1; ; attempt++ {
		people, err := openers(f.c, s)
		if err != nil {
			return err
		}
		env, err := s.write(f.c, relief.Envelope{Case: caseID, Project: *project}, text, people)
		if err != nil {
			return err
		}
		var v web.CaseView
		err = f.c.call(http.MethodPost, "/api/v1/relief/cases", json.RawMessage(env), &v)
		if statusOf(err) == http.StatusUnprocessableEntity && attempt < 3 {
			continue
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, v.ID)
		fmt.Fprintf(stderr, "case %s opened; only %s can read it\n", v.ID, participantNames(v))
		return nil
	}
}

// openers are the people a new case is sealed to: its maintainer, and the instance's stewards now.
func openers(c *apiClient, s signer) ([]string, error) {
	var stewards []web.RoleView
	if err := c.call(http.MethodGet, "/api/v1/stewards", nil, &stewards); err != nil {
		return nil, err
	}
	people := []string{s.person.Actor}
	for _, st := range stewards {
		p, err := c.person(st.Person)
		if err != nil {
			return nil, fmt.Errorf("steward %s: %w", st.Person, err)
		}
		if p.Actor != s.person.Actor {
			people = append(people, p.Actor)
		}
	}
	return people, nil
}

func reliefReply(args []string, stdout, stderr io.Writer) error {
	f := newReliefFlags("reply", stderr)
	var t textFlags
	t.register(f.fs)
	rest, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	text, err := t.read()
	if err != nil {
		return err
	}
	s, err := f.sign.load(f.c)
	if err != nil {
		return err
	}
	// Another participant may write, or a steward be shared in, between reading and sending: then the
	// instance answers 409 or 422, and the message is sealed again for the case as it is.
	for attempt := 1; ; attempt++ {
		v, err := s.readCase(f.c, rest[0])
		if err != nil {
			return err
		}
		env, err := s.write(f.c, relief.Envelope{Case: v.ID, Index: len(v.Messages)}, text, participantIDs(v))
		if err != nil {
			return err
		}
		err = f.c.call(http.MethodPost, "/api/v1/relief/cases/"+url.PathEscape(v.ID)+"/messages", json.RawMessage(env), &v)
		if status := statusOf(err); (status == http.StatusConflict || status == http.StatusUnprocessableEntity) && attempt < 3 && v.Closed == "" {
			continue
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\tmessage %d\n", v.ID, len(v.Messages))
		fmt.Fprintf(stderr, "sent; only %s can read it\n", participantNames(v))
		return nil
	}
}

// openWith loads a participant's private key: reading needs it on this machine, since age decrypts
// with the key itself and ssh-agent only signs.
func openWith(f *reliefFlags) (signer, ed25519.PrivateKey, error) {
	if f.sign.keyFile == "" || f.sign.useAgent {
		return signer{}, nil, fmt.Errorf("%s needs --key FILE, your private key: the messages are decrypted on this machine with the key itself, "+
			"and ssh-agent cannot decrypt (it only signs). Set BATON_KEY_PASSPHRASE for a key with a passphrase", f.fs.Name())
	}
	s, err := f.sign.load(f.c)
	if err != nil {
		return signer{}, nil, err
	}
	key, err := readPrivateKey(f.sign.keyFile, f.sign.as)
	return s, key, err
}

// letters opens each message of a case with key, and checks each letter's proof by its writer.
func letters(c *apiClient, v web.CaseView, key ed25519.PrivateKey) ([][]byte, []relief.Letter, error) {
	raws := make([][]byte, len(v.Messages))
	out := make([]relief.Letter, len(v.Messages))
	for i, m := range v.Messages {
		e, err := relief.ParseEnvelope(m.Envelope)
		if err != nil {
			return nil, nil, fmt.Errorf("message %d: %w", i, err)
		}
		if raws[i], err = relief.Open(e.Ciphertext, key); err != nil {
			return nil, nil, fmt.Errorf("message %d: %w", i, err)
		}
		if out[i], err = relief.ParseLetter(raws[i], v.ID, m.Author); err != nil {
			return nil, nil, fmt.Errorf("message %d: %w", i, err)
		}
		if err := verifyLetter(c, raws[i], m.Author); err != nil {
			return nil, nil, fmt.Errorf("message %d: %w", i, err)
		}
	}
	return raws, out, nil
}

// verifyLetter checks that a letter carries its writer's proof, by one of the keys they hold or held
// (a key revoked since still vouches for what it signed before).
func verifyLetter(c *apiClient, letter []byte, author string) error {
	p, err := c.person(nameOf(author))
	if err != nil {
		return fmt.Errorf("its writer %s: %w", nameOf(author), err)
	}
	proofs, err := proof.Verify(letter, func(vm string) (ed25519.PublicKey, error) {
		actor, fragment, _ := strings.Cut(vm, "#")
		if actor != p.Actor {
			return nil, fmt.Errorf("signed by %s, not by its writer %s", actor, p.Actor)
		}
		for _, k := range p.Keys {
			if k.Multikey == fragment {
				return proof.DecodeMultikey(fragment)
			}
		}
		return nil, fmt.Errorf("signed with a key %s never held", p.Name)
	})
	if err == nil && len(proofs) != 1 {
		err = fmt.Errorf("%d proofs, want its writer's alone", len(proofs))
	}
	if err != nil {
		return fmt.Errorf("the words are not signed by their writer: %w", err)
	}
	return nil
}

func reliefShow(args []string, stdout, stderr io.Writer) error {
	f := newReliefFlags("show", stderr)
	rest, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	s, key, err := openWith(f)
	if err != nil {
		return err
	}
	v, err := s.readCase(f.c, rest[0])
	if err != nil {
		return err
	}
	_, ls, err := letters(f.c, v, key)
	if err != nil {
		return err
	}
	printCase(stdout, v)
	for i, l := range ls {
		fmt.Fprintf(stdout, "\n— %s, %s", nameOf(l.Author), l.Written.Format("2006-01-02 15:04 MST"))
		if v.Messages[i].Signer != l.Author {
			fmt.Fprintf(stdout, " (sealed again by %s to share the case)", nameOf(v.Messages[i].Signer))
		}
		fmt.Fprintf(stdout, "\n%s\n", strings.TrimRight(l.Text, "\n"))
	}
	return nil
}

// printCase writes what is known of a case besides its words.
func printCase(w io.Writer, v web.CaseView) {
	fmt.Fprintf(w, "case %s\tproject %s\topened %s\n", v.ID, v.Project, v.Opened)
	fmt.Fprintf(w, "participants: %s\n", participantNames(v))
	if v.Closed != "" {
		fmt.Fprintf(w, "closed %s by %s\n", v.Closed, nameOf(v.ClosedBy))
	}
	if v.LedTo != "" {
		fmt.Fprintf(w, "led to: %s\n", v.LedTo)
	}
}

func reliefList(args []string, stdout, stderr io.Writer) error {
	f := newReliefFlags("list", stderr)
	if _, err := f.parse(args, 0); err != nil {
		return err
	}
	var cases []web.CaseView
	if f.sign.as == "" {
		// The admin, with the token: who and when, never a word.
		if err := f.c.call(http.MethodGet, "/api/v1/relief/cases", nil, &cases); err != nil {
			return err
		}
	} else {
		s, err := f.sign.load(f.c)
		if err != nil {
			return err
		}
		q, err := s.query(relief.Query{Type: relief.QueryType})
		if err != nil {
			return err
		}
		if err := f.c.call(http.MethodPost, "/api/v1/relief/read", q, &cases); err != nil {
			return err
		}
	}
	for _, v := range cases {
		state := "open"
		if v.Closed != "" {
			state = "closed " + v.Closed
		}
		fmt.Fprintf(stdout, "%s\t%s\topened %s\t%s\t%d message(s)\t%s", v.ID, v.Project, v.Opened, state, len(v.Messages), participantNames(v))
		if v.LedTo != "" {
			fmt.Fprintf(stdout, "\tled to %s", v.LedTo)
		}
		fmt.Fprintln(stdout)
	}
	if len(cases) == 0 {
		fmt.Fprintln(stderr, "no relief cases")
	}
	return nil
}

func reliefShare(args []string, stdout, stderr io.Writer) error {
	f := newReliefFlags("share", stderr)
	with := f.fs.String("with", "", "the `NAME` of the steward who joins the case")
	rest, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	if *with == "" {
		return errors.New("relief share: --with NAME is required: the steward to share the case with")
	}
	s, key, err := openWith(f)
	if err != nil {
		return err
	}
	newcomer, err := f.c.person(*with)
	if err != nil {
		return fmt.Errorf("person %s: %w", *with, err)
	}
	v, err := s.readCase(f.c, rest[0])
	if err != nil {
		return err
	}
	raws, _, err := letters(f.c, v, key)
	if err != nil {
		return err
	}
	people := participantIDs(v)
	if !slices.Contains(people, newcomer.Actor) {
		people = append(people, newcomer.Actor) // else: sealed again to a participant's keys as they are now
	}
	q := relief.Query{Type: relief.ShareType, Case: v.ID, With: newcomer.Actor}
	for i, raw := range raws {
		// The letter goes as its writer signed it; only its seal is new, and signed by the sharer.
		env, err := s.seal(f.c, relief.Envelope{Case: v.ID, Author: v.Messages[i].Author, Index: i}, raw, people)
		if err != nil {
			return err
		}
		q.Messages = append(q.Messages, env)
	}
	signed, err := s.query(q)
	if err != nil {
		return err
	}
	if err := f.c.call(http.MethodPost, "/api/v1/relief/cases/"+url.PathEscape(v.ID)+"/share", signed, &v); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\tshared with %s\n", v.ID, newcomer.Name)
	fmt.Fprintf(stderr, "%d message(s) sealed again; only %s can read them\n", len(raws), participantNames(v))
	return nil
}

func reliefClose(args []string, stdout, stderr io.Writer) error {
	f := newReliefFlags("close", stderr)
	ledTo := f.fs.String("led-to", "", "the `URL` of the notice the case led to: a hiatus, a call for stewards, an interim handover")
	rest, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	s, err := f.sign.load(f.c)
	if err != nil {
		return err
	}
	q, err := s.query(relief.Query{Type: relief.CloseType, Case: rest[0], LedTo: *ledTo})
	if err != nil {
		return err
	}
	var v web.CaseView
	if err := f.c.call(http.MethodPost, "/api/v1/relief/cases/"+url.PathEscape(rest[0])+"/close", q, &v); err != nil {
		return err
	}
	printCase(stdout, v)
	return nil
}
