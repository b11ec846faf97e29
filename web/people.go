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
	"html"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	vocab "github.com/go-ap/activitypub"

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

// KeyRequest is the body of POST /api/v1/people/{name}/keys.
type KeyRequest struct {
	Key string `json:"key"`
}

// RevokeKeyRequest is the body of POST /api/v1/people/{name}/keys/revoke.
type RevokeKeyRequest struct {
	Fingerprint string `json:"fingerprint"` // "SHA256:…", as ssh-keygen -l prints it
}

// RoleRequest is the body of POST /api/v1/projects/{name}/maintainers and POST /api/v1/stewards.
type RoleRequest struct {
	Person string `json:"person"`
	// SigningKeys (maintainers only) are release-signing keys the person already signs the project's
	// releases with: part of its genesis, so allowed only while the project has no notices.
	SigningKeys []SigningKeyRequest `json:"signing_keys,omitempty"`
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

// KeyView is one of a person's keys, revoked ones included.
type KeyView struct {
	Fingerprint string `json:"fingerprint"`
	Multikey    string `json:"multikey"` // publicKeyMultibase
	KeyID       string `json:"key_id"`   // the verification method id proofs name
	Added       string `json:"added"`
	Revoked     string `json:"revoked,omitempty"`
}

// RoleView is a role the admin granted: a project's first maintainer, or a steward of the instance.
type RoleView struct {
	Role    string `json:"role"` // "maintainer" or "steward"
	Person  string `json:"person,omitempty"`
	Project string `json:"project,omitempty"`
	Since   string `json:"since"`
}

// keyExample is how an error says what a key should look like.
const keyExample = `an OpenSSH public key line, "ssh-ed25519 AAAA… comment" (the .pub file)`

// parsedKey is a public key read from a request.
type parsedKey struct {
	pub         ed25519.PublicKey
	fingerprint string
}

// parsePublicKey reads one public key: an OpenSSH authorized_keys line (ssh-ed25519 only), or a
// Multikey ("z6Mk…").
func parsePublicKey(line string) (parsedKey, error) {
	line = strings.TrimSpace(line)
	switch {
	case line == "":
		return parsedKey{}, errors.New("empty: want " + keyExample)
	case strings.Contains(line, "PRIVATE KEY"):
		return parsedKey{}, errors.New("this is a private key: send the public key, the line in the .pub file")
	case strings.ContainsAny(line, "\r\n"):
		return parsedKey{}, errors.New("more than one line: give one key per entry")
	}
	var pub ed25519.PublicKey
	var err error
	if strings.HasPrefix(line, "z") && !strings.ContainsAny(line, " \t") {
		pub, err = proof.DecodeMultikey(line)
	} else {
		pub, err = proof.ParseOpenSSHPublicKey([]byte(line))
	}
	if err != nil {
		return parsedKey{}, err
	}
	fp, err := proof.Fingerprint(pub)
	if err != nil {
		return parsedKey{}, err
	}
	return parsedKey{pub: pub, fingerprint: fp}, nil
}

// keyLabel names a key of a request in an error: its position and its first characters.
func keyLabel(i int, line string) string {
	line = strings.TrimSpace(line)
	if utf8.RuneCountInString(line) > 24 {
		line = string([]rune(line)[:24]) + "…"
	}
	return fmt.Sprintf("keys[%d] (%q)", i, line)
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

// keyHolder returns the person other than except who holds pub (in use or revoked), or "". One key
// is one person: were a key listed for two, its holder could count as two signers.
func (s *Server) keyHolder(ctx context.Context, pub ed25519.PublicKey, except string) (string, error) {
	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return "", err
	}
	for _, a := range actors {
		if a.Kind != store.KindPerson || a.Name == except {
			continue
		}
		keys, err := s.store.PersonKeys(ctx, a.Name)
		if err != nil {
			return "", err
		}
		for _, k := range keys {
			if pub.Equal(ed25519.PublicKey(k.PublicKey)) {
				return a.Name, nil
			}
		}
	}
	return "", nil
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

func (s *Server) keyView(k store.PersonKey) KeyView {
	pub := ed25519.PublicKey(k.PublicKey)
	v := KeyView{Fingerprint: k.Fingerprint, Multikey: proof.EncodeMultikey(pub), KeyID: s.urls.PersonKey(k.Person, pub),
		Added: k.Added.UTC().Format(time.RFC3339)}
	if !k.Revoked.IsZero() {
		v.Revoked = k.Revoked.UTC().Format(time.RFC3339)
	}
	return v
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

// addPersonKey adds a key to a person: POST /api/v1/people/{name}/keys. Rotating a key is adding the
// new one, then revoking the old one.
func (s *Server) addPersonKey(w http.ResponseWriter, r *http.Request) {
	var req KeyRequest
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	s.peopleMu.Lock()
	defer s.peopleMu.Unlock()
	a, ok := s.lookupPerson(w, r, r.PathValue("name"))
	if !ok {
		return
	}
	k, err := parsePublicKey(req.Key)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "key: "+err.Error())
		return
	}
	keys, err := s.store.PersonKeys(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "keys")
		return
	}
	for _, old := range keys {
		if !k.pub.Equal(ed25519.PublicKey(old.PublicKey)) {
			continue
		}
		if !old.Revoked.IsZero() {
			writeError(w, http.StatusConflict, fmt.Sprintf("%s's key %s was revoked on %s and is not taken back: make a new key",
				a.Name, old.Fingerprint, old.Revoked.UTC().Format(time.RFC3339)))
			return
		}
		writeError(w, http.StatusConflict, fmt.Sprintf("%s has key %s already", a.Name, old.Fingerprint))
		return
	}
	holder, err := s.keyHolder(ctx, k.pub, a.Name)
	if err != nil {
		s.storeError(w, err, "keys")
		return
	}
	if holder != "" {
		writeError(w, http.StatusConflict, fmt.Sprintf("key %s is %s's already: one key, one person", k.fingerprint, holder))
		return
	}
	err = s.store.AddKey(ctx, store.PersonKey{Person: a.Name, Fingerprint: k.fingerprint, PublicKey: k.pub, Added: s.now().UTC()})
	if errors.Is(err, store.ErrExists) {
		writeError(w, http.StatusConflict, fmt.Sprintf("%s has key %s already", a.Name, k.fingerprint))
		return
	} else if err != nil {
		s.storeError(w, err, "key")
		return
	}
	s.log.Info("key added", "person", a.Name, "fingerprint", k.fingerprint)
	s.announcePerson(ctx, a)
	s.writePerson(w, ctx, http.StatusCreated, a)
}

