package web

// A person's actor document, and the Update their followers get when it changes (a key added or
// revoked, a role granted).

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"

	vocab "github.com/go-ap/activitypub"

	"baton/federation"
	"baton/store"
)

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
	var stewardSince time.Time
	for _, r := range roles {
		if r.Project == "" {
			stewardSince = r.Since
		}
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
		StewardSince: stewardSince,
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
