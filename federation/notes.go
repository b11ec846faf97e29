package federation

import (
	"encoding/json"
	"fmt"
	"time"

	vocab "github.com/go-ap/activitypub"
)

// noteContext is the @context of notices: ActivityStreams, Data Integrity for the proofs, the terms
// Mastodon reads on a Note, and Baton's own terms (docs/federation.md).
var noteContext = []any{
	ActivityStreamsContext,
	DataIntegrityContext,
	map[string]any{
		"toot":               "http://joinmastodon.org/ns#",
		"Hashtag":            "as:Hashtag",
		"sensitive":          "as:sensitive",
		"baton":              BatonNamespace,
		"xsd":                "http://www.w3.org/2001/XMLSchema#",
		"noticeKind":         "baton:noticeKind",
		"project":            map[string]string{"@id": "baton:project", "@type": "@id"},
		"effectiveAt":        map[string]string{"@id": "baton:effectiveAt", "@type": "xsd:dateTime"},
		"effectiveEnd":       map[string]string{"@id": "baton:effectiveEnd", "@type": "xsd:dateTime"},
		"revokedBy":          map[string]string{"@id": "baton:revokedBy", "@type": "@id"},
		"statement":          "baton:statement",
		"endorsed":           "baton:endorsed",
		"endorsementMissing": "baton:endorsementMissing",
	},
}

// Tag is a hashtag on a note.
type Tag struct {
	Name string // without '#'
	Href string
}

// NoteFields is a notice as the Note that carries it: the rendered text for people, and the
// structured fields for software.
type NoteFields struct {
	ID          int64
	Actor       string // the local actor that publishes it
	ContentHTML string
	Summary     string // a content warning; empty for none
	Published   time.Time
	Updated     time.Time // when endorsements were last added; zero if never
	Public      bool      // to Public, cc followers; otherwise only To
	To          []string  // actor ids, for notices that are not public
	Tags        []Tag
	Kind        string
	Since       time.Time
	Until       time.Time
	Statement   json.RawMessage // the maintainer-signed statement, with its proofs; nil for notices without one
	Endorsed    *bool           // whether the trust policy is met; nil where it asks nothing
	Missing     []string        // what the trust policy still asks for
	RevokedBy   string          // the revocation that withdrew it; empty while it stands
	Language    string          // the language of the content (BCP 47, e.g. "en"), for contentMap; empty: unsaid
}

// NoteDocument writes the Note for a notice, ready to be signed with proof.Sign.
func (u URLs) NoteDocument(n NoteFields) ([]byte, error) {
	note := vocab.ObjectNew(vocab.NoteType)
	note.ID = vocab.ID(u.Notice(n.ID))
	note.AttributedTo = vocab.IRI(u.Actor(n.Actor))
	note.URL = vocab.IRI(u.Notice(n.ID))
	note.Published = n.Published.UTC().Truncate(time.Second)
	to, cc := u.addressing(n.Actor, n.Public, n.To)
	extra := map[string]any{
		"content":    n.ContentHTML,
		"to":         to,
		"cc":         cc,
		"sensitive":  n.Summary != "",
		"tag":        hashtags(n.Tags),
		"noticeKind": n.Kind,
		"project":    u.Actor(n.Actor),
	}
	if n.Summary != "" {
		extra["summary"] = n.Summary
	}
	if n.Language != "" {
		extra["contentMap"] = map[string]string{n.Language: n.ContentHTML}
	}
	if !n.Since.IsZero() {
		extra["effectiveAt"] = n.Since.UTC().Format(time.RFC3339)
	}
	if !n.Until.IsZero() {
		extra["effectiveEnd"] = n.Until.UTC().Format(time.RFC3339)
	}
	if n.Statement != nil {
		extra["statement"] = n.Statement
	}
	if !n.Updated.IsZero() {
		extra["updated"] = n.Updated.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	if n.RevokedBy != "" {
		extra["revokedBy"] = n.RevokedBy
	}
	if n.Endorsed != nil {
		extra["endorsed"] = *n.Endorsed
		extra["endorsementMissing"] = append([]string{}, n.Missing...)
	}
	return document(note, noteContext, extra)
}

// addressing gives to and cc: public notices go to Public with the followers in cc, so Mastodon shows
// them as public posts; others go to the named actors alone. (go-ap drops the Public IRI from to and
// cc, so addressing is always written here.)
func (u URLs) addressing(actor string, public bool, named []string) (to, cc []string) {
	if public {
		return []string{Public}, []string{u.Followers(actor)}
	}
	return append([]string{}, named...), []string{}
}

func hashtags(tags []Tag) []map[string]string {
	out := make([]map[string]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, map[string]string{"type": "Hashtag", "name": "#" + t.Name, "href": t.Href})
	}
	return out
}

