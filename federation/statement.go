package federation

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	vocab "github.com/go-ap/activitypub"

	"baton/notice"
)

// A statement is what a maintainer signs: the notice's words and structured fields, and nothing the
// instance renders. It travels inside the Note that delivers it, with its proof set (the author's
// proof, the consents, acceptances and steward endorsements), so anyone can verify it with the keys on
// the signers' actors. Endorsements add proofs to it; the Note around it is re-rendered and re-signed
// by the project, and sent again as an Update.

// StatementType is the type of a statement.
const StatementType = "Statement"

// statementContext is a statement's @context: Data Integrity for its proofs and Baton's terms.
var statementContext = []any{
	DataIntegrityContext,
	map[string]any{
		"baton":        BatonNamespace,
		"xsd":          "http://www.w3.org/2001/XMLSchema#",
		"id":           "@id",
		"type":         "@type",
		"Statement":    "baton:Statement",
		"project":      map[string]string{"@id": "baton:project", "@type": "@id"},
		"noticeKind":   "baton:noticeKind",
		"author":       map[string]string{"@id": "baton:author", "@type": "@id"},
		"text":         "baton:text",
		"effectiveAt":  map[string]string{"@id": "baton:effectiveAt", "@type": "xsd:dateTime"},
		"effectiveEnd": map[string]string{"@id": "baton:effectiveEnd", "@type": "xsd:dateTime"},
		"help":         "baton:help",
		"role":         "baton:role",
		"requirements": "baton:requirements",
		"publicCall":   "baton:publicCall",
		"stewardTerm":  "baton:stewardTerm",
		"outgoing":     map[string]string{"@id": "baton:outgoing", "@type": "@id"},
		"incoming":     map[string]string{"@id": "baton:incoming", "@type": "@id"},
		"handoverMode": "baton:handoverMode",
		"rights":       "baton:rights",
		"keysAdded":    "baton:keysAdded",
		"keysRemoved":  "baton:keysRemoved",
		"fingerprint":  "baton:fingerprint",
		"keyType":      "baton:keyType",
		"holder":       map[string]string{"@id": "baton:holder", "@type": "@id"},
		"moves":        "baton:moves",
		"right":        "baton:right",
		"before":       "baton:before",
		"after":        "baton:after",
		"revokes":      map[string]string{"@id": "baton:revokes", "@type": "@id"},
		"reason":       "baton:reason",
		"orphaned":     "baton:orphaned",
	},
}

