package inbox

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
)

// Answers to a project's call for stewards: an Offer carrying a person's signed offer, verified like a
// statement and stored to be counted; or a reply to the call's Note from a fediverse account, kept as
// an expression of interest and never counted as an offer.

// MaxAnswersPerCall bounds the answers of each kind (signed offers, replies) a call keeps: each person
// has one of each kind, but persons are cheap to make.
const MaxAnswersPerCall = 500

// OfferMaxAge is how old an offer's proof may be when it arrives: a delivery is retried for about three
// days.
const OfferMaxAge = 4 * 24 * time.Hour

// offer verifies and stores a signed offer to answer one of this instance's calls.
func (ib *Inbox) offer(ctx context.Context, a activity) verdict {
	if len(a.Object.Raw) == 0 || a.Object.Raw[0] != '{' {
		return rejected(http.StatusUnprocessableEntity, "bad_offer", "the Offer must embed the signed offer as its object")
	}
	o, err := federation.ParseOfferStatement(a.Object.Raw)
	if err != nil {
		return rejected(http.StatusUnprocessableEntity, "bad_offer", "%v", err)
	}
	if o.Author != a.Actor {
		return rejected(http.StatusUnprocessableEntity, "bad_offer", "the offer is by %s but was sent by %s: each person sends their own", o.Author, a.Actor)
	}
	call, v, ok := ib.openCall(ctx, o.Call)
	if !ok {
		return v
	}
	if o.Project != ib.urls.Actor(call.Actor) {
		return rejected(http.StatusUnprocessableEntity, "bad_offer", "the offer names project %s, but the call is %s's", o.Project, ib.urls.Actor(call.Actor))
	}
	if v, ok := ib.checkAddressed(ctx, call, o.Author); !ok {
		return v
	}
	if v, ok := ib.checkOfferer(ctx, o); !ok {
		return v
	}
	stored := store.Offer{ID: o.ID, Project: call.Actor, Call: call.ID, Person: o.Author, Signed: true, Text: o.Text,
		Until: o.Until, Document: o.Raw, Received: ib.now()}
	return ib.keepAnswer(ctx, stored)
}

// checkOfferer checks that the offer's one proof was made, recently, with a key in use that the
// sender's actor, a Person, publishes at its origin.
func (ib *Inbox) checkOfferer(ctx context.Context, o federation.OfferStatement) (verdict, bool) {
	person, err := ib.resolver.Actor(ctx, o.Author)
	if err != nil {
		return unavailable("actor_unavailable", "could not fetch the offering person's actor", err), false
	}
	if person.Type != "Person" {
		return rejected(http.StatusUnprocessableEntity, "bad_offer", "%s is a %s: only a Person may offer to step in", o.Author, person.Type), false
	}
	var unreachable error
	proofs, err := proof.Verify(o.Raw, func(vm string) (ed25519.PublicKey, error) {
		if before, _, _ := strings.Cut(vm, "#"); before != o.Author {
			return nil, fmt.Errorf("%s is not a key of %s", vm, o.Author)
		}
		keys, err := ib.resolver.AssertionKeys(ctx, o.Author)
		if err != nil {
			unreachable = err
			return nil, err
		}
		for _, k := range keys {
			if k.ID == vm && k.Revoked.IsZero() {
				return k.Key, nil
			}
			if k.ID == vm {
				return nil, fmt.Errorf("the key %s was revoked on %s", vm, k.Revoked.Format(notice.Date))
			}
		}
		return nil, fmt.Errorf("%s does not list the key %s", o.Author, vm)
	})
	switch {
	case unreachable != nil:
		return unavailable("actor_unavailable", "could not fetch the offering person's keys", unreachable), false
	case err != nil:
		return rejected(http.StatusUnprocessableEntity, "bad_offer", "the offer's proof: %v", err), false
	case len(proofs) != 1:
		return rejected(http.StatusUnprocessableEntity, "bad_offer", "an offer carries exactly one proof, its person's; it has %d", len(proofs)), false
	}
	if age := ib.now().Sub(proofs[0].Created); age > OfferMaxAge || age < -5*time.Minute {
		return rejected(http.StatusUnprocessableEntity, "bad_offer", "the offer was signed at %s, too far from now", proofs[0].Created.Format(time.RFC3339)), false
	}
	return verdict{}, true
}

// openCall finds the local call for stewards url names, and says why it cannot be answered.
func (ib *Inbox) openCall(ctx context.Context, url string) (store.Notice, verdict, bool) {
	id := ib.urls.LocalNoticeID(url)
	if id == 0 {
		return store.Notice{}, rejected(http.StatusUnprocessableEntity, "bad_offer", "%s is not a notice of this instance", url), false
	}
	n, err := ib.store.Notice(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Notice{}, rejected(http.StatusUnprocessableEntity, "bad_offer", "there is no notice %s", url), false
	}
	if err != nil {
		return store.Notice{}, ib.storeFailed(err), false
	}
	if n.Kind != string(notice.CallForStewards) {
		return store.Notice{}, rejected(http.StatusUnprocessableEntity, "bad_offer", "%s is a %s, not a call for stewards", url, n.Kind), false
	}
	st, err := federation.NoteStatement(n.Document)
	if err != nil {
		return store.Notice{}, rejected(http.StatusUnprocessableEntity, "bad_offer", "%s carries no signed call", url), false
	}
	if err := st.Notice.Open(ib.now()); err != nil {
		return store.Notice{}, rejected(http.StatusUnprocessableEntity, "call_closed", "the call %s cannot be answered: %v", url, err), false
	}
	if v, err := federation.ParseNote(n.Document); err == nil && v.RevokedBy != "" {
		return store.Notice{}, rejected(http.StatusUnprocessableEntity, "call_closed", "the call %s was revoked by %s", url, v.RevokedBy), false
	}
	return n, verdict{}, true
}