// CreateDocument wraps a signed note in the Create that delivers it. The note is embedded as it was
// signed (compacted: whitespace is not part of what a proof covers), so its proofs verify at the
// receiver.
func (u URLs) CreateDocument(noticeID int64, actor string, public bool, to []string, signedNote []byte, published time.Time) ([]byte, error) {
	if !json.Valid(signedNote) {
		return nil, fmt.Errorf("create: the note is not valid JSON")
	}
	create := vocab.CreateNew(vocab.ID(u.NoticeActivity(noticeID)), vocab.IRI(u.Notice(noticeID)))
	create.Actor = vocab.IRI(u.Actor(actor))
	create.Published = published.UTC().Truncate(time.Second)
	toList, cc := u.addressing(actor, public, to)
	return document(create, noteContext, map[string]any{
		"object": json.RawMessage(signedNote),
		"to":     toList,
		"cc":     cc,
	})
}

// AcceptDocument answers a Follow: signed by the followed actor, with the Follow embedded trimmed to
// its id, type, actor and object. Mastodon matches an Accept to its pending follow by the Follow's id
// and actor; the rest of the Follow is the sender's to choose, and a Follow padded to the inbox's
// limit would otherwise be copied into every Accept queued for it.
func (u URLs) AcceptDocument(actor, acceptID string, follow json.RawMessage, follower string) ([]byte, error) {
	var doc struct {
		ID     string          `json:"id"`
		Actor  json.RawMessage `json:"actor"`
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(follow, &doc); err != nil || doc.ID == "" {
		return nil, fmt.Errorf("accept: the Follow is not a JSON document with an id")
	}
	trimmed := map[string]any{"id": doc.ID, "type": "Follow", "actor": ReferenceID(doc.Actor), "object": ReferenceID(doc.Object)}
	accept := vocab.AcceptNew(vocab.ID(acceptID), nil)
	accept.Actor = vocab.IRI(u.Actor(actor))
	return document(accept, ActivityStreamsContext, map[string]any{
		"object": trimmed,
		"to":     []string{follower},
	})
}

// OrderedCollection writes a collection's head: its size and, when it has items to page through, the
// first page.
func OrderedCollection(id string, total int, first string) ([]byte, error) {
	c := vocab.OrderedCollectionNew(vocab.ID(id))
	c.TotalItems = uint(total)
	extra := map[string]any{}
	if first != "" {
		extra["first"] = first
	}
	return document(c, ActivityStreamsContext, extra)
}

// OrderedCollectionPage writes one page of a collection; items are embedded as they are, next is the
// following page ("" on the last).
func OrderedCollectionPage(id, partOf, next string, items []json.RawMessage) ([]byte, error) {
	page := vocab.OrderedCollectionPageNew(vocab.OrderedCollectionNew(vocab.ID(partOf)))
	page.ID = vocab.ID(id)
	page.PartOf = vocab.IRI(partOf)
	if items == nil {
		items = []json.RawMessage{}
	}
	// go-ap writes totalItems: 0 on a page; the collection's head says how many there are.
	extra := map[string]any{"orderedItems": items, "totalItems": nil}
	if next != "" {
		extra["next"] = next
	}
	return document(page, ActivityStreamsContext, extra)
}

// NoteView is what pages and feeds show of a stored notice's Note.
type NoteView struct {
	ID              string
	ContentHTML     string
	Kind            string
	Published       time.Time
	Since           time.Time
	Until           time.Time
	Proofs          []ProofView     // the project's, on the Note
	StatementProofs []ProofView     // the people's, on the statement
	Statement       json.RawMessage // nil for notices without a statement
	Endorsed        *bool
	Missing         []string
	Updated         time.Time // when it was last rendered again (endorsed, revoked); zero if never
	RevokedBy       string    // the revocation that withdrew it
}

// ProofView names one proof on a note.
type ProofView struct {
	VerificationMethod string
	Created            string
}

// ParseNote reads a Note written by NoteDocument.
func ParseNote(doc []byte) (NoteView, error) {
	var n struct {
		ID           string          `json:"id"`
		Content      string          `json:"content"`
		Kind         string          `json:"noticeKind"`
		Published    string          `json:"published"`
		EffectiveAt  string          `json:"effectiveAt"`
		EffectiveEnd string          `json:"effectiveEnd"`
		Proof        json.RawMessage `json:"proof"`
		Statement    json.RawMessage `json:"statement"`
		Endorsed     *bool           `json:"endorsed"`
		Missing      []string        `json:"endorsementMissing"`
		Updated      string          `json:"updated"`
		RevokedBy    string          `json:"revokedBy"`
	}
	if err := json.Unmarshal(doc, &n); err != nil {
		return NoteView{}, fmt.Errorf("note: %w", err)
	}
	v := NoteView{ID: n.ID, ContentHTML: n.Content, Kind: n.Kind, Statement: n.Statement, Endorsed: n.Endorsed, Missing: n.Missing, RevokedBy: n.RevokedBy}
	v.Updated, _ = time.Parse(time.RFC3339, n.Updated)
	v.Published, _ = time.Parse(time.RFC3339, n.Published)
	v.Since, _ = time.Parse(time.RFC3339, n.EffectiveAt)
	v.Until, _ = time.Parse(time.RFC3339, n.EffectiveEnd)
	v.Proofs = proofViews(n.Proof)
	if n.Statement != nil {
		var st struct {
			Proof json.RawMessage `json:"proof"`
		}
		json.Unmarshal(n.Statement, &st)
		v.StatementProofs = proofViews(st.Proof)
	}
	return v, nil
}

// proofViews reads a proof or a proof set.
func proofViews(raw json.RawMessage) []ProofView {
	var proofs []ProofView
	if json.Unmarshal(raw, &proofs) != nil {
		var one ProofView
		if json.Unmarshal(raw, &one) == nil {
			proofs = []ProofView{one}
		}
	}
	return proofs
}

// UpdateNoteID is the id of an Update of a notice: unique to the nanosecond, since several endorsements
// may arrive within one second and a receiver must not take the second Update for a repeat of the first.
func (u URLs) UpdateNoteID(noticeID int64, at time.Time) string {
	return fmt.Sprintf("%s#updates/%d", u.Notice(noticeID), at.UnixNano())
}

// UpdateNoteDocument sends a notice's Note again after it changed (endorsements were added); Mastodon
// shows it as an edit. The note is embedded as signed; published is dated to the second.
func (u URLs) UpdateNoteDocument(updateID string, noticeID int64, actor string, public bool, to []string, signedNote []byte, at time.Time) ([]byte, error) {
	update := vocab.UpdateNew(vocab.ID(updateID), nil)
	update.Actor = vocab.IRI(u.Actor(actor))
	update.Published = at.UTC().Truncate(time.Second)
	toList, cc := u.addressing(actor, public, to)
	return document(update, noteContext, map[string]any{"object": json.RawMessage(signedNote), "to": toList, "cc": cc})
}

// UpdateDocument announces a new version of a local actor's own document (its profile fields changed),
// so followers' servers refresh it without waiting to refetch it.
func (u URLs) UpdateDocument(actor, updateID string, actorDoc []byte, published time.Time) ([]byte, error) {
	update := vocab.UpdateNew(vocab.ID(updateID), nil)
	update.Actor = vocab.IRI(u.Actor(actor))
	update.Published = published.UTC().Truncate(time.Second)
	to, cc := u.addressing(actor, true, nil)
	return document(update, actorContext, map[string]any{
		"object": json.RawMessage(actorDoc),
		"to":     to,
		"cc":     cc,
	})
}
