package web

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"baton/refusal"
	"baton/relief"
	"baton/store"
)

// Confidential relief cases. Every request is signed by its sender's own key and checked as a
// steward's query is (ledger.SignedQuery: fresh, used once); every message arrives sealed to the
// participants' keys, which the instance checks from the age header without reading a word. To
// anyone but a participant (and the admin, who sees only what the store holds: who, when), a case
// that exists answers as one that does not.

// CaseView is a case as a participant or the admin reads it.
type CaseView struct {
	ID           string                `json:"id"`
	URL          string                `json:"url"`
	Project      string                `json:"project"`
	Opener       string                `json:"opener"`
	Participants []CaseParticipantView `json:"participants"`
	Opened       string                `json:"opened"`
	Closed       string                `json:"closed,omitempty"`
	ClosedBy     string                `json:"closed_by,omitempty"`
	LedTo        string                `json:"led_to,omitempty"` // the URL of the notice the case led to
	Messages     []CaseMessageView     `json:"messages"`
}

// CaseParticipantView is one participant: their actor id, name and since when.
type CaseParticipantView struct {
	Person string `json:"person"`
	Name   string `json:"name"`
	Since  string `json:"since"`
}

// CaseMessageView is one message: who wrote it and when, and for participants its sealed envelope.
type CaseMessageView struct {
	Author   string          `json:"author"`
	Signer   string          `json:"signer"`
	Written  string          `json:"written"`
	Envelope json.RawMessage `json:"envelope,omitempty"`
}

// maxShare bounds a share request: every message of a case, sealed again.
const maxShare = 16 << 20

func (s *Server) caseURL(id string) string { return s.urls.Home() + "relief/" + id }

func (s *Server) caseView(c store.Case, sealed bool) CaseView {
	v := CaseView{ID: c.ID, URL: s.caseURL(c.ID), Project: c.Project, Opener: c.Opener, Opened: c.Opened.UTC().Format(time.RFC3339),
		ClosedBy: c.ClosedBy, Messages: []CaseMessageView{}}
	for _, p := range c.Participants {
		v.Participants = append(v.Participants, CaseParticipantView{Person: p.Person, Name: s.urls.LocalActorName(p.Person),
			Since: p.Since.UTC().Format(time.RFC3339)})
	}
	if !c.Closed.IsZero() {
		v.Closed = c.Closed.UTC().Format(time.RFC3339)
	}
	if c.LedTo != 0 {
		v.LedTo = s.urls.Notice(c.LedTo)
	}
	for _, m := range c.Messages {
		mv := CaseMessageView{Author: m.Author, Signer: m.Signer, Written: m.Written.UTC().Format(time.RFC3339)}
		if sealed {
			mv.Envelope = m.Envelope
		}
		v.Messages = append(v.Messages, mv)
	}
	return v
}

// caseError answers a refused relief request: a refusal or store error as storeError does, and a case
// another participant wrote to while this request was checked as 409, to send again.
func (s *Server) caseError(w http.ResponseWriter, err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, store.ErrConflict) {
		writeError(w, http.StatusConflict, "the case changed while this request was checked: send it again")
		return true
	}
	s.storeError(w, err, "case")
	return true
}

var errNoCase = refusal.New(http.StatusNotFound, "case not found")

// participantCase reads a case for a person who takes part in it; to anyone else it does not exist.
func (s *Server) participantCase(ctx context.Context, id, person string) (store.Case, error) {
	if !relief.ValidCaseID(id) {
		return store.Case{}, errNoCase
	}
	c, err := s.store.Case(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !c.Participant(person)) {
		return store.Case{}, errNoCase
	}
	return c, err
}

// keysInUse returns the keys in use of every person named (actor ids): the keys a message to them is
// sealed to, as their Person actors publish them.
func (s *Server) keysInUse(ctx context.Context, people []string) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	for _, id := range people {
		keys, err := s.store.PersonKeys(ctx, s.urls.LocalActorName(id))
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if k.Revoked.IsZero() {
				out = append(out, ed25519.PublicKey(k.PublicKey))
			}
		}
	}
	return out, nil
}