// revokePersonKey revokes one of a person's keys: POST /api/v1/people/{name}/keys/revoke. The key
// stays listed, with the time, so what it signed before stays verifiable.
func (s *Server) revokePersonKey(w http.ResponseWriter, r *http.Request) {
	var req RevokeKeyRequest
	if !decodeBody(w, r, &req) {
		return
	}
	fp := strings.TrimSpace(req.Fingerprint)
	if fp == "" {
		writeError(w, http.StatusUnprocessableEntity, `fingerprint: required, as ssh-keygen -l prints it ("SHA256:…")`)
		return
	}
	if !strings.HasPrefix(fp, "SHA256:") {
		fp = "SHA256:" + fp
	}
	ctx := r.Context()
	s.peopleMu.Lock()
	defer s.peopleMu.Unlock()
	a, ok := s.lookupPerson(w, r, r.PathValue("name"))
	if !ok {
		return
	}
	keys, err := s.store.PersonKeys(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "keys")
		return
	}
	var target *store.PersonKey
	inUse := 0
	for i, k := range keys {
		if k.Revoked.IsZero() {
			inUse++
		}
		if k.Fingerprint == fp {
			target = &keys[i]
		}
	}
	switch {
	case target == nil:
		writeError(w, http.StatusNotFound, fmt.Sprintf("%s has no key %s", a.Name, fp))
		return
	case !target.Revoked.IsZero():
		writeError(w, http.StatusNotFound, fmt.Sprintf("%s's key %s was revoked already, on %s", a.Name, fp, target.Revoked.UTC().Format(time.RFC3339)))
		return
	case inUse == 1:
		writeError(w, http.StatusConflict, fmt.Sprintf("%s is %s's last key in use: add the new key first (baton key add %s --key FILE.pub), then revoke this one",
			fp, a.Name, a.Name))
		return
	}
	if err := s.store.RevokeKey(ctx, a.Name, fp, s.now().UTC()); errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("%s has no key %s in use", a.Name, fp))
		return
	} else if err != nil {
		s.storeError(w, err, "key")
		return
	}
	s.log.Info("key revoked", "person", a.Name, "fingerprint", fp)
	s.announcePerson(ctx, a)
	s.writePerson(w, ctx, http.StatusOK, a)
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
// Once the project has a notice, its maintainers change only through handover notices.
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

