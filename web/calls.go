package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"baton/federation"
	"baton/ledger"
	"baton/notice"
	"baton/record"
	"baton/store"
)

// Calls for stewards and their answers. A person answers from their own instance with an offer signed
// by their key (answerCall), which delivers it, signed by the person's actor, to the calling project's
// inbox; the calling instance's stewards list the answers with each person's track record
// (callOffers) and accept one (acceptOffer), which drafts the interim handover the call describes.

// callRoutes registers the routes of calls and track records.
func (s *Server) callRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/people/{name}/offers", s.answerCall)
	mux.HandleFunc("POST /api/v1/notices/{id}/offers", s.callOffers)
	mux.HandleFunc("POST /api/v1/offers/accept", s.acceptOffer)
	mux.HandleFunc("GET /users/{name}/record", s.servedRecord)
	mux.HandleFunc("GET /api/v1/records", s.admin(s.gatherRecord))
}

// AnswerView is what answering a call did.
type AnswerView struct {
	Offer     string `json:"offer"`     // the offer's id
	Call      string `json:"call"`      // the call's URL
	Project   string `json:"project"`   // the calling project's actor
	Delivered bool   `json:"delivered"` // the calling instance took it
	Queued    bool   `json:"queued"`    // it could not be reached: the delivery is retried
}

// answerCall takes a person's signed offer from their client, checks its proof against the person's
// keys here, finds the call at its origin, and delivers the Offer to the calling project's inbox.
func (s *Server) answerCall(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw, ok := readBody(w, r, 16<<10, "offer")
	if !ok {
		return
	}
	person, ok := s.lookupPerson(w, r, r.PathValue("name"))
	if !ok {
		return
	}
	o, err := federation.ParseOfferStatement(raw)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	signer, err := s.ledger.Offerer(ctx, raw)
	if err != nil {
		s.storeError(w, err, "offer")
		return
	}
	if actor := s.urls.Actor(person.Name); signer != actor || o.Author != actor {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("the offer must be by %s and signed with their key; it is by %s, signed by %s", actor, o.Author, signer))
		return
	}
	inbox, err := s.callInbox(ctx, o)
	if err != nil {
		s.storeError(w, err, "call")
		return
	}
	activity, err := federation.OfferDocument(o, raw)
	if err != nil {
		s.storeError(w, err, "offer")
		return
	}
	a := store.Activity{ID: federation.OfferActivityID(o.Author, o.ID), Signer: person.Name, Body: activity}
	queued, err := s.outbox.SendNow(ctx, person.Name, inbox, a)
	if status, ok := errors.AsType[*federation.StatusError](err); ok {
		reason := status.Reason
		if reason == "" {
			reason = http.StatusText(status.Status)
		}
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("the calling project's instance refused the offer (%d): %s", status.Status, reason))
		return
	}
	if err != nil {
		s.log.Info("offer not delivered", "call", o.Call, "err", err)
		writeError(w, http.StatusBadGateway, "the calling project's instance could not be reached: "+err.Error())
		return
	}
	s.log.Info("offer sent", "person", person.Name, "call", o.Call, "queued", queued)
	writeJSON(w, http.StatusOK, "application/json", AnswerView{Offer: o.ID, Call: o.Call, Project: o.Project, Delivered: !queued, Queued: queued})
}

// callInbox fetches the call an offer answers from its origin, checks it is a call for stewards of
// the project the offer names, and returns that project's inbox.
func (s *Server) callInbox(ctx context.Context, o federation.OfferStatement) (string, error) {
	if s.resolver == nil {
		return "", ledger.Refuse(http.StatusServiceUnavailable, "this instance does not fetch from other instances")
	}
	doc, err := s.resolver.Fetch(ctx, o.Call)
	if err != nil {
		return "", ledger.Refuse(http.StatusUnprocessableEntity, "the call %s could not be fetched from its origin (a call that is not public is served only to the instances of the stewards it is addressed to)", o.Call)
	}
	if to := federation.Addressees(doc); !slices.Contains(to, federation.Public) && !slices.Contains(to, o.Author) {
		return "", ledger.Refuse(http.StatusForbidden, "the call %s is addressed to stewards only, and %s is not one of them", o.Call, o.Author)
	}
	var note struct {
		ID           string `json:"id"`
		Kind         string `json:"noticeKind"`
		AttributedTo string `json:"attributedTo"`
	}
	if json.Unmarshal(doc, &note) != nil || note.ID != o.Call {
		return "", ledger.Refuse(http.StatusUnprocessableEntity, "%s is not a notice", o.Call)
	}
	if note.Kind != string(notice.CallForStewards) {
		return "", ledger.Refuse(http.StatusUnprocessableEntity, "%s is a %s, not a call for stewards", o.Call, note.Kind)
	}
	if note.AttributedTo != o.Project {
		return "", ledger.Refuse(http.StatusUnprocessableEntity, "the call is %s's, not %s's", note.AttributedTo, o.Project)
	}
	project, err := s.resolver.Actor(ctx, o.Project)
	if err != nil {
		return "", ledger.Refuse(http.StatusBadGateway, "the calling project's actor %s could not be fetched", o.Project)
	}
	if project.Inbox == "" || !federation.SameOrigin(project.Inbox, project.ID) {
		return "", ledger.Refuse(http.StatusUnprocessableEntity, "the calling project's inbox is not on its own origin")
	}
	return project.Inbox, nil
}