// statementJSON is a statement on the wire. Person and notice references are ids (URLs).
type statementJSON struct {
	Context      any             `json:"@context"`
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Project      string          `json:"project"`
	Kind         string          `json:"noticeKind"`
	Author       string          `json:"author"`
	Text         string          `json:"text"`
	EffectiveAt  string          `json:"effectiveAt,omitempty"`
	EffectiveEnd string          `json:"effectiveEnd,omitempty"`
	Help         []string        `json:"help,omitempty"`
	Role         string          `json:"role,omitempty"`
	Requirements string          `json:"requirements,omitempty"`
	PublicCall   bool            `json:"publicCall,omitempty"`
	Term         string          `json:"stewardTerm,omitempty"`
	Outgoing     []string        `json:"outgoing,omitempty"`
	Incoming     []string        `json:"incoming,omitempty"`
	Mode         string          `json:"handoverMode,omitempty"`
	Rights       []string        `json:"rights,omitempty"`
	KeysAdded    []keyJSON       `json:"keysAdded,omitempty"`
	KeysRemoved  []keyJSON       `json:"keysRemoved,omitempty"`
	Moves        []moveJSON      `json:"moves,omitempty"`
	Revokes      []string        `json:"revokes,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Orphaned     bool            `json:"orphaned,omitempty"`
	Proof        json.RawMessage `json:"proof,omitempty"`
}

type keyJSON struct {
	Fingerprint string `json:"fingerprint"`
	Type        string `json:"keyType"`
	Holder      string `json:"holder,omitempty"`
}

type moveJSON struct {
	Right  string `json:"right"`
	Before string `json:"before,omitempty"`
	After  string `json:"after"`
}

// Statement is a statement as Baton reads it.
type Statement struct {
	ID      string        // urn:uuid:…, chosen by the author's client; unique
	Project string        // the project actor's id
	Notice  notice.Notice // Project is left as the caller sets it: a local name
	Raw     []byte        // the document as it came, proofs included
}

// ByProject reports whether the project itself is the statement's author: its instance's admin spoke
// for it while it had no maintainers. No person signs such a statement; the project's proof on the
// Note that carries it is the instance's word.
func (s Statement) ByProject() bool { return s.Notice.Author == s.Project }

// NewStatementID is a fresh id for a statement: a urn:uuid (version 4).
func NewStatementID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// StatementDocument writes an unsigned statement: id is a fresh urn:uuid, projectID the project
// actor's id; n's Author, From, To, key holders and Revokes are ids already.
func StatementDocument(id, projectID string, n notice.Notice) ([]byte, error) {
	s := statementJSON{Context: statementContext, ID: id, Type: StatementType, Project: projectID,
		Kind: string(n.Kind), Author: n.Author, Text: n.Text, Role: n.Role, Requirements: n.Requirements,
		PublicCall: n.Public, Term: n.Term.ISO(), Outgoing: n.From, Incoming: n.To, Mode: string(n.Mode), Revokes: n.Revokes,
		Reason: n.Reason, Orphaned: n.Orphaned, EffectiveAt: dateTime(n.Since), EffectiveEnd: dateTime(n.Until)}
	for _, h := range n.Help {
		s.Help = append(s.Help, string(h))
	}
	for _, r := range n.Scope {
		s.Rights = append(s.Rights, string(r))
	}
	s.KeysAdded, s.KeysRemoved = keysJSON(n.KeysAdded), keysJSON(n.KeysRemoved)
	for _, m := range n.Infra {
		s.Moves = append(s.Moves, moveJSON{Right: string(m.Field), Before: m.From, After: m.To})
	}
	return marshal(s)
}

func dateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func keysJSON(keys []notice.SigningKey) []keyJSON {
	var out []keyJSON
	for _, k := range keys {
		out = append(out, keyJSON{Fingerprint: k.Fingerprint, Type: string(k.Type), Holder: k.Holder})
	}
	return out
}

// typeAndID checks a signed document's type and its urn:uuid id, for a parser's list of problems.
func typeAndID(typ, want, id string) []error {
	var errs []error
	if typ != want {
		errs = append(errs, fmt.Errorf("type is %q, want %q", typ, want))
	}
	if !strings.HasPrefix(id, "urn:uuid:") || len(id) != len("urn:uuid:")+36 {
		errs = append(errs, fmt.Errorf("id %q is not a urn:uuid", id))
	}
	return errs
}

// ParseStatement reads a statement. It checks the shape only; notice.Notice.ValidateFull and the
// trust policy judge the content, and proof.Verify the proofs.
func ParseStatement(doc []byte) (Statement, error) {
	var s statementJSON
	if err := json.Unmarshal(doc, &s); err != nil {
		return Statement{}, fmt.Errorf("statement: %w", err)
	}
	errs := typeAndID(s.Type, StatementType, s.ID)
	if !isHTTPURL(s.Project) {
		errs = append(errs, fmt.Errorf("project %q is not an actor id", s.Project))
	}
	since, err := parseDateTime("effectiveAt", s.EffectiveAt)
	errs = append(errs, err)
	until, err := parseDateTime("effectiveEnd", s.EffectiveEnd)
	errs = append(errs, err)
	term, err := notice.ParseISOTerm(s.Term)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return Statement{}, fmt.Errorf("statement: %w", err)
	}
	n := notice.Notice{Kind: notice.Kind(s.Kind), Author: s.Author, Text: s.Text, Since: since, Until: until,
		Role: s.Role, Requirements: s.Requirements, Public: s.PublicCall, Term: term, From: s.Outgoing, To: s.Incoming,
		Mode: notice.Mode(s.Mode), Revokes: s.Revokes, Reason: s.Reason, Orphaned: s.Orphaned}
	for _, h := range s.Help {
		n.Help = append(n.Help, notice.Help(h))
	}
	for _, r := range s.Rights {
		n.Scope = append(n.Scope, notice.Right(r))
	}
	n.KeysAdded, n.KeysRemoved = signingKeys(s.KeysAdded), signingKeys(s.KeysRemoved)
	for _, m := range s.Moves {
		n.Infra = append(n.Infra, notice.InfraMove{Field: notice.Right(m.Right), From: m.Before, To: m.After})
	}
	return Statement{ID: s.ID, Project: s.Project, Notice: n, Raw: doc}, nil
}

func parseDateTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time", field, s)
	}
	return t.UTC(), nil
}

func signingKeys(keys []keyJSON) []notice.SigningKey {
	var out []notice.SigningKey
	for _, k := range keys {
		out = append(out, notice.SigningKey{Fingerprint: k.Fingerprint, Type: notice.KeyType(k.Type), Holder: k.Holder})
	}
	return out
}

// NoteStatement reads the statement a notice's Note carries.
func NoteStatement(note []byte) (Statement, error) {
	var n struct {
		Statement json.RawMessage `json:"statement"`
	}
	if err := json.Unmarshal(note, &n); err != nil {
		return Statement{}, fmt.Errorf("note: %w", err)
	}
	if n.Statement == nil {
		return Statement{}, errors.New("the note carries no statement")
	}
	return ParseStatement(n.Statement)
}

// EndorsementDocument is the Add a person sends the project's inbox on another instance to add their
// proof to a notice's statement: object is the statement as published, with their proof added;
// target is the notice (docs/federation.md).
func (u URLs) EndorsementDocument(person, addID, notice, project string, statement json.RawMessage) ([]byte, error) {
	if !json.Valid(statement) {
		return nil, errors.New("endorsement: the statement is not JSON")
	}
	add := vocab.AddNew(vocab.ID(addID), nil, vocab.IRI(notice))
	add.Actor = vocab.IRI(u.Actor(person))
	return document(add, ActivityStreamsContext, map[string]any{"object": statement, "target": notice, "to": []string{project}})
}

// Endorsement is an endorsement as an Add carries it.
type Endorsement struct {
	Notice    string          // the notice whose statement gains the proof (target)
	Statement json.RawMessage // the statement with it (object)
}

// ParseEndorsement reads the target and object of an endorsement's Add.
func ParseEndorsement(activity []byte) (Endorsement, error) {
	var doc struct {
		Object json.RawMessage `json:"object"`
		Target json.RawMessage `json:"target"`
	}
	if err := json.Unmarshal(activity, &doc); err != nil {
		return Endorsement{}, err
	}
	e := Endorsement{Notice: ReferenceID(doc.Target), Statement: doc.Object}
	switch {
	case e.Notice == "":
		return Endorsement{}, errors.New("the Add names no notice as its target")
	case len(e.Statement) == 0 || e.Statement[0] != '{':
		return Endorsement{}, errors.New("the Add carries no statement as its object")
	}
	return e, nil
}
