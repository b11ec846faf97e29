package web

import (
	"context"
	"time"

	"baton/store"
)

// RightView is a right a person holds in a project now, however they got it (as a first maintainer or
// by a handover), or one a handover offers them that they have not accepted yet.
type RightView struct {
	Project string `json:"project"`
	Right   string `json:"right"`
	Since   string `json:"since"`
	Until   string `json:"until,omitempty"`   // when an interim grant ends
	Notice  string `json:"notice,omitempty"`  // the handover that granted it; empty for a first maintainer
	Pending bool   `json:"pending,omitempty"` // offered by Notice, not accepted yet: not held
}

// heldRights folds each project's notices, as they stand now, for the rights person holds or is
// offered there.
func (s *Server) heldRights(ctx context.Context, person string) ([]RightView, error) {
	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return nil, err
	}
	id, now := s.urls.Actor(person), s.now()
	out := []RightView{}
	for _, a := range actors {
		if a.Kind != store.KindProject {
			continue
		}
		h, err := s.ledger.History(ctx, a.Name)
		if err != nil {
			return nil, err
		}
		st := h.Fold(s.ledger.Policy(), now)
		for _, g := range st.HeldBy(id) {
			v := RightView{Project: a.Name, Right: string(g.Right), Since: g.Since.UTC().Format(time.RFC3339), Notice: g.Notice}
			if !g.Until.IsZero() {
				v.Until = g.Until.UTC().Format(time.RFC3339)
			}
			out = append(out, v)
		}
		for _, p := range st.Pending {
			if p.Waiting != "acceptance" || len(p.People) != 1 || p.People[0] != id {
				continue
			}
			for _, r := range p.Rights {
				out = append(out, RightView{Project: a.Name, Right: string(r), Notice: p.Notice, Pending: true})
			}
		}
	}
	return out, nil
}