// CallOffersView is a call with its answers, as stewards read it.
type CallOffersView struct {
	Call     string      `json:"call"`
	Project  string      `json:"project"`
	Role     string      `json:"role"`
	Rights   []string    `json:"rights"`
	Term     string      `json:"term"`   // "for 6 months", "until 2027-06-01"
	Closed   string      `json:"closed"` // why it takes no more answers; "" while open
	Offers   []OfferView `json:"offers"`
	Interest []OfferView `json:"interest"` // replies from fediverse accounts: not offers
}

// OfferView is one answer to a call, with its person's track record.
type OfferView struct {
	ID         string         `json:"id"`
	Person     string         `json:"person"`
	Handle     string         `json:"handle,omitempty"` // @name@host, when known
	Text       string         `json:"text"`
	Until      string         `json:"until,omitempty"`
	Received   string         `json:"received"`
	Accepted   string         `json:"accepted,omitempty"`
	AcceptedBy string         `json:"accepted_by,omitempty"`
	Draft      string         `json:"draft,omitempty"` // the interim handover to post, once accepted
	Record     *record.Record `json:"record,omitempty"`
}

// callOffers lists a call's answers to a steward (a signed StewardQuery) or the admin (the token):
// signed offers with each person's track record, and apart, replies read as interest.
func (s *Server) callOffers(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.stewardOrAdmin(w, r, nil); !ok {
		return
	}
	call, ok := s.localCall(w, r.Context(), r.PathValue("id"))
	if !ok {
		return
	}
	view, err := s.callOffersView(r.Context(), call)
	if err != nil {
		s.storeError(w, err, "offers")
		return
	}
	writeJSON(w, http.StatusOK, "application/json", view)
}

// localCall finds a call for stewards of this instance by its id or URL.
func (s *Server) localCall(w http.ResponseWriter, ctx context.Context, ref string) (call, bool) {
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		id = s.urls.LocalNoticeID(ref)
	}
	n, err := s.store.Notice(ctx, id)
	if err != nil {
		s.storeError(w, err, "notice "+ref)
		return call{}, false
	}
	c, err := s.readCall(n)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return call{}, false
	}
	return c, true
}

// call is a stored call for stewards and what it asks for.
type call struct {
	stored    store.Notice
	n         notice.Notice
	revokedBy string
}

func (s *Server) readCall(n store.Notice) (call, error) {
	if n.Kind != string(notice.CallForStewards) {
		return call{}, fmt.Errorf("notice %d is a %s, not a call for stewards", n.ID, n.Kind)
	}
	st, err := federation.NoteStatement(n.Document)
	if err != nil {
		return call{}, fmt.Errorf("notice %d carries no signed call", n.ID)
	}
	v, err := federation.ParseNote(n.Document)
	if err != nil {
		return call{}, err
	}
	return call{stored: n, n: st.Notice, revokedBy: v.RevokedBy}, nil
}

