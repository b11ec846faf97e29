package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// StewardNotice is a notice meant for stewards alone, as a steward reads it.
type StewardNotice struct {
	ID        int64  `json:"id"`
	URL       string `json:"url"`
	Project   string `json:"project"`
	Kind      string `json:"kind"`
	Author    string `json:"author"`
	Text      string `json:"text"`
	Published string `json:"published"`
	Since     string `json:"since,omitempty"`
	Until     string `json:"until,omitempty"`
	// Instance is the calling instance of a call another instance addressed to this one's stewards;
	// empty for this instance's own notices.
	Instance string `json:"instance,omitempty"`
}

// stewardNotices answers a steward's signed query with the notices meant for stewards alone (relief
// requests, calls for stewards that are not public), newest first. The query is a small JSON document
// with one proof by the steward's key: the same keys that sign notices authenticate the reader.
func (s *Server) stewardNotices(w http.ResponseWriter, r *http.Request) {
	query, ok := readBody(w, r, 16<<10, "query")
	if !ok {
		return
	}
	if _, err := s.ledger.Steward(r.Context(), query); s.statementError(w, err, "") {
		return
	}
	actors, err := s.store.ListActors(r.Context())
	if err != nil {
		s.storeError(w, err, "projects")
		return
	}
	out := []StewardNotice{}
	for _, a := range actors {
		if a.Kind != store.KindProject {
			continue
		}
		notices, err := s.store.ListNotices(r.Context(), a.Name, 0, 200, false)
		if err != nil {
			s.storeError(w, err, "notices")
			return
		}
		for _, n := range notices {
			if n.Public {
				continue
			}
			out = append(out, s.stewardNotice(n))
		}
	}
	received, err := s.receivedCalls(r.Context())
	if err != nil {
		s.storeError(w, err, "calls from other instances")
		return
	}
	out = append(out, received...)
	slices.SortStableFunc(out, func(a, b StewardNotice) int { return strings.Compare(b.Published, a.Published) })
	writeJSON(w, http.StatusOK, "application/json", out)
}

// receivedCalls are the calls for stewards other instances addressed to this instance's stewards, as
// stewards read them, each marked with its calling instance. Calls that can no longer be answered are
// left out.
func (s *Server) receivedCalls(ctx context.Context) ([]StewardNotice, error) {
	calls, err := store.ReceivedCalls(ctx, s.store)
	if err != nil {
		return nil, err
	}
	var out []StewardNotice
	for _, c := range calls {
		st, err := federation.NoteStatement(c.Note)
		if err != nil || st.Notice.Open(s.now()) != nil {
			continue
		}
		v, err := federation.ParseNote(c.Note)
		if err != nil || v.RevokedBy != "" {
			continue
		}
		sn := StewardNotice{URL: c.ID, Project: c.Project, Kind: string(st.Notice.Kind), Instance: c.Host}
		sn.fill(st.Notice, v.Published)
		out = append(out, sn)
	}
	return out, nil
}

func (s *Server) stewardNotice(n store.Notice) StewardNotice {
	sn := StewardNotice{ID: n.ID, URL: s.urls.Notice(n.ID), Project: n.Actor, Kind: n.Kind, Published: n.Published.Format(time.RFC3339)}
	v, err := federation.ParseNote(n.Document)
	if err != nil || v.Statement == nil {
		return sn
	}
	if st, err := federation.ParseStatement(v.Statement); err == nil {
		sn.fill(st.Notice, n.Published)
	}
	return sn
}

// fill adds what a notice says: who wrote it, its words and dates.
func (sn *StewardNotice) fill(n notice.Notice, published time.Time) {
	sn.Author, sn.Text = n.Author, n.Text
	if sn.Published == "" {
		sn.Published = published.Format(time.RFC3339)
	}
	if !n.Since.IsZero() {
		sn.Since = n.Since.Format(time.RFC3339)
	}
	if !n.Until.IsZero() {
		sn.Until = n.Until.Format(time.RFC3339)
	}
}