// keepAnswer stores an answer, within the call's bound.
func (ib *Inbox) keepAnswer(ctx context.Context, o store.Offer) verdict {
	answers, err := ib.store.Offers(ctx, o.Project)
	if err != nil {
		return ib.storeFailed(err)
	}
	// Signed offers and replies are bounded apart, so replies from the fediverse, which anyone can
	// send, never crowd out an offer.
	n := 0
	for _, other := range answers {
		if other.Call == o.Call && other.Signed == o.Signed && other.Person != o.Person {
			n++
		}
	}
	if n >= MaxAnswersPerCall {
		what := "replies"
		if o.Signed {
			what = "signed offers"
		}
		return rejected(http.StatusUnprocessableEntity, "call_full", "the call has %d %s, as many as it keeps", n, what)
	}
	switch err := ib.store.PutOffer(ctx, o); {
	case errors.Is(err, store.ErrConflict):
		return rejected(http.StatusConflict, "offer_accepted", "your earlier offer to this call was accepted already; it stands")
	case errors.Is(err, store.ErrExists):
		return rejected(http.StatusConflict, "offer_exists", "another answer has the id %s", o.ID)
	case err != nil:
		return ib.storeFailed(err)
	}
	label := "interest"
	if o.Signed {
		label = "offer"
	}
	ib.log.Info("answer to a call for stewards", "kind", label, "project", o.Project, "call", o.Call, "person", o.Person)
	return accepted(label, "")
}

// replyJSON is what is read of a reply Note.
type replyJSON struct {
	ID           string          `json:"id"`
	Type         json.RawMessage `json:"type"`
	AttributedTo json.RawMessage `json:"attributedTo"`
	InReplyTo    json.RawMessage `json:"inReplyTo"`
	Content      string          `json:"content"`
}

// replyToCall keeps a Create of a Note that replies to one of this instance's open calls as an
// expression of interest; false when the activity is something else.
func (ib *Inbox) replyToCall(ctx context.Context, a activity) (verdict, bool) {
	if a.Type != "Create" || a.Object.Type != "Note" || ib.urls.LocalNoticeID(federation.ReferenceID(a.Object.InReplyTo)) == 0 {
		return verdict{}, false
	}
	var note replyJSON
	if json.Unmarshal(a.Object.Raw, &note) != nil {
		return verdict{}, false
	}
	inReplyTo := federation.ReferenceID(note.InReplyTo)
	if ib.urls.LocalNoticeID(inReplyTo) == 0 {
		return verdict{}, false
	}
	call, v, ok := ib.openCall(ctx, inReplyTo)
	if !ok {
		if v.status == http.StatusUnprocessableEntity {
			// A reply to a notice that is no call, or to a closed one, is a reply like any other.
			return ignored(v.reason), true
		}
		return v, true
	}
	if federation.ReferenceID(note.AttributedTo) != a.Actor || origin(note.ID) != origin(a.Actor) || len(note.ID) > MaxIDBytes {
		return rejected(http.StatusUnprocessableEntity, "bad_reply", "the reply is not %s's own Note", a.Actor), true
	}
	text := plainText(note.Content)
	if r := []rune(text); len(r) > federation.MaxOfferText {
		text = string(r[:federation.MaxOfferText]) + "…"
	}
	return ib.keepAnswer(ctx, store.Offer{ID: note.ID, Project: call.Actor, Call: call.ID, Person: a.Actor, Text: text,
		Document: a.Object.Raw, Received: ib.now()}), true
}

var (
	htmlBreaks = regexp.MustCompile(`(?i)<br\s*/?>|</p>\s*<p[^>]*>`)
	htmlTags   = regexp.MustCompile(`<[^>]*>`)
)

// plainText turns a fediverse post's HTML into plain text: stewards read it in a terminal.
func plainText(s string) string {
	s = htmlBreaks.ReplaceAllString(s, "\n")
	return strings.TrimSpace(html.UnescapeString(htmlTags.ReplaceAllString(s, "")))
}

// checkAddressed checks that a call that is not public may be answered by person: one of the stewards
// on other instances it is addressed to, still a steward as their own actor says.
func (ib *Inbox) checkAddressed(ctx context.Context, call store.Notice, person string) (verdict, bool) {
	if call.Public {
		return verdict{}, true
	}
	if !slices.Contains(federation.Addressees(call.Document), person) || ib.urls.LocalActorName(person) != "" {
		return rejected(http.StatusUnprocessableEntity, "not_addressed", "the call is addressed to stewards only, and %s is not one it is addressed to", person), false
	}
	p, err := ib.resolver.RemotePerson(ctx, person)
	if err != nil {
		return unavailable("actor_unavailable", "could not fetch the offering person's actor", err), false
	}
	if p.StewardSince.IsZero() {
		return rejected(http.StatusUnprocessableEntity, "not_addressed", "%s is no longer a steward of their instance, as their actor says", person), false
	}
	return verdict{}, true
}
