package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// maxStatementBody bounds a signed statement: a notice's words and a few dozen proofs.
const maxStatementBody = 256 << 10

// postStatement publishes a statement a maintainer signed on their own machine. No token: the proofs
// are the authority, checked against the signers' keys and the trust policy.
func (s *Server) postStatement(w http.ResponseWriter, r *http.Request) {
	raw, ok := readBody(w, r, maxStatementBody, "statement")
	if !ok {
		return
	}
	pub, err := s.outbox.PublishStatement(r.Context(), r.PathValue("name"), raw)
	if s.statementError(w, err, r.PathValue("name")) {
		return
	}
	writeJSON(w, http.StatusCreated, "application/json", NoticeView{ID: pub.Notice.ID, URL: pub.URL, Project: pub.Notice.Actor,
		Kind: pub.Notice.Kind, Published: pub.Notice.Published.Format(time.RFC3339), Queued: pub.Queued})
}

// statementError answers a refused statement, endorsement or query (see storeError), naming the project
// when it is the one not found, and reports whether there was an error.
func (s *Server) statementError(w http.ResponseWriter, err error, project string) bool {
	if err == nil {
		return false
	}
	s.storeError(w, err, fmt.Sprintf("project %q", project))
	return true
}

// StateView is a project's state at a time, and what `baton check` answers.
type StateView struct {
	Project   string        `json:"project"`
	At        string        `json:"at"`
	Hindsight bool          `json:"hindsight,omitempty"` // folded knowing what is known now, at effective dates
	Code      int           `json:"code"`
	Reasons   []string      `json:"reasons"`
	State     notice.State  `json:"state"`
	Policy    notice.Policy `json:"policy"`
	Notices   []string      `json:"notices"` // the public notices known at that time, oldest first
	// Names are the names of the people the state lists (maintainers, those away, those a change
	// waits for), by actor id; the reasons carry them already.
	Names map[string]string `json:"names,omitempty"`
	// Signer answers ?signer=FINGERPRINT: was that release-signing key announced, and endorsed?
	Signer *notice.SignerAnswer `json:"signer,omitempty"`
}

// answerSigner adds to v what the state says of the release-signing key fp (none when fp is empty);
// the code becomes the most urgent of the state's and the key's.
func (v *StateView) answerSigner(state notice.State, fp string) {
	if fp == "" {
		return
	}
	answer := notice.CheckSigner(state, fp)
	v.Signer = &answer
	v.Code = notice.MostUrgent(v.Code, answer.Code)
	if answer.Code != notice.ExitNormal {
		v.Reasons = append([]string{"signer: " + answer.Reason}, v.Reasons...)
	}
}

// getState answers GET /api/v1/projects/{name}/state[?at=DATE][&hindsight=1][&signer=FINGERPRINT]:
// the state folded from the notices published and in effect by then (or, with hindsight, published
// by now), without anything meant for stewards alone.
func (s *Server) getState(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	q, ok := s.stateQuery(w, r)
	if !ok {
		return
	}
	h, err := s.ledger.History(r.Context(), name)
	if err != nil {
		s.storeError(w, err, "project "+name)
		return
	}
	policy := s.ledger.Policy()
	state := q.view.Fold(h.Genesis, h.Notices, h.StewardsAt(q.view.At), policy).ForPublic()
	verdict := notice.Check(state)
	view := StateView{Project: name, At: q.view.At.Format(time.RFC3339), Hindsight: q.view.Hindsight, Code: verdict.Code,
		Reasons: append([]string{}, verdict.Reasons...), State: state, Policy: policy, Notices: []string{}}
	s.nameView(r.Context(), &view, "")
	for _, sn := range notice.PublicView(h.Notices, q.view.Known()) {
		view.Notices = append(view.Notices, sn.ID)
	}
	view.answerSigner(state, q.signer)
	writeJSON(w, http.StatusOK, "application/json", view)
}

// stateQuery is what a state request asks: the view, and a release-signing key to ask about.
type stateQuery struct {
	view   notice.View
	signer string
}

