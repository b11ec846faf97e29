package web

// Roles the admin grants: a project's first maintainers (part of its genesis, so only before its first
// notice) and the instance's stewards.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// RoleRequest is the body of POST /api/v1/projects/{name}/maintainers and POST /api/v1/stewards.
type RoleRequest struct {
	Person string `json:"person"`
	// SigningKeys (maintainers only) are release-signing keys the person already signs the project's
	// releases with: part of its genesis, so allowed only while the project has no notices.
	SigningKeys []SigningKeyRequest `json:"signing_keys,omitempty"`
}

// RoleView is a role the admin granted: a project's first maintainer, or a steward of the instance.
// For a project that has notices already, the maintainer is offered it by an adoption instead: Notice
// is the handover from the instance, pending until they accept it, and Missing what it still lacks.
type RoleView struct {
	Role    string   `json:"role"` // "maintainer" or "steward"
	Person  string   `json:"person,omitempty"`
	Project string   `json:"project,omitempty"`
	Since   string   `json:"since"`
	Notice  string   `json:"notice,omitempty"`
	Missing []string `json:"missing,omitempty"`
}

func roleView(r store.Role) RoleView {
	v := RoleView{Role: "maintainer", Person: r.Person, Project: r.Project, Since: r.Since.UTC().Format(time.RFC3339)}
	if r.Project == "" {
		v.Role = "steward"
	}
	return v
}

