package web

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"baton/federation"
	"baton/notice"
	"baton/record"
	"baton/store"
)

// Track records. Each instance serves what it knows of its people at ACTOR/record: the public notices
// that name them, and the roles it gave them with the project actor that shows each. An instance
// gathering a record (package record) checks every item at its origin, and adds what it knows itself.

// servedRecord serves a local person's record.
func (s *Server) servedRecord(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := s.store.Actor(ctx, r.PathValue("name"))
	if err == nil && a.Kind != store.KindPerson {
		err = store.ErrNotFound
	}
	if err != nil {
		s.storeError(w, err, "person "+r.PathValue("name"))
		return
	}
	person := s.urls.Actor(a.Name)
	known, err := s.knownNaming(ctx, person)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	urls := make([]string, len(known))
	for i, k := range known {
		urls[i] = k.URL
	}
	roles, err := s.servedRoles(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "roles")
		return
	}
	doc, err := record.ServedDocument(s.urls.Record(a.Name), person, a.Created, urls, roles)
	s.writeDoc(w, doc, err)
}

// servedRoles are a person's roles with the project actor that shows each: for a first maintainer,
// the project (its genesis names them); for a steward, the first project on the instance (its
// stewards list them). A steward of an instance without projects has nothing to show it by.
func (s *Server) servedRoles(ctx context.Context, name string) ([]record.ServedRole, error) {
	roles, err := s.personRoles(ctx, name)
	if err != nil {
		return nil, err
	}
	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return nil, err
	}
	firstProject := ""
	if i := slices.IndexFunc(actors, func(a store.Actor) bool { return a.Kind == store.KindProject }); i >= 0 {
		firstProject = s.urls.Actor(actors[i].Name)
	}
	out := []record.ServedRole{}
	for _, role := range roles {
		switch {
		case role.Project != "":
			p := s.urls.Actor(role.Project)
			out = append(out, record.ServedRole{Role: "maintainer", Project: p, Since: role.Since.UTC(), Evidence: p})
		case firstProject != "":
			out = append(out, record.ServedRole{Role: "steward", Since: role.Since.UTC(), Evidence: firstProject})
		}
	}
	return out, nil
}

// knownNaming lists this instance's public notices that name person, oldest first, as its ledger
// admitted them.
func (s *Server) knownNaming(ctx context.Context, person string) ([]record.Known, error) {
	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return nil, err
	}
	var out []record.Known
	for _, a := range actors {
		if a.Kind != store.KindProject {
			continue
		}
		notices, err := s.ledger.History(ctx, a.Name)
		if err != nil {
			return nil, err
		}
		for _, sn := range notice.PublicView(notices.Notices, s.now()) {
			var signers []string
			for _, p := range sn.Proofs {
				signers = append(signers, p.Person)
			}
			if !record.Names(sn.Notice, signers, person) {
				continue
			}
			k := record.Known{URL: sn.ID, Project: s.urls.Actor(a.Name), Published: sn.Published, Notice: sn.Notice, Signers: signers}
			if stored, ok := notices.Stored[sn.ID]; ok {
				if v, err := federation.ParseNote(stored.Document); err == nil {
					k.Endorsed, k.RevokedBy = v.Endorsed, v.RevokedBy
				}
			}
			out = append(out, k)
		}
	}
	return out, nil
}

// trackRecord gathers a person's record: from their instance, checked, and from this one.
func (s *Server) trackRecord(ctx context.Context, person string) (record.Record, error) {
	local, err := s.knownNaming(ctx, person)
	if err != nil {
		return record.Record{}, err
	}
	if s.records == nil {
		return record.Record{Person: person}, nil
	}
	return s.records.Gather(ctx, person, local), nil
}

// gatherRecord answers the admin's `baton person record @who@host`.
func (s *Server) gatherRecord(w http.ResponseWriter, r *http.Request) {
	who := strings.TrimSpace(r.URL.Query().Get("person"))
	if who == "" {
		writeError(w, http.StatusBadRequest, "name the person: ?person=@name@host or their actor's URL")
		return
	}
	person := who
	if s.resolver != nil {
		id, err := s.resolver.LookupHandle(r.Context(), who)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, "could not find "+who+": "+err.Error())
			return
		}
		person = id
	}
	rec, err := s.trackRecord(r.Context(), person)
	if err != nil {
		s.storeError(w, err, "record")
		return
	}
	writeJSON(w, http.StatusOK, "application/json", rec)
}
