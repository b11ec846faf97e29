package web

import (
	"baton/outbox"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// maxAPIBody bounds the JSON a client may send to the API.
const maxAPIBody = 64 << 10

// ProjectRequest is the body of POST /api/v1/projects.
type ProjectRequest struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Summary     string `json:"summary"`
	Homepage    string `json:"homepage"`
	Repository  string `json:"repository"`
	// Since is when the project's record starts (YYYY-MM-DD), for a project taken on with its history;
	// empty is now. Its notices may be dated back to it, not before.
	Since string `json:"since,omitempty"`
	// SigningKeys are the release-signing keys already in use; a key's holder becomes one of the
	// project's first maintainers.
	SigningKeys []SigningKeyRequest `json:"signing_keys,omitempty"`
}

// ProjectView is a project as the API shows it.
type ProjectView struct {
	Name        string `json:"name"`
	Handle      string `json:"handle"`
	Actor       string `json:"actor"`
	DisplayName string `json:"display_name"`
	Summary     string `json:"summary,omitempty"`
	Homepage    string `json:"homepage,omitempty"`
	Repository  string `json:"repository,omitempty"`
	Status      string `json:"status"`
	Followers   int    `json:"followers"`
	Notices     int    `json:"notices"`
	Created     string `json:"created"`
	RecordSince string `json:"record_since"`
	// SigningKeys are the release-signing keys in the project's genesis.
	SigningKeys []notice.SigningKey `json:"signing_keys"`
}

// NoticeRequest is the body of POST /api/v1/projects/{name}/notices: a notice the instance publishes
// for a project without maintainers, or a distro for its packaging of a package. Every field of every
// kind is read, so that none is dropped unsaid; the instance then refuses what it may not say
// (notice.ByInstance). People are named as on this instance (from, to, key holders).
type NoticeRequest struct {
	Kind         string              `json:"kind"`
	Text         string              `json:"text"`
	Since        string              `json:"since,omitempty"` // YYYY-MM-DD or RFC 3339
	Until        string              `json:"until,omitempty"`
	From         []string            `json:"from,omitempty"`
	To           []string            `json:"to,omitempty"`
	Mode         string              `json:"mode,omitempty"`
	Scope        []string            `json:"scope,omitempty"`
	Help         []string            `json:"help,omitempty"`
	Role         string              `json:"role,omitempty"`
	Requirements string              `json:"requirements,omitempty"`
	Term         string              `json:"term,omitempty"` // call-for-stewards: an end date or a length (6m)
	Public       bool                `json:"public,omitempty"`
	Reason       string              `json:"reason,omitempty"`
	Revokes      []string            `json:"revokes,omitempty"`
	Orphaned     bool                `json:"orphaned,omitempty"`
	KeysAdded    []SigningKeyRequest `json:"keys_added,omitempty"`
	KeysRemoved  []SigningKeyRequest `json:"keys_removed,omitempty"`
	Moves        []notice.InfraMove  `json:"moves,omitempty"`
}

// NoticeView is a published notice as the API shows it.
type NoticeView struct {
	ID        int64  `json:"id"`
	URL       string `json:"url"`
	Project   string `json:"project"`
	Kind      string `json:"kind"`
	Published string `json:"published"`
	Queued    int    `json:"queued"`
}

// decodeBody reads a JSON body of at most maxAPIBody bytes, refusing unknown fields so that a typo in
// a field name is an error rather than silently ignored.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxAPIBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "request body: "+err.Error())
		return false
	}
	return true
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	var req ProjectRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if err := req.validate(); err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	since, err := recordSince(req.Since, s.now())
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	keys, holders, err := s.signingKeys(r.Context(), req.SigningKeys, "")
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	a, err := newProjectActor(req, s.now())
	if err != nil {
		s.storeError(w, err, "keys")
		return
	}
	a.RecordSince, a.SigningKeys = since, keys
	if err := s.store.CreateActor(r.Context(), a); errors.Is(err, store.ErrExists) {
		writeError(w, http.StatusConflict, fmt.Sprintf("project %q exists already", req.Name))
		return
	} else if err != nil {
		s.storeError(w, err, "project")
		return
	}
	// Whoever holds a key the project signs releases with is one of its first maintainers.
	for _, h := range holders {
		if err := s.store.AddRole(r.Context(), store.Role{Person: h, Project: a.Name, Since: s.now().UTC()}); err != nil && !errors.Is(err, store.ErrExists) {
			s.storeError(w, err, "role")
			return
		}
	}
	s.log.Info("project created", "name", a.Name, "record_since", a.RecordStart(), "signing_keys", len(keys))
	view, err := s.projectView(r.Context(), a)
	if err != nil {
		s.storeError(w, err, "project")
		return
	}
	writeJSON(w, http.StatusCreated, "application/json", view)
}

func (req *ProjectRequest) validate() error {
	req.Name = strings.TrimSpace(req.Name)
	var errs []error
	if err := notice.ValidName(req.Name); err != nil {
		errs = append(errs, fmt.Errorf("name: %w", err))
	}
	if utf8.RuneCountInString(req.DisplayName) > 100 {
		errs = append(errs, errors.New("display_name: at most 100 characters"))
	}
	if utf8.RuneCountInString(req.Summary) > 500 {
		errs = append(errs, errors.New("summary: at most 500 characters"))
	}
	for field, v := range map[string]string{"homepage": req.Homepage, "repository": req.Repository} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", field, v))
		}
	}
	return errors.Join(errs...)
}