// personRoles returns a person's roles: steward first, then maintainer of each project in name order.
func (s *Server) personRoles(ctx context.Context, person string) ([]store.Role, error) {
	var out []store.Role
	stewards, err := s.store.RoleHolders(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, r := range stewards {
		if r.Person == person {
			out = append(out, r)
		}
	}
	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range actors {
		if a.Kind == store.KindPerson {
			continue
		}
		roles, err := s.store.RoleHolders(ctx, a.Name)
		if err != nil {
			return nil, err
		}
		for _, r := range roles {
			if r.Person == person {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// roleHolder loads the person a role request names: 404 when there is none, 422 when it is a project.
func (s *Server) roleHolder(w http.ResponseWriter, r *http.Request, req RoleRequest) (store.Actor, bool) {
	name := strings.TrimSpace(req.Person)
	if name == "" {
		writeError(w, http.StatusUnprocessableEntity, "person: required, the name of a person registered with baton person add")
		return store.Actor{}, false
	}
	a, err := s.store.Actor(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("person %q not found: register them first, baton person add %s --key FILE.pub", name, name))
		return store.Actor{}, false
	}
	if err != nil {
		s.storeError(w, err, "person")
		return store.Actor{}, false
	}
	if a.Kind != store.KindPerson {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("%q is a project, not a person", name))
		return store.Actor{}, false
	}
	return a, true
}

// addMaintainer sets one of a project's first maintainers: POST /api/v1/projects/{name}/maintainers.
// Once the project has a notice, its maintainers change only through handover notices: for a project
// that has notices and no maintainer (its instance spoke for it), the instance publishes one itself,
// an adoption (see adopt).
func (s *Server) addMaintainer(w http.ResponseWriter, r *http.Request) {
	project, ok := s.lookupProject(w, r, r.PathValue("name"))
	if !ok {
		return
	}
	var req RoleRequest
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	s.peopleMu.Lock()
	defer s.peopleMu.Unlock()
	n, err := s.store.CountNotices(ctx, project.Name, false)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	if n > 0 && len(req.SigningKeys) == 0 {
		if roles, err := s.store.RoleHolders(ctx, project.Name); err != nil {
			s.storeError(w, err, "roles")
			return
		} else if len(roles) == 0 {
			s.adopt(w, r, project, req)
			return
		}
	}
	if n > 0 {
		writeError(w, http.StatusConflict, fmt.Sprintf("the maintainers of %s now change only through handover notices: it has %d notice(s); its maintainers sign a handover (baton notice post --project %s --kind handover --as NAME --key FILE)",
			project.Name, n, project.Name))
		return
	}
	person, ok := s.roleHolder(w, r, req)
	if !ok {
		return
	}
	keys, _, err := s.signingKeys(ctx, req.SigningKeys, person.Name)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	role := store.Role{Person: person.Name, Project: project.Name, Since: s.now().UTC()}
	err = s.store.AddRole(ctx, role)
	if errors.Is(err, store.ErrExists) && len(keys) == 0 {
		writeError(w, http.StatusConflict, fmt.Sprintf("%s is a maintainer of %s already", person.Name, project.Name))
		return
	} else if err != nil && !errors.Is(err, store.ErrExists) {
		s.storeError(w, err, "role")
		return
	}
	if !s.addGenesisKeys(w, r, project.Name, keys) {
		return
	}
	s.log.Info("maintainer added", "project", project.Name, "person", person.Name)
	s.announcePerson(ctx, person)
	writeJSON(w, http.StatusCreated, "application/json", roleView(role))
}

// adopt gives a project that has notices and no maintainer (its instance spoke for it) to a person:
// the instance publishes a handover of every right from the project itself to them. It is a change of
// rights like any other: the person holds nothing until they accept it, and it asks the stewards'
// endorsements of the policy, or reads as not endorsed. Answers 202 with the handover.
func (s *Server) adopt(w http.ResponseWriter, r *http.Request, project store.Actor, req RoleRequest) {
	person, ok := s.roleHolder(w, r, req)
	if !ok {
		return
	}
	ctx := r.Context()
	h, err := s.ledger.History(ctx, project.Name)
	if err != nil {
		s.storeError(w, err, "project "+project.Name)
		return
	}
	id := s.urls.Actor(person.Name)
	for _, p := range h.Fold(s.ledger.Policy(), s.now()).Pending {
		if p.Kind == notice.Handover && slices.Contains(p.People, id) {
			writeError(w, http.StatusConflict, fmt.Sprintf("%s is offered %s already by %s, and has not accepted it: baton notice endorse %s --as %s (--key FILE | --agent)",
				person.Name, project.Name, p.Notice, p.Notice, person.Name))
			return
		}
	}
	n := notice.Notice{Project: project.Name, Kind: notice.Handover, To: []string{id}, Mode: notice.Successor,
		Scope: notice.Rights, Text: fmt.Sprintf("%s had no maintainer, and its instance spoke for it. %s takes it on, with every right, once they accept.",
			project.ShownName(), person.ShownName())}
	pub, err := s.outbox.PublishNotice(ctx, n)
	if s.statementError(w, err, project.Name) {
		return
	}
	view := RoleView{Role: "maintainer", Person: person.Name, Project: project.Name, Since: pub.Notice.Published.Format(time.RFC3339), Notice: pub.URL}
	if note, err := federation.ParseNote(pub.Notice.Document); err == nil {
		view.Missing = note.Missing
	}
	s.log.Info("adoption published", "project", project.Name, "person", person.Name, "notice", pub.URL)
	writeJSON(w, http.StatusAccepted, "application/json", view)
}

// listMaintainers answers a project's first maintainers, as the admin set them:
// GET /api/v1/projects/{name}/maintainers. After its first notice, handovers say who maintains it
// (GET /api/v1/projects/{name}/state).
func (s *Server) listMaintainers(w http.ResponseWriter, r *http.Request) {
	project, ok := s.lookupProject(w, r, r.PathValue("name"))
	if !ok {
		return
	}
	s.writeRoles(w, r, project.Name)
}

// addSteward makes a person a steward of the instance: POST /api/v1/stewards.
func (s *Server) addSteward(w http.ResponseWriter, r *http.Request) {
	var req RoleRequest
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	s.peopleMu.Lock()
	defer s.peopleMu.Unlock()
	person, ok := s.roleHolder(w, r, req)
	if !ok {
		return
	}
	role := store.Role{Person: person.Name, Since: s.now().UTC()}
	if err := s.store.AddRole(ctx, role); errors.Is(err, store.ErrExists) {
		writeError(w, http.StatusConflict, fmt.Sprintf("%s is a steward already", person.Name))
		return
	} else if err != nil {
		s.storeError(w, err, "role")
		return
	}
	s.log.Info("steward added", "person", person.Name)
	s.announcePerson(ctx, person)
	writeJSON(w, http.StatusCreated, "application/json", roleView(role))
}

// listStewards answers the instance's stewards: GET /api/v1/stewards.
func (s *Server) listStewards(w http.ResponseWriter, r *http.Request) {
	s.writeRoles(w, r, "")
}

func (s *Server) writeRoles(w http.ResponseWriter, r *http.Request, project string) {
	roles, err := s.store.RoleHolders(r.Context(), project)
	if err != nil {
		s.storeError(w, err, "roles")
		return
	}
	out := make([]RoleView, 0, len(roles))
	for _, role := range roles {
		out = append(out, roleView(role))
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}
