package federation

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// An offer answers a call for stewards: a small statement a person signs with their Ed25519 key, as
// maintainers sign notices (one eddsa-jcs-2022 proof), carried as the object of an ActivityStreams
// Offer that the person's actor sends, HTTP-signed, to the calling project's inbox.

// OfferStatementType is the type of the statement a person signs to offer to step in.
const OfferStatementType = "StewardOffer"

// MaxOfferText bounds an offer's words: a few paragraphs about oneself, not a CV.
const MaxOfferText = 2000

var offerContext = []any{
	DataIntegrityContext,
	map[string]any{
		"baton":        BatonNamespace,
		"xsd":          "http://www.w3.org/2001/XMLSchema#",
		"id":           "@id",
		"type":         "@type",
		"StewardOffer": "baton:StewardOffer",
		"call":         map[string]string{"@id": "baton:call", "@type": "@id"},
		"project":      map[string]string{"@id": "baton:project", "@type": "@id"},
		"author":       map[string]string{"@id": "baton:author", "@type": "@id"},
		"text":         "baton:text",
		"effectiveEnd": map[string]string{"@id": "baton:effectiveEnd", "@type": "xsd:dateTime"},
	},
}

type offerJSON struct {
	Context any             `json:"@context"`
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Call    string          `json:"call"`
	Project string          `json:"project"`
	Author  string          `json:"author"`
	Text    string          `json:"text"`
	Until   string          `json:"effectiveEnd,omitempty"`
	Proof   json.RawMessage `json:"proof,omitempty"`
}

// OfferStatement is a person's offer to answer a call, as Baton reads it.
type OfferStatement struct {
	ID      string    // urn:uuid:…, chosen by the person's client
	Call    string    // the call's notice id (URL)
	Project string    // the calling project's actor id
	Author  string    // the person's actor id
	Text    string    // their words
	Until   time.Time // until when they offer to serve; zero: the term the call names
	Raw     []byte    // the document as it came, proof included
}

// OfferStatementDocument writes an unsigned offer.
func OfferStatementDocument(o OfferStatement) ([]byte, error) {
	return marshal(offerJSON{Context: offerContext, ID: o.ID, Type: OfferStatementType, Call: o.Call, Project: o.Project,
		Author: o.Author, Text: o.Text, Until: dateTime(o.Until)})
}

// ParseOfferStatement reads an offer and checks its shape: its proof is checked apart.
func ParseOfferStatement(doc []byte) (OfferStatement, error) {
	var s offerJSON
	if err := json.Unmarshal(doc, &s); err != nil {
		return OfferStatement{}, fmt.Errorf("offer: %w", err)
	}
	errs := typeAndID(s.Type, OfferStatementType, s.ID)
	for _, f := range []struct{ name, value string }{{"call", s.Call}, {"project", s.Project}, {"author", s.Author}} {
		if !isHTTPURL(f.value) || len(f.value) > 2048 {
			errs = append(errs, fmt.Errorf("%s %q is not an http(s) URL of at most 2048 bytes", f.name, f.value))
		}
	}
	text := strings.TrimSpace(s.Text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		errs = append(errs, errors.New("text is empty: say who you are and what you would do"))
	case n > MaxOfferText:
		errs = append(errs, fmt.Errorf("text is %d characters long; at most %d", n, MaxOfferText))
	}
	until, err := parseDateTime("effectiveEnd", s.Until)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return OfferStatement{}, fmt.Errorf("offer: %w", err)
	}
	return OfferStatement{ID: s.ID, Call: s.Call, Project: s.Project, Author: s.Author, Text: text, Until: until, Raw: doc}, nil
}

// OfferActivityID is the id of the Offer a person's actor sends: on the person's actor, not fetchable.
func OfferActivityID(personActor, statementID string) string {
	return personActor + "#offers/" + strings.TrimPrefix(statementID, "urn:uuid:")
}

// OfferDocument wraps a signed offer in the Offer activity the person's actor sends to the calling
// project: object the statement, target the call, addressed to the project alone.
func OfferDocument(o OfferStatement, signed []byte) ([]byte, error) {
	return marshal(map[string]any{
		"@context":  ActivityStreamsContext,
		"id":        OfferActivityID(o.Author, o.ID),
		"type":      "Offer",
		"actor":     o.Author,
		"object":    json.RawMessage(signed),
		"target":    o.Call,
		"to":        []string{o.Project},
		"summary":   "Offer to answer the call for stewards " + o.Call,
		"published": time.Now().UTC().Format(time.RFC3339),
	})
}

// Record is where an instance serves what it knows of a person's track record.
func (u URLs) Record(name string) string { return u.Actor(name) + "/record" }