func (s *Server) callOffersView(ctx context.Context, c call) (CallOffersView, error) {
	view := CallOffersView{Call: s.urls.Notice(c.stored.ID), Project: c.stored.Actor, Role: c.n.Role, Term: c.n.Term.String(),
		Offers: []OfferView{}, Interest: []OfferView{}}
	for _, right := range c.n.Scope {
		view.Rights = append(view.Rights, string(right))
	}
	if err := c.n.Open(s.now()); err != nil {
		view.Closed = err.Error()
	} else if c.revokedBy != "" {
		view.Closed = "revoked by " + c.revokedBy
	}
	answers, err := s.store.Offers(ctx, c.stored.Actor)
	if err != nil {
		return CallOffersView{}, err
	}
	var signed []store.Offer
	for _, o := range answers {
		if o.Call != c.stored.ID {
			continue
		}
		ov := OfferView{ID: o.ID, Person: o.Person, Text: o.Text, Received: o.Received.UTC().Format(time.RFC3339)}
		if !o.Until.IsZero() {
			ov.Until = o.Until.Format(notice.Date)
		}
		if !o.Signed {
			view.Interest = append(view.Interest, ov)
			continue
		}
		signed = append(signed, o)
		view.Offers = append(view.Offers, ov)
	}
	records, err := s.trackRecords(ctx, signed)
	if err != nil {
		return CallOffersView{}, err
	}
	for i, o := range signed {
		ov := &view.Offers[i]
		ov.Record, ov.Handle = &records[i], handle(records[i])
		if !o.Accepted.IsZero() {
			ov.Accepted, ov.AcceptedBy = o.Accepted.UTC().Format(time.RFC3339), o.AcceptedBy
			if ov.Draft, err = s.draftHandover(ctx, c, o, ov.Handle); err != nil {
				return CallOffersView{}, err
			}
		}
	}
	return view, nil
}

// recordsTimeout bounds the gathering of a call's track records, well inside the 30 s a request may
// take: what is not fetched by then is listed as not counted.
const recordsTimeout = 20 * time.Second

// recordGatherers is how many track records are gathered at once.
const recordGatherers = 4