func participantIDs(c store.Case) []string {
	ids := make([]string, len(c.Participants))
	for i, p := range c.Participants {
		ids[i] = p.Person
	}
	return ids
}

// checkSealed refuses an envelope not sealed to exactly the keys in use of people.
func (s *Server) checkSealed(ctx context.Context, e relief.Envelope, people []string) error {
	keys, err := s.keysInUse(ctx, people)
	if err != nil {
		return err
	}
	if err := relief.CheckRecipients(e.Ciphertext, keys); err != nil {
		return refusal.New(http.StatusUnprocessableEntity, "message %d: %v (a participant's keys may have changed: send it again)", e.Index, err)
	}
	return nil
}

// signedEnvelope checks a message a participant sends: signed by its author, fresh, sent once.
func (s *Server) signedEnvelope(ctx context.Context, body []byte) (relief.Envelope, error) {
	person, err := s.ledger.SignedQuery(ctx, body, relief.EnvelopeType)
	if err != nil {
		return relief.Envelope{}, err
	}
	e, err := relief.ParseEnvelope(body)
	if err != nil {
		return e, refusal.New(http.StatusBadRequest, "%v", err)
	}
	if e.Author != person {
		return e, refusal.New(http.StatusUnprocessableEntity, "the message says it was written by %s, and is signed by %s: sign your own words", e.Author, person)
	}
	return e, nil
}

// openCase answers POST /api/v1/relief/cases: a maintainer opens a case with its first message,
// sealed to themselves and every current steward.
func (s *Server) openCase(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, relief.MaxEnvelope, "message")
	if !ok {
		return
	}
	c, err := s.newCase(r.Context(), body)
	if s.caseError(w, err) {
		return
	}
	s.log.Info("relief case opened", "project", c.Project)
	writeJSON(w, http.StatusCreated, "application/json", s.caseView(c, false))
}

func (s *Server) newCase(ctx context.Context, body []byte) (store.Case, error) {
	e, err := s.signedEnvelope(ctx, body)
	if err != nil {
		return store.Case{}, err
	}
	if e.Project == "" || e.Index != 0 {
		return store.Case{}, refusal.New(http.StatusBadRequest, "the message that opens a case names its project and is message 0")
	}
	if _, err := store.Project(ctx, s.store, e.Project); err != nil {
		return store.Case{}, err
	}
	maintains, err := s.ledger.Maintains(ctx, e.Project, e.Author)
	if err != nil {
		return store.Case{}, err
	}
	if !maintains {
		return store.Case{}, refusal.New(http.StatusForbidden, "%s is not a maintainer of %s: a relief case is a maintainer's", e.Author, e.Project)
	}
	stewards, err := s.store.RoleHolders(ctx, "")
	if err != nil {
		return store.Case{}, err
	}
	if len(stewards) == 0 {
		return store.Case{}, refusal.New(http.StatusConflict, "this instance has no stewards yet, so nobody could read the case: ask its admin to name some (baton steward add)")
	}
	now := s.now().UTC()
	c := store.Case{ID: e.Case, Project: e.Project, Opener: e.Author, Opened: now,
		Participants: []store.CaseParticipant{{Person: e.Author, Since: now}}}
	for _, st := range stewards {
		if id := s.urls.Actor(st.Person); !c.Participant(id) {
			c.Participants = append(c.Participants, store.CaseParticipant{Person: id, Since: now})
		}
	}
	if err := s.checkSealed(ctx, e, participantIDs(c)); err != nil {
		return store.Case{}, err
	}
	c.Messages = []store.CaseMessage{{Author: e.Author, Signer: e.Author, Written: now, Envelope: body}}
	if err := s.store.CreateCase(ctx, c); errors.Is(err, store.ErrExists) {
		return store.Case{}, refusal.New(http.StatusConflict, "a case with id %s exists: choose another id", e.Case)
	} else if err != nil {
		return store.Case{}, err
	}
	return c, nil
}