// stateQuery reads a state request's ?at=, ?hindsight= and ?signer=. At: a date means the end of that
// day (was the project in a window on the day we took a release?), a time means that time, and none
// means now. It answers 400 itself.
func (s *Server) stateQuery(w http.ResponseWriter, r *http.Request) (stateQuery, bool) {
	now := s.now().UTC()
	q := stateQuery{view: notice.View{At: now, Now: now}, signer: r.URL.Query().Get("signer")}
	if v := r.URL.Query().Get("at"); v != "" {
		t, err := notice.ParseDate(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "at: "+err.Error())
			return q, false
		}
		if len(v) == len(notice.Date) {
			t = t.Add(24*time.Hour - time.Second)
		}
		q.view.At = t
	}
	switch h := r.URL.Query().Get("hindsight"); h {
	case "", "0", "false":
	case "1", "true":
		q.view.Hindsight = true
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("hindsight: %q is neither true nor false", h))
		return q, false
	}
	if q.signer != "" {
		if err := notice.CheckFingerprint(q.signer); err != nil {
			writeError(w, http.StatusBadRequest, "signer: "+err.Error())
			return q, false
		}
	}
	return q, true
}

// NoticeAPIView is a notice as the API shows it to clients that endorse or audit it.
type NoticeAPIView struct {
	ID        int64           `json:"id"`
	URL       string          `json:"url"`
	Project   string          `json:"project"`
	Kind      string          `json:"kind"`
	Published string          `json:"published"`
	Statement json.RawMessage `json:"statement,omitempty"`
	Endorsed  *bool           `json:"endorsed,omitempty"`
	Missing   []string        `json:"missing,omitempty"`
}

// getNoticeAPI answers GET /api/v1/notices/{id}; only public notices are shown.
func (s *Server) getNoticeAPI(w http.ResponseWriter, r *http.Request) {
	n, ok := s.storedNotice(w, r)
	if !ok {
		return
	}
	v, err := federation.ParseNote(n.Document)
	if err != nil {
		s.storeError(w, err, "notice")
		return
	}
	writeJSON(w, http.StatusOK, "application/json", NoticeAPIView{ID: n.ID, URL: s.urls.Notice(n.ID), Project: n.Actor,
		Kind: n.Kind, Published: n.Published.Format(time.RFC3339), Statement: v.Statement, Endorsed: v.Endorsed, Missing: v.Missing})
}

// EndorsementView is the answer to an endorsement.
type EndorsementView struct {
	URL      string   `json:"url"`
	Endorsed bool     `json:"endorsed"`
	Missing  []string `json:"missing"`
	Queued   int      `json:"queued"`
}

// postEndorsement adds proofs to a published notice's statement. No token: the proofs speak.
func (s *Server) postEndorsement(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "notice "+r.PathValue("id")+" not found")
		return
	}
	raw, ok := readBody(w, r, maxStatementBody, "statement")
	if !ok {
		return
	}
	res, err := s.outbox.EndorseStatement(r.Context(), id, raw)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "notice "+r.PathValue("id")+" not found")
		return
	}
	if s.statementError(w, err, "") {
		return
	}
	if res.Missing == nil {
		res.Missing = []string{}
	}
	writeJSON(w, http.StatusOK, "application/json", EndorsementView{URL: res.URL, Endorsed: res.Endorsed, Missing: res.Missing, Queued: res.Queued})
}

// readBody reads a request body of at most limit bytes, answering 400 or 413 when it cannot.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, what string) ([]byte, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading the "+what+": "+err.Error())
		return nil, false
	}
	if int64(len(raw)) > limit {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the %s is larger than %d bytes", what, limit))
		return nil, false
	}
	return raw, true
}

// RemoteEndorsement is what a client sends to endorse a notice published on another instance.
type RemoteEndorsement struct {
	Notice    string          `json:"notice"`    // the notice's URL
	Statement json.RawMessage `json:"statement"` // its statement with the endorser's proof added
}

// RemoteEndorsementView is the answer: the project's instance admitted the proof.
type RemoteEndorsementView struct {
	Person string `json:"person"`
	Inbox  string `json:"inbox"`
}

// postRemoteEndorsement has a person of this instance endorse a notice published on another: their
// actor delivers the proof there, and the answer says whether it was admitted. No token: the proof
// speaks.
func (s *Server) postRemoteEndorsement(w http.ResponseWriter, r *http.Request) {
	raw, ok := readBody(w, r, maxStatementBody, "endorsement")
	if !ok {
		return
	}
	var e RemoteEndorsement
	if err := json.Unmarshal(raw, &e); err != nil || e.Notice == "" || len(e.Statement) == 0 {
		writeError(w, http.StatusBadRequest, `want {"notice": URL, "statement": the statement with your proof}`)
		return
	}
	sent, err := s.outbox.SendEndorsement(r.Context(), e.Notice, e.Statement)
	if s.statementError(w, err, "") {
		return
	}
	writeJSON(w, http.StatusOK, "application/json", RemoteEndorsementView{Person: sent.Person, Inbox: sent.Inbox})
}