// trackRecords gathers the records of the people who made offers, a few at a time.
func (s *Server) trackRecords(ctx context.Context, offers []store.Offer) ([]record.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, recordsTimeout)
	defer cancel()
	out := make([]record.Record, len(offers))
	errs := make([]error, len(offers))
	slots := make(chan struct{}, recordGatherers)
	var wg sync.WaitGroup
	for i, o := range offers {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			out[i], errs[i] = s.trackRecord(ctx, o.Person)
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// handle is a person's @name@host, or their actor id when their actor gives no name.
func handle(r record.Record) string {
	u, err := url.Parse(r.Person)
	if err != nil || r.Name == "" {
		return r.Person
	}
	return "@" + r.Name + "@" + u.Host
}

// AcceptRequest names the offer a steward (in a signed StewardQuery) or the admin accepts.
type AcceptRequest struct {
	Offer string `json:"offer"`
}

// AcceptView is an accepted offer, and the interim handover the outgoing maintainer is to post.
type AcceptView struct {
	Offer OfferView `json:"offer"`
	Call  string    `json:"call"`
	Draft string    `json:"draft"`
}

// acceptOffer records a signed offer as accepted by a steward or the admin and drafts the interim
// handover the call describes: the rights it named, until the end of its term from today.
func (s *Server) acceptOffer(w http.ResponseWriter, r *http.Request) {
	var req AcceptRequest
	who, ok := s.stewardOrAdmin(w, r, &req)
	if !ok {
		return
	}
	ctx := r.Context()
	o, err := s.store.Offer(ctx, req.Offer)
	if err == nil && !o.Signed {
		err = ledger.Refuse(http.StatusUnprocessableEntity, "%s is a reply read as interest, not a signed offer: only a signed offer can be accepted", req.Offer)
	}
	if err != nil {
		s.storeError(w, err, "offer "+req.Offer)
		return
	}
	n, err := s.store.Notice(ctx, o.Call)
	if err != nil {
		s.storeError(w, err, "call")
		return
	}
	c, err := s.readCall(n)
	if err != nil {
		s.storeError(w, err, "call")
		return
	}
	o, err = s.store.AcceptOffer(ctx, o.ID, who, s.now().UTC())
	if errors.Is(err, store.ErrConflict) {
		err = ledger.Refuse(http.StatusConflict, "offer %s was accepted already", req.Offer)
	}
	if err != nil {
		s.storeError(w, err, "offer "+req.Offer)
		return
	}
	rec, err := s.trackRecord(ctx, o.Person)
	if err != nil {
		s.storeError(w, err, "record")
		return
	}
	draft, err := s.draftHandover(ctx, c, o, handle(rec))
	if err != nil {
		s.storeError(w, err, "draft")
		return
	}
	s.log.Info("offer accepted", "offer", o.ID, "person", o.Person, "by", who)
	writeJSON(w, http.StatusOK, "application/json", AcceptView{Call: s.urls.Notice(o.Call), Draft: draft,
		Offer: OfferView{ID: o.ID, Person: o.Person, Handle: handle(rec), Text: o.Text, Received: o.Received.UTC().Format(time.RFC3339),
			Accepted: o.Accepted.UTC().Format(time.RFC3339), AcceptedBy: o.AcceptedBy, Draft: draft, Record: &rec}})
}

// draftHandover is the command the outgoing maintainers run to hand the call's rights to the person
// whose offer was accepted, for the call's term counted from the acceptance.
func (s *Server) draftHandover(ctx context.Context, c call, o store.Offer, to string) (string, error) {
	h, err := s.ledger.History(ctx, c.stored.Actor)
	if err != nil {
		return "", err
	}
	// The outgoing maintainer is the one who called, when they hold rights; else every maintainer.
	var outgoing []string
	for _, m := range h.Fold(s.ledger.Policy(), s.now()).Maintainers {
		if name := s.urls.LocalActorName(m.Person); name != "" {
			if m.Person == c.n.Author {
				outgoing = []string{name}
				break
			}
			outgoing = append(outgoing, name)
		}
	}
	as, from := "MAINTAINER", "MAINTAINER"
	if len(outgoing) > 0 {
		as, from = outgoing[0], strings.Join(outgoing, ",")
	}
	var until time.Time
	if !c.n.Term.IsZero() {
		until = c.n.Term.EndFrom(o.Accepted.UTC().Truncate(24 * time.Hour))
	}
	text := fmt.Sprintf("%s steps in as interim %s, answering the call for stewards %s.", to, c.n.Role, s.urls.Notice(c.stored.ID))
	return draftCommand(c.stored.Actor, as, from, to, c.n.Scope, until, text), nil
}

// draftKeyFile is the key a drafted command signs with: ssh's default Ed25519 key, left for the
// maintainer's shell to expand.
const draftKeyFile = "~/.ssh/id_ed25519"

// draftCommand is the interim handover to post, as a command the maintainer can paste as it is: it
// signs with the key where ssh keeps it by default (the one they sign commits with), which they change,
// or swap for --agent, if theirs is elsewhere. A call made before calls named their rights and term
// gives neither: the command then says what to fill in.
func draftCommand(project, as, from, to string, scope []notice.Right, until time.Time, text string) string {
	rights, end := "RIGHTS", "YYYY-MM-DD"
	if len(scope) > 0 {
		words := make([]string, len(scope))
		for i, r := range scope {
			words[i] = string(r)
		}
		rights = strings.Join(words, ",")
	}
	if !until.IsZero() {
		end = until.Format(notice.Date)
	}
	return fmt.Sprintf("baton notice post --project %s --kind handover --mode interim --as %s --from %s --to %s --scope %s --until %s --text %s --key %s",
		project, as, from, to, rights, end, shellQuote(text), draftKeyFile)
}

// shellQuote quotes s for a POSIX shell: nothing in it is expanded.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// stewardOrAdmin authenticates a steward's signed query (the request's body, a StewardQuery that may
// carry more, read into into) or the admin's token. It returns who: a steward's actor id, or "admin".
func (s *Server) stewardOrAdmin(w http.ResponseWriter, r *http.Request, into any) (string, bool) {
	body, ok := readBody(w, r, 16<<10, "query")
	if !ok {
		return "", false
	}
	who := "admin"
	if r.Header.Get("Authorization") != "" {
		authorized := false
		s.admin(func(http.ResponseWriter, *http.Request) { authorized = true })(w, r)
		if !authorized {
			return "", false
		}
	} else {
		steward, err := s.ledger.Steward(r.Context(), body)
		if err != nil {
			s.storeError(w, err, "query")
			return "", false
		}
		who = steward
	}
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			writeError(w, http.StatusBadRequest, "the request is not the JSON expected: "+err.Error())
			return "", false
		}
	}
	return who, true
}

// callAnswers counts a call's answers for its page: signed offers, and replies read as interest.
type callAnswers struct {
	Offers, Interest int
	Term             string
	Rights           string
	Closed           string
}

// answersOf counts the answers to n when it is a call for stewards; nil otherwise, or when they cannot
// be read (the page shows without them).
func (s *Server) answersOf(ctx context.Context, n store.Notice) *callAnswers {
	c, err := s.readCall(n)
	if err != nil {
		return nil
	}
	answers, err := s.store.Offers(ctx, n.Actor)
	if err != nil {
		s.log.Error("read answers", "call", n.ID, "err", err)
		return nil
	}
	out := &callAnswers{Term: c.n.Term.String(), Rights: notice.RightsText(c.n.Scope)}
	if err := c.n.Open(s.now()); err != nil {
		out.Closed = err.Error()
	}
	for _, o := range answers {
		switch {
		case o.Call != n.ID:
		case o.Signed:
			out.Offers++
		default:
			out.Interest++
		}
	}
	return out
}