// newProjectActor makes a project actor with fresh keys: RSA for HTTP signatures, Ed25519 for proofs.
func newProjectActor(req ProjectRequest, now time.Time) (store.Actor, error) {
	_, rsaPEM, err := federation.NewRSAKey()
	if err != nil {
		return store.Actor{}, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return store.Actor{}, err
	}
	return store.Actor{Name: req.Name, Kind: store.KindProject, DisplayName: strings.TrimSpace(req.DisplayName),
		Summary: strings.TrimSpace(req.Summary), Homepage: req.Homepage, Repository: req.Repository,
		RSAKeyPEM: rsaPEM, Ed25519Seed: seed, Created: now.UTC()}, nil
}

func (s *Server) projectView(ctx context.Context, a store.Actor) (ProjectView, error) {
	status, err := s.outbox.Status(ctx, a.Name)
	if err != nil {
		return ProjectView{}, err
	}
	followers, err := s.store.CountFollowers(ctx, a.Name)
	if err != nil {
		return ProjectView{}, err
	}
	notices, err := s.store.CountNotices(ctx, a.Name, true)
	if err != nil {
		return ProjectView{}, err
	}
	return ProjectView{Name: a.Name, Handle: "@" + a.Name + "@" + s.urls.AcctHost(), Actor: s.urls.Actor(a.Name),
		DisplayName: a.ShownName(), Summary: a.Summary, Homepage: a.Homepage, Repository: a.Repository,
		Status: status, Followers: followers, Notices: notices, Created: a.Created.Format(time.RFC3339),
		RecordSince: a.RecordStart().Format(time.RFC3339), SigningKeys: append([]notice.SigningKey{}, a.SigningKeys...)}, nil
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	actors, err := s.store.ListActors(r.Context())
	if err != nil {
		s.storeError(w, err, "projects")
		return
	}
	views := make([]ProjectView, 0, len(actors))
	for _, a := range actors {
		if a.Kind != store.KindProject {
			continue
		}
		v, err := s.projectView(r.Context(), a)
		if err != nil {
			s.storeError(w, err, "project")
			return
		}
		views = append(views, v)
	}
	writeJSON(w, http.StatusOK, "application/json", views)
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	a, err := store.Project(r.Context(), s.store, r.PathValue("name"))
	if err != nil {
		s.storeError(w, err, "project "+r.PathValue("name"))
		return
	}
	v, err := s.projectView(r.Context(), a)
	if err != nil {
		s.storeError(w, err, "project")
		return
	}
	writeJSON(w, http.StatusOK, "application/json", v)
}

func (s *Server) postNotice(w http.ResponseWriter, r *http.Request) {
	var req NoticeRequest
	if !decodeBody(w, r, &req) {
		return
	}
	n, err := s.requestedNotice(r.Context(), req, r.PathValue("name"))
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if err := notice.CheckUntil(n, s.now()); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.publishNotice(w, r, n)
}

// publishNotice publishes n as the instance's word and answers 201 with the notice.
func (s *Server) publishNotice(w http.ResponseWriter, r *http.Request, n notice.Notice) {
	pub, err := s.outbox.PublishNotice(r.Context(), n)
	if errors.Is(err, notice.ErrReliefByCase) || errors.Is(err, outbox.ErrNoStewards) {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if s.statementError(w, err, n.Project) {
		return
	}
	writeJSON(w, http.StatusCreated, "application/json", NoticeView{ID: pub.Notice.ID, URL: pub.URL, Project: pub.Notice.Actor,
		Kind: pub.Notice.Kind, Published: pub.Notice.Published.Format(time.RFC3339), Queued: pub.Queued})
}

// requestedNotice turns a request into a notice, its people resolved to actor ids, saying every
// problem at once.
func (s *Server) requestedNotice(ctx context.Context, req NoticeRequest, project string) (notice.Notice, error) {
	var errs []error
	problem := func(field string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
	}
	kind, err := notice.ParseKind(req.Kind)
	if err != nil {
		errs = append(errs, err)
	}
	since, err := notice.ParseDate(req.Since)
	problem("since", err)
	until, err := notice.ParseDate(req.Until)
	problem("until", err)
	term, err := notice.ParseTerm(req.Term)
	problem("term", err)
	n := notice.Notice{Term: term, Project: project, Kind: kind, Text: req.Text, Since: since, Until: until, Mode: notice.Mode(req.Mode),
		Role: req.Role, Requirements: req.Requirements, Public: req.Public, Reason: req.Reason, Revokes: req.Revokes,
		Orphaned: req.Orphaned, Infra: req.Moves}
	for _, r := range req.Scope {
		n.Scope = append(n.Scope, notice.Right(r))
	}
	for _, h := range req.Help {
		n.Help = append(n.Help, notice.Help(h))
	}
	n.From, err = s.personIDs(ctx, req.From)
	problem("from", err)
	n.To, err = s.personIDs(ctx, req.To)
	problem("to", err)
	n.KeysAdded, _, err = s.signingKeys(ctx, req.KeysAdded, "")
	problem("keys_added", err)
	n.KeysRemoved, _, err = s.signingKeys(ctx, req.KeysRemoved, "")
	problem("keys_removed", err)
	if err := errors.Join(errs...); err != nil {
		return notice.Notice{}, err
	}
	return n, n.Validate()
}

// personIDs resolves the names of people on this instance to their actor ids.
func (s *Server) personIDs(ctx context.Context, names []string) ([]string, error) {
	var ids []string
	var errs []error
	for _, name := range names {
		a, err := s.store.Actor(ctx, name)
		if err != nil || a.Kind != store.KindPerson {
			errs = append(errs, fmt.Errorf("%q is not a person on this instance: register them first, baton person add %s --key FILE.pub", name, name))
			continue
		}
		ids = append(ids, s.urls.Actor(name))
	}
	return ids, errors.Join(errs...)
}
