package outbox

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/ledger"
	"baton/notice"
	"baton/store"
)

// A maintainer's notice arrives as a statement the maintainer signed on their own machine. The ledger
// checks its proofs and judges it against the project's record; the outbox publishes it inside a Note
// the project signs, stored only if the record is still as it was judged.

// PublishStatement publishes a statement a maintainer signed, once the ledger admits it. A statement
// the policy asks more proofs for is published all the same, marked unendorsed.
func (o *Outbox) PublishStatement(ctx context.Context, project string, raw []byte) (Published, error) {
	checked, err := o.ledger.CheckStatement(ctx, project, raw)
	if err != nil {
		return Published{}, err
	}
	return o.publishAdmitted(ctx, project, func() (ledger.Admitted, error) { return o.ledger.AdmitStatement(ctx, checked) })
}

// publishAdmitted publishes what admit admits, judging it again if the project's notices changed
// between the judgement and the store.
func (o *Outbox) publishAdmitted(ctx context.Context, project string, admit func() (ledger.Admitted, error)) (Published, error) {
	var id int64 // reserved once admitted, and kept if admission must be judged again
	for range ledger.Attempts {
		a, err := admit()
		if err != nil {
			return Published{}, err
		}
		if id == 0 {
			if id, err = o.store.NextNoticeID(ctx); err != nil {
				return Published{}, err
			}
		}
		a.Signed.ID = o.urls.Notice(id)
		pub, err := o.publishSigned(ctx, a.History, id, a.Signed, a.Statement, a.Revision)
		if !errors.Is(err, store.ErrConflict) {
			return pub, err
		}
	}
	return Published{}, ledger.Refuse(409, "the notices of %s kept changing while this one was judged: send it again", project)
}

// publishSigned renders, signs and stores an admitted statement, and queues it, provided the
// project's notices are still at revision: ErrConflict if another was admitted meanwhile.
func (o *Outbox) publishSigned(ctx context.Context, h ledger.History, id int64, sn notice.Signed, st federation.Statement, revision int64) (Published, error) {
	actor, err := store.Project(ctx, o.store, sn.Notice.Project)
	if err != nil {
		return Published{}, err
	}
	public := sn.Notice.Audience() == notice.AudiencePublic
	var to []string
	var remote []recipient
	if !public {
		if to, remote = o.addressees(ctx, h, sn.Notice); len(to) == 0 {
			return Published{}, ErrNoStewards
		}
	}
	note, err := o.statementNote(ctx, h, actor, id, sn, st.Raw, to, time.Time{})
	if err != nil {
		return Published{}, err
	}
	create, err := o.urls.CreateDocument(id, actor.Name, public, to, note, sn.Published)
	if err != nil {
		return Published{}, err
	}
	stored := store.Notice{ID: id, Actor: actor.Name, StatementID: st.ID, Kind: string(sn.Notice.Kind), Public: public,
		Document: note, Published: sn.Published}
	queued, err := o.store.PublishNotice(ctx, stored, store.Activity{ID: o.urls.NoticeActivity(id), Signer: actor.Name, Body: create, To: inboxes(remote)}, revision)
	if errors.Is(err, store.ErrExists) {
		return Published{}, ledger.Refuse(409, "statement %s is published already", st.ID)
	}
	if err != nil {
		return Published{}, err
	}
	o.metrics.published.Inc()
	o.log.Info("notice published", "id", id, "project", actor.Name, "kind", sn.Notice.Kind, "author", sn.Notice.Author, "queued", queued)
	if public {
		// The history as it stands now is h with this notice: no need to load it again.
		after := h
		after.Notices = append(slices.Clip(h.Notices), sn)
		if err := o.updateProfileFor(ctx, actor, h, after, sn.Published); err != nil {
			o.log.Error("send profile update", "project", actor.Name, "err", err)
		}
	}
	if sn.Notice.Kind == notice.Revocation {
		o.markRevoked(ctx, h, sn)
	}
	o.Nudge()
	return Published{Notice: stored, URL: o.urls.Notice(id), Queued: queued}, nil
}

