package web

// People are the maintainers and stewards of an instance: Person actors whose Ed25519 keys (the ones
// they already sign git commits with) are listed on their actor as Multikeys (FEP-521a). The admin
// registers them and grants their first roles; keys are added and revoked, never deleted, so the record
// of who held which key when stays visible.

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
)

// PersonRequest is the body of POST /api/v1/people.
type PersonRequest struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"display_name"`
	Keys        []string `json:"keys"` // OpenSSH public key lines, "ssh-ed25519 AAAA… comment"
}

// PersonView is a person as the API shows them.
type PersonView struct {
	Name        string     `json:"name"`
	Handle      string     `json:"handle"`
	Actor       string     `json:"actor"`
	DisplayName string     `json:"display_name"`
	Keys        []KeyView  `json:"keys"`
	Roles       []RoleView `json:"roles"`
	// Rights are what the person holds in each project now, as its notices say.
	Rights  []RightView `json:"rights"`
	Created string      `json:"created"`
}

// validate checks a request to register a person and reads its keys, saying every problem at once.
func (req *PersonRequest) validate() ([]parsedKey, error) {
	req.Name = strings.TrimSpace(req.Name)
	req.DisplayName = strings.TrimSpace(req.DisplayName)
	var errs []error
	if err := notice.ValidName(req.Name); err != nil {
		errs = append(errs, fmt.Errorf("name: %w", err))
	}
	if utf8.RuneCountInString(req.DisplayName) > 100 {
		errs = append(errs, errors.New("display_name: at most 100 characters"))
	}
	if len(req.Keys) == 0 {
		errs = append(errs, errors.New("keys: at least one key, "+keyExample))
	}
	var keys []parsedKey
	seen := map[string]int{}
	for i, line := range req.Keys {
		k, err := parsePublicKey(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", keyLabel(i, line), err))
			continue
		}
		if j, dup := seen[k.fingerprint]; dup {
			errs = append(errs, fmt.Errorf("%s: the same key as keys[%d] (%s)", keyLabel(i, line), j, k.fingerprint))
			continue
		}
		seen[k.fingerprint] = i
		keys = append(keys, k)
	}
	return keys, errors.Join(errs...)
}

// createPerson registers a person with their keys: POST /api/v1/people.
func (s *Server) createPerson(w http.ResponseWriter, r *http.Request) {
	var req PersonRequest
	if !decodeBody(w, r, &req) {
		return
	}
	keys, err := req.validate()
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	_, rsaPEM, err := federation.NewRSAKey() // before the lock: it takes a while
	if err != nil {
		s.storeError(w, err, "keys")
		return
	}
	ctx := r.Context()
	s.peopleMu.Lock()
	defer s.peopleMu.Unlock()
	if existing, err := s.store.Actor(ctx, req.Name); err == nil {
		writeError(w, http.StatusConflict, fmt.Sprintf("the name %q is taken already, by a %s", req.Name, kindOf(existing)))
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		s.storeError(w, err, "actor")
		return
	}
	for i, k := range keys {
		holder, err := s.keyHolder(ctx, k.pub, "")
		if err != nil {
			s.storeError(w, err, "keys")
			return
		}
		if holder != "" {
			writeError(w, http.StatusConflict, fmt.Sprintf("%s: key %s is %s's already: one key, one person", keyLabel(i, req.Keys[i]), k.fingerprint, holder))
			return
		}
	}
	now := s.now().UTC()
	a := store.Actor{Name: req.Name, Kind: store.KindPerson, DisplayName: req.DisplayName, RSAKeyPEM: rsaPEM, Created: now}
	if err := s.store.CreateActor(ctx, a); errors.Is(err, store.ErrExists) {
		writeError(w, http.StatusConflict, fmt.Sprintf("the name %q is taken already", req.Name))
		return
	} else if err != nil {
		s.storeError(w, err, "person")
		return
	}
	for _, k := range keys {
		// Every key was checked above; a failure here is the store's.
		if err := s.store.AddKey(ctx, store.PersonKey{Person: a.Name, Fingerprint: k.fingerprint, PublicKey: k.pub, Added: now}); err != nil {
			s.storeError(w, err, "key")
			return
		}
	}
	s.log.Info("person created", "name", a.Name, "keys", len(keys))
	s.writePerson(w, r.Context(), http.StatusCreated, a)
}

func kindOf(a store.Actor) string {
	if a.Kind == store.KindPerson {
		return "person"
	}
	return "project"
}

// lookupPerson loads the person named by {name}, answering 404 for anyone else.
func (s *Server) lookupPerson(w http.ResponseWriter, r *http.Request, name string) (store.Actor, bool) {
	a, err := s.store.Actor(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Kind != store.KindPerson) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("person %q not found", name))
		return store.Actor{}, false
	}
	if err != nil {
		s.storeError(w, err, "person")
		return store.Actor{}, false
	}
	return a, true
}

// lookupProject loads the project named by {name}, answering 404 for anyone else.
func (s *Server) lookupProject(w http.ResponseWriter, r *http.Request, name string) (store.Actor, bool) {
	a, err := store.Project(r.Context(), s.store, name)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("project %q not found", name))
		return store.Actor{}, false
	}
	if err != nil {
		s.storeError(w, err, "project")
		return store.Actor{}, false
	}
	return a, true
}

func (s *Server) getPerson(w http.ResponseWriter, r *http.Request) {
	a, ok := s.lookupPerson(w, r, r.PathValue("name"))
	if !ok {
		return
	}
	s.writePerson(w, r.Context(), http.StatusOK, a)
}

func (s *Server) writePerson(w http.ResponseWriter, ctx context.Context, status int, a store.Actor) {
	v, err := s.personView(ctx, a)
	if err != nil {
		s.storeError(w, err, "person")
		return
	}
	writeJSON(w, status, "application/json", v)
}

func (s *Server) personView(ctx context.Context, a store.Actor) (PersonView, error) {
	keys, err := s.store.PersonKeys(ctx, a.Name)
	if err != nil {
		return PersonView{}, err
	}
	roles, err := s.personRoles(ctx, a.Name)
	if err != nil {
		return PersonView{}, err
	}
	v := PersonView{Name: a.Name, Handle: "@" + a.Name + "@" + s.urls.AcctHost(), Actor: s.urls.Actor(a.Name),
		DisplayName: a.ShownName(), Keys: make([]KeyView, 0, len(keys)), Roles: make([]RoleView, 0, len(roles)),
		Created: a.Created.UTC().Format(time.RFC3339)}
	for _, k := range keys {
		v.Keys = append(v.Keys, s.keyView(k))
	}
	for _, r := range roles {
		rv := roleView(r)
		rv.Person = ""
		v.Roles = append(v.Roles, rv)
	}
	v.Rights, err = s.heldRights(ctx, a.Name)
	return v, err
}

type personRoleItem struct {
	Title, Name, URL string
	Since            time.Time
}

type personKeyItem struct {
	Fingerprint, Multikey string
	Added, Revoked        time.Time
}

func (s *Server) personPage(w http.ResponseWriter, r *http.Request, a store.Actor) {
	ctx := r.Context()
	keys, err := s.store.PersonKeys(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "keys")
		return
	}
	roles, err := s.personRoles(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "roles")
		return
	}
	followers, err := s.store.CountFollowers(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "followers")
		return
	}
	var roleItems []personRoleItem
	for _, role := range roles {
		if role.Project == "" {
			roleItems = append(roleItems, personRoleItem{Title: "Steward", Name: "of this instance", Since: role.Since})
			continue
		}
		name := role.Project
		if p, err := s.store.Actor(ctx, role.Project); err == nil {
			name = p.ShownName()
		}
		roleItems = append(roleItems, personRoleItem{Title: "Maintainer", Name: name, URL: s.urls.Actor(role.Project), Since: role.Since})
	}
	keyItems := make([]personKeyItem, 0, len(keys))
	for _, k := range keys {
		keyItems = append(keyItems, personKeyItem{Fingerprint: k.Fingerprint, Multikey: proof.EncodeMultikey(ed25519.PublicKey(k.PublicKey)),
			Added: k.Added.UTC(), Revoked: k.Revoked.UTC()})
	}
	rights, err := s.heldRights(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "rights")
		return
	}
	p := s.page(a.ShownName() + " — Baton notices")
	p.Alternates = []alternate{{federation.ContentType, s.urls.Actor(a.Name)}}
	s.render(w, "person.html", struct {
		page
		Name        string
		DisplayName string
		Followers   int
		Roles       []personRoleItem
		Rights      []RightView
		Keys        []personKeyItem
	}{p, a.Name, a.ShownName(), followers, roleItems, rights, keyItems})
}