// replyCase answers POST /api/v1/relief/cases/{id}/messages: a participant adds a message.
func (s *Server) replyCase(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, relief.MaxEnvelope, "message")
	if !ok {
		return
	}
	c, err := s.addMessage(r.Context(), r.PathValue("id"), body)
	if s.caseError(w, err) {
		return
	}
	writeJSON(w, http.StatusCreated, "application/json", s.caseView(c, false))
}

func (s *Server) addMessage(ctx context.Context, id string, body []byte) (store.Case, error) {
	e, err := s.signedEnvelope(ctx, body)
	if err != nil {
		return store.Case{}, err
	}
	c, err := s.participantCase(ctx, id, e.Author)
	switch {
	case err != nil:
		return c, err
	case e.Case != c.ID || e.Project != "":
		return c, refusal.New(http.StatusBadRequest, "the message is for case %s, sent to case %s", e.Case, c.ID)
	case !c.Closed.IsZero():
		return c, refusal.New(http.StatusConflict, "the case was closed on %s", c.Closed.UTC().Format(time.RFC3339))
	case e.Index != len(c.Messages):
		return c, refusal.New(http.StatusConflict, "the message is number %d, and the case has %d: read it again and send it again", e.Index, len(c.Messages))
	}
	if err := s.checkSealed(ctx, e, participantIDs(c)); err != nil {
		return c, err
	}
	c.Messages = append(c.Messages, store.CaseMessage{Author: e.Author, Signer: e.Author, Written: s.now().UTC(), Envelope: body})
	return c, s.store.UpdateCase(ctx, c)
}

// signedCaseQuery checks a participant's signed query about a case (or, without a case, about theirs).
func (s *Server) signedCaseQuery(ctx context.Context, body []byte, typ string) (string, relief.Query, error) {
	person, err := s.ledger.SignedQuery(ctx, body, typ)
	if err != nil {
		return "", relief.Query{}, err
	}
	var q relief.Query
	if err := json.Unmarshal(body, &q); err != nil {
		return "", q, refusal.New(http.StatusBadRequest, "the query: %v", err)
	}
	return person, q, nil
}

// readCases answers POST /api/v1/relief/read: with a case, that case with its sealed messages, for a
// participant; without, the cases the sender takes part in, newest first.
func (s *Server) readCases(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, 16<<10, "query")
	if !ok {
		return
	}
	person, q, err := s.signedCaseQuery(r.Context(), body, relief.QueryType)
	if s.caseError(w, err) {
		return
	}
	if q.Case != "" {
		c, err := s.participantCase(r.Context(), q.Case, person)
		if s.caseError(w, err) {
			return
		}
		writeJSON(w, http.StatusOK, "application/json", s.caseView(c, true))
		return
	}
	s.writeCases(w, r, func(c store.Case) bool { return c.Participant(person) })
}

// listCases answers GET /api/v1/relief/cases for the admin: every case's metadata, never a message.
func (s *Server) listCases(w http.ResponseWriter, r *http.Request) {
	s.writeCases(w, r, func(store.Case) bool { return true })
}