// markRevoked renders again each notice a revocation withdrew, marked revoked, and sends followers
// the Update: a revoked handover must not go on reading as it did. The revocation is out already, so
// a failure here is logged, not returned.
func (o *Outbox) markRevoked(ctx context.Context, h ledger.History, revocation notice.Signed) {
	for _, id := range revocation.Notice.Revokes {
		stored, ok := h.Stored[id]
		if !ok {
			continue
		}
		if err := o.rerender(ctx, stored.ID); err != nil {
			o.log.Error("mark a revoked notice", "notice", id, "revocation", revocation.ID, "err", err)
		}
	}
}

// rerender renders a notice's Note again as its project's notices now stand, stores it if nothing
// changed meanwhile, and sends followers the Update.
func (o *Outbox) rerender(ctx context.Context, id int64) error {
	for range ledger.Attempts {
		r, err := o.ledger.Reopen(ctx, id)
		if err != nil {
			return err
		}
		if _, err = o.republish(ctx, r); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("notice %d kept changing", id)
}

// statementNote writes and signs the Note that carries a statement, with the policy's verdict at the
// time of writing; a notice that is not public is addressed to to alone.
func (o *Outbox) statementNote(ctx context.Context, h ledger.History, actor store.Actor, id int64, sn notice.Signed, statement []byte, to []string, updated time.Time) ([]byte, error) {
	// The state the notice changes is the one before it; its endorsements count as of now.
	state := notice.Fold(h.Genesis, h.Notices, h.Stewards, o.cfg.Policy, sn.Published)
	evaluatedAt := sn.Published
	if !updated.IsZero() {
		evaluatedAt = updated
	}
	e := notice.Evaluate(state, sn, h.Stewards, o.cfg.Policy, evaluatedAt)
	public := sn.Notice.Audience() == notice.AudiencePublic
	revokedBy := h.RevocationOf(sn.ID)
	names := o.personNames(ctx, sn, revokedBy.Notice.Author)
	fields := federation.NoteFields{
		ID: id, Actor: actor.Name, Published: sn.Published, Public: public, Kind: string(sn.Notice.Kind),
		Since: sn.Notice.Since, Until: sn.Notice.Until, Statement: statement, Updated: updated,
		ContentHTML: RenderStatementHTML(o.urls, actor, sn, e, names, id, revokedBy),
		Tags:        Tags(o.urls, actor.Name, sn.Notice.Kind), RevokedBy: revokedBy.ID, Language: o.cfg.Language,
	}
	if !public {
		fields.To = to
	}
	if e.Required {
		endorsed := e.Endorsed
		fields.Endorsed, fields.Missing = &endorsed, e.Missing
	}
	note, err := o.urls.NoteDocument(fields)
	if err != nil {
		return nil, err
	}
	signedAt := sn.Published
	if !updated.IsZero() {
		signedAt = updated
	}
	return proof.Sign(note, ed25519.NewKeyFromSeed(actor.Ed25519Seed), o.urls.ProofKey(actor.Name), signedAt)
}

// PersonName is the name people read for a person id: a local person's shown name, else the name their
// actor gives (federation.Names), else the id when no resolver reaches other instances.
func (o *Outbox) PersonName(ctx context.Context, id string) string {
	if name := o.urls.LocalActorName(id); name != "" {
		if a, err := o.store.Actor(ctx, name); err == nil {
			return a.ShownName()
		}
	}
	if o.names == nil {
		return id
	}
	return o.names.Of(ctx, id)
}

// personNames maps the people a notice names to the names people read.
func (o *Outbox) personNames(ctx context.Context, sn notice.Signed, others ...string) map[string]string {
	names := map[string]string{}
	add := func(id string) {
		if _, ok := names[id]; !ok && id != "" {
			names[id] = o.PersonName(ctx, id)
		}
	}
	add(sn.Notice.Author)
	for _, ids := range [][]string{sn.Notice.From, sn.Notice.To} {
		for _, id := range ids {
			add(id)
		}
	}
	for _, p := range sn.Proofs {
		add(p.Person)
	}
	for _, id := range others {
		add(id)
	}
	return names
}

// Endorsed is the outcome of adding proofs to a published notice.
type Endorsed struct {
	URL      string
	Endorsed bool
	Missing  []string
	Queued   int
}

// EndorseStatement adds proofs to a published notice's statement, once the ledger admits them (see
// ledger.AdmitEndorsement). The Note is rendered again with the policy's new verdict, signed, stored
// (only if nothing changed meanwhile) and sent to followers as an Update.
func (o *Outbox) EndorseStatement(ctx context.Context, id int64, raw []byte) (Endorsed, error) {
	return o.EndorseStatementFrom(ctx, id, raw, "")
}

// EndorseStatementFrom is EndorseStatement for proofs delivered by by, a person on another instance:
// each proof added must be theirs.
func (o *Outbox) EndorseStatementFrom(ctx context.Context, id int64, raw []byte, by string) (Endorsed, error) {
	st, err := federation.ParseStatement(raw)
	if err != nil {
		return Endorsed{}, ledger.Refuse(400, "%v", err)
	}
	for range ledger.Attempts {
		r, err := o.ledger.AdmitEndorsement(ctx, id, st, by)
		if err != nil {
			return Endorsed{}, err
		}
		e, err := o.republish(ctx, r)
		if !errors.Is(err, store.ErrConflict) {
			return e, err
		}
	}
	return Endorsed{}, ledger.Refuse(409, "notice %d kept changing while this endorsement was judged: send it again", id)
}

// republish renders, signs, stores and sends a notice again (its statement gained proofs, or it was
// revoked), provided its project's notices are still at the revision it was read at.
func (o *Outbox) republish(ctx context.Context, r ledger.Reopened) (Endorsed, error) {
	h, stored, sn, statement, added, revision := r.History, r.Stored, r.Signed, r.Statement, r.Added, r.Revision
	actor, err := o.store.Actor(ctx, stored.Actor)
	if err != nil {
		return Endorsed{}, err
	}
	precise := o.now().UTC()
	now := precise.Truncate(time.Second)
	public := sn.Notice.Audience() == notice.AudiencePublic
	var to []string
	var remote []recipient
	if !public {
		to, remote = o.readdressed(ctx, h, sn, stored.Document)
	}
	note, err := o.statementNote(ctx, h, actor, stored.ID, sn, statement, to, now)
	if err != nil {
		return Endorsed{}, err
	}
	updateID := o.urls.UpdateNoteID(stored.ID, precise)
	update, err := o.urls.UpdateNoteDocument(updateID, stored.ID, actor.Name, public, to, note, now)
	if err != nil {
		return Endorsed{}, err
	}
	queued, err := o.store.UpdateNotice(ctx, stored.ID, note, store.Activity{ID: updateID, Signer: actor.Name, Body: update, To: inboxes(remote)}, revision)
	if err != nil {
		return Endorsed{}, err
	}
	state := notice.Fold(h.Genesis, h.Notices, h.Stewards, o.cfg.Policy, sn.Published)
	e := notice.Evaluate(state, sn, h.Stewards, o.cfg.Policy, now)
	o.log.Info("notice rendered again", "id", stored.ID, "project", actor.Name, "proofs_added", added, "endorsed", e.Endorsed, "revoked", h.RevocationOf(sn.ID).ID != "", "queued", queued)
	o.Nudge()
	return Endorsed{URL: o.urls.Notice(stored.ID), Endorsed: e.Endorsed, Missing: e.Missing, Queued: queued}, nil
}