// announcePerson sends a person's followers an Update of their actor after their keys or roles
// changed, so their servers list the keys as they are now. The change is made already: a failure here
// is logged, and servers see the change when they next fetch the actor.
func (s *Server) announcePerson(ctx context.Context, a store.Actor) {
	doc, err := s.personDocument(ctx, a)
	if err != nil {
		s.log.Error("send person update", "person", a.Name, "err", err)
		return
	}
	at := s.now().UTC()
	id := fmt.Sprintf("%s#updates/%d", s.urls.Actor(a.Name), at.UnixNano())
	update, err := s.urls.UpdateDocument(a.Name, id, doc, at)
	if err != nil {
		s.log.Error("send person update", "person", a.Name, "err", err)
		return
	}
	n, err := s.store.EnqueueFollowers(ctx, a.Name, store.Activity{ID: id, Signer: a.Name, Body: update})
	if err != nil {
		s.log.Error("send person update", "person", a.Name, "err", err)
		return
	}
	if n > 0 && s.outbox != nil {
		s.outbox.Nudge()
	}
}

// personDocument is a person's actor document: a Person with their keys as Multikey assertionMethods,
// revoked ones included with the time they were revoked.
func (s *Server) personDocument(ctx context.Context, a store.Actor) ([]byte, error) {
	signer, err := federation.ParsePrivateKeyPEM(a.RSAKeyPEM)
	if err != nil {
		return nil, err
	}
	rsaPub, err := federation.PublicKeyPEM(signer.Public())
	if err != nil {
		return nil, err
	}
	keys, err := s.store.PersonKeys(ctx, a.Name)
	if err != nil {
		return nil, err
	}
	roles, err := s.personRoles(ctx, a.Name)
	if err != nil {
		return nil, err
	}
	summary, err := s.personSummary(ctx, a, roles)
	if err != nil {
		return nil, err
	}
	var signing []federation.SigningKey
	var inUse []string
	for _, k := range keys {
		signing = append(signing, federation.SigningKey{Key: ed25519.PublicKey(k.PublicKey), Revoked: k.Revoked})
		if k.Revoked.IsZero() {
			inUse = append(inUse, html.EscapeString(k.Fingerprint))
		}
	}
	var fields []federation.Field
	if len(inUse) > 0 {
		fields = append(fields, federation.Field{Name: "Signing keys", ValueHTML: strings.Join(inUse, ", ")})
	}
	return s.urls.ActorDocument(federation.ActorProfile{
		Name:         a.Name,
		Username:     a.Name,
		Type:         vocab.PersonType,
		DisplayName:  a.ShownName(),
		SummaryHTML:  summary,
		Fields:       fields,
		RSAPublicPEM: rsaPub,
		SigningKeys:  signing,
		Published:    a.Created,
	})
}

// personSummary says who a person is, as far as their roles say.
func (s *Server) personSummary(ctx context.Context, a store.Actor, roles []store.Role) (string, error) {
	var b strings.Builder
	var projects []string
	steward := false
	for _, r := range roles {
		if r.Project == "" {
			steward = true
			continue
		}
		name := r.Project
		if p, err := s.store.Actor(ctx, r.Project); err == nil {
			name = p.ShownName()
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		projects = append(projects, `<a href="`+html.EscapeString(s.urls.Actor(r.Project))+`">`+html.EscapeString(name)+`</a>`)
	}
	var says []string
	if steward {
		says = append(says, "Steward of this instance, "+html.EscapeString(s.urls.Host())+".")
	}
	if len(projects) > 0 {
		says = append(says, "Maintainer of "+strings.Join(projects, ", ")+".")
	}
	if len(says) > 0 {
		b.WriteString("<p>" + strings.Join(says, " ") + "</p>")
	}
	b.WriteString("<p>" + html.EscapeString(a.ShownName()) + " signs maintainer notices on " + html.EscapeString(s.urls.Host()) +
		" with their own keys, listed on this actor; a revoked key stays listed with the date it was revoked.</p>")
	return b.String(), nil
}

// personActor serves a person's actor document to servers and their page to people.
func (s *Server) personActor(w http.ResponseWriter, r *http.Request, a store.Actor) {
	if federation.WantsActivityJSON(r) {
		doc, err := s.personDocument(r.Context(), a)
		s.writeDoc(w, doc, err)
		return
	}
	s.personPage(w, r, a)
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
