package web

import (
	"net/http"
	"time"

	"baton/federation"
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
	writeJSON(w, http.StatusOK, "application/json", out)
}

func (s *Server) stewardNotice(n store.Notice) StewardNotice {
	sn := StewardNotice{ID: n.ID, URL: s.urls.Notice(n.ID), Project: n.Actor, Kind: n.Kind, Published: n.Published.Format(time.RFC3339)}
	v, err := federation.ParseNote(n.Document)
	if err != nil || v.Statement == nil {
		return sn
	}
	if st, err := federation.ParseStatement(v.Statement); err == nil {
		sn.Author, sn.Text = st.Notice.Author, st.Notice.Text
		if !st.Notice.Since.IsZero() {
			sn.Since = st.Notice.Since.Format(time.RFC3339)
		}
		if !st.Notice.Until.IsZero() {
			sn.Until = st.Notice.Until.Format(time.RFC3339)
		}
	}
	return sn
}