// caseMetadata answers GET /relief/{id}, a case's link, for the admin: its metadata. Anyone else is
// asked for the token, whether the case exists or not.
func (s *Server) caseMetadata(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !relief.ValidCaseID(id) {
		writeError(w, http.StatusNotFound, "case not found")
		return
	}
	c, err := s.store.Case(r.Context(), id)
	if s.caseError(w, err) {
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	writeJSON(w, http.StatusOK, "application/json", s.caseView(c, false))
}

func (s *Server) writeCases(w http.ResponseWriter, r *http.Request, include func(store.Case) bool) {
	cases, err := s.store.ListCases(r.Context())
	if s.caseError(w, err) {
		return
	}
	out := []CaseView{}
	for _, c := range slices.Backward(cases) {
		if include(c) {
			out = append(out, s.caseView(c, false))
		}
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

// shareCase answers POST /api/v1/relief/cases/{id}/share: a steward who takes part shares the case
// with a steward who joined later, sending every message sealed again (on their machine) to the
// participants and the newcomer, each signed by them. Shared "with" a participant, the case is sealed
// again to the participants' keys as they are now (one added a key).
func (s *Server) shareCase(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, maxShare, "share")
	if !ok {
		return
	}
	c, err := s.share(r.Context(), r.PathValue("id"), body)
	if s.caseError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, "application/json", s.caseView(c, false))
}

func (s *Server) share(ctx context.Context, id string, body []byte) (store.Case, error) {
	person, q, err := s.signedCaseQuery(ctx, body, relief.ShareType)
	if err != nil {
		return store.Case{}, err
	}
	if err := forCase(q, id); err != nil {
		return store.Case{}, err
	}
	c, err := s.participantCase(ctx, id, person)
	if err != nil {
		return c, err
	}
	if err := s.mayShare(ctx, c, person, q.With); err != nil {
		return c, err
	}
	if len(q.Messages) != len(c.Messages) {
		return c, refusal.New(http.StatusConflict, "the case has %d messages, and %d came sealed again: read it again and share again", len(c.Messages), len(q.Messages))
	}
	if !c.Participant(q.With) {
		c.Participants = append(c.Participants, store.CaseParticipant{Person: q.With, Since: s.now().UTC()})
	}
	for i, raw := range q.Messages {
		if err := s.resealed(ctx, c, i, raw, person); err != nil {
			return c, err
		}
		c.Messages[i].Envelope, c.Messages[i].Signer = raw, person
	}
	return c, s.store.UpdateCase(ctx, c)
}

// mayShare allows a steward who takes part to share a case with a current steward, or to seal it
// again for a participant (whose keys changed: a message reaches only the keys it was sealed to).
func (s *Server) mayShare(ctx context.Context, c store.Case, sharer, with string) error {
	stewards, err := s.store.RoleHolders(ctx, "")
	if err != nil {
		return err
	}
	isSteward := func(id string) bool {
		return slices.ContainsFunc(stewards, func(r store.Role) bool { return s.urls.Actor(r.Person) == id })
	}
	switch {
	case !isSteward(sharer):
		return refusal.New(http.StatusForbidden, "%s is not a steward: a steward who takes part shares a case", sharer)
	case !isSteward(with) && !c.Participant(with):
		return refusal.New(http.StatusUnprocessableEntity, "%q is not a steward of this instance: a case is shared with stewards alone", with)
	}
	return nil
}

// resealed checks message i of a case sealed again by the sharer: signed by them, the same message
// (case, place, author), sealed to every participant's keys, the newcomer's included.
func (s *Server) resealed(ctx context.Context, c store.Case, i int, raw []byte, sharer string) error {
	signer, _, err := s.ledger.SignedBy(ctx, raw)
	if err != nil {
		return err
	}
	e, err := relief.ParseEnvelope(raw)
	switch {
	case err != nil:
		return refusal.New(http.StatusBadRequest, "message %d: %v", i, err)
	case signer != sharer:
		return refusal.New(http.StatusUnprocessableEntity, "message %d is signed by %s, not by %s who shares the case", i, signer, sharer)
	case e.Case != c.ID || e.Index != i || e.Author != c.Messages[i].Author:
		return refusal.New(http.StatusUnprocessableEntity, "message %d is not message %d of case %s by %s", i, i, c.ID, c.Messages[i].Author)
	}
	return s.checkSealed(ctx, e, participantIDs(c))
}

// closeCase answers POST /api/v1/relief/cases/{id}/close: a participant closes a case, naming the
// notice it led to if any (a hiatus, a call for stewards, an interim handover of the case's project).
func (s *Server) closeCase(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, 16<<10, "query")
	if !ok {
		return
	}
	c, err := s.closeWith(r.Context(), r.PathValue("id"), body)
	if s.caseError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, "application/json", s.caseView(c, false))
}

// forCase refuses a signed query made for another case than the one its request's path names: the
// signature covers the case it names, so it acts on that one, never on another of the signer's.
func forCase(q relief.Query, id string) error {
	if q.Case != id {
		return refusal.New(http.StatusBadRequest, "the signed query is for case %q, not %q", q.Case, id)
	}
	return nil
}

func (s *Server) closeWith(ctx context.Context, id string, body []byte) (store.Case, error) {
	person, q, err := s.signedCaseQuery(ctx, body, relief.CloseType)
	if err != nil {
		return store.Case{}, err
	}
	if err := forCase(q, id); err != nil {
		return store.Case{}, err
	}
	c, err := s.participantCase(ctx, id, person)
	if err != nil {
		return c, err
	}
	if !c.Closed.IsZero() {
		return c, refusal.New(http.StatusConflict, "the case was closed on %s already", c.Closed.UTC().Format(time.RFC3339))
	}
	if q.LedTo != "" {
		if c.LedTo, err = s.ledToNotice(ctx, c, q.LedTo); err != nil {
			return c, err
		}
	}
	c.Closed, c.ClosedBy = s.now().UTC(), person
	return c, s.store.UpdateCase(ctx, c)
}

// ledToNotice reads the notice a case led to: a notice of the case's project on this instance.
func (s *Server) ledToNotice(ctx context.Context, c store.Case, noticeURL string) (int64, error) {
	id := s.urls.LocalNoticeID(noticeURL)
	if id == 0 {
		return 0, refusal.New(http.StatusUnprocessableEntity, "%q is not a notice of this instance (its notices are %s)", noticeURL, s.urls.Notice(1))
	}
	n, err := s.store.Notice(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && n.Actor != c.Project) {
		return 0, refusal.New(http.StatusUnprocessableEntity, "%s is not a notice of %s", noticeURL, c.Project)
	}
	return id, err
}

// ReliefQueryHeader carries a participant's signed ReliefQuery (base64) on a request for a notice's
// page, to be shown the relief case the notice came from.
const ReliefQueryHeader = "Baton-Relief-Query"

// noticeCase is the relief case a notice came from, for the admin (with the token) and for the case's
// participants (with a signed query); nil for everyone else, and for a notice no case led to.
//
// What is safe: the notice itself is public, as every hiatus or call for stewards is. That a case led
// to it is not, since it would tell the public that the maintainer asked for help in confidence, which
// is exactly what a case keeps private. So the link lives in the case alone (LedTo), never in the Note
// or anything federated; the page adds it only for a reader who may read the case's metadata, and is
// then marked private so no cache hands it to anyone else. For anyone else the page is the same bytes
// whether or not a case led to the notice.
func (s *Server) noticeCase(w http.ResponseWriter, r *http.Request, n store.Notice, admin bool) *CaseView {
	var person string
	if q := r.Header.Get(ReliefQueryHeader); q != "" && !admin {
		doc, err := base64.StdEncoding.DecodeString(q)
		if err != nil {
			return nil
		}
		if person, err = s.ledger.SignedQuery(r.Context(), doc, relief.QueryType); err != nil {
			return nil
		}
	}
	if !admin && person == "" {
		return nil
	}
	cases, err := s.store.ListCases(r.Context())
	if err != nil {
		s.log.Error("relief cases for the notice page", "notice", n.ID, "err", err)
		return nil
	}
	for _, c := range cases {
		if c.LedTo == n.ID && (admin || c.Participant(person)) {
			w.Header().Set("Cache-Control", "private, no-store")
			v := s.caseView(c, false)
			return &v
		}
	}
	return nil
}
