package outbox

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
)

// A maintainer's notice arrives as a statement the maintainer signed on their own machine. The outbox
// checks its proofs against the signers' keys, asks the trust policy whether its author may say it and
// whether it is endorsed, and publishes it inside a Note the project signs.

// StatementError is a statement refused for what it says or who signed it, as opposed to a failure of
// the instance. Status is the HTTP status to answer.
type StatementError struct {
	Status int
	Err    error
}

func (e *StatementError) Error() string { return e.Err.Error() }
func (e *StatementError) Unwrap() error { return e.Err }

func refuse(status int, format string, args ...any) error {
	return &StatementError{Status: status, Err: fmt.Errorf(format, args...)}
}

// History is what a project's state is folded from.
type History struct {
	Genesis       notice.Genesis
	Notices       []notice.Signed // in the order published
	Stewards      []string        // the stewards now
	stewardsSince map[string]time.Time
	Stored        map[string]store.Notice // by notice id
}

// History loads a project's first maintainers, its notices with their verified proofs, and the stewards.
func (o *Outbox) History(ctx context.Context, project string) (History, error) {
	a, err := store.Project(ctx, o.store, project)
	if err != nil {
		return History{}, err
	}
	// Notices are dated to the second; so is the genesis, or a notice published in the project's
	// first second would come before the project had maintainers.
	genesis := notice.Genesis{Project: project, Since: a.RecordStart().Truncate(time.Second), Added: a.Created.Truncate(time.Second), Keys: a.SigningKeys}
	h := History{Genesis: genesis, Stored: map[string]store.Notice{}}
	if h.Genesis.Maintainers, err = o.roleHolders(ctx, project); err != nil {
		return History{}, err
	}
	stewards, err := o.store.RoleHolders(ctx, "")
	if err != nil {
		return History{}, err
	}
	h.stewardsSince = map[string]time.Time{}
	for _, r := range stewards {
		id := o.urls.Actor(r.Person)
		h.Stewards = append(h.Stewards, id)
		h.stewardsSince[id] = r.Since
	}
	stored, err := o.allNotices(ctx, project)
	if err != nil {
		return History{}, err
	}
	for _, n := range stored {
		v, err := federation.ParseNote(n.Document)
		if err != nil || v.Statement == nil {
			continue // a notice without a statement says nothing about who holds what
		}
		st, err := federation.ParseStatement(v.Statement)
		if err != nil {
			return History{}, fmt.Errorf("notice %d: %w", n.ID, err)
		}
		proofs, err := o.storedProofs(ctx, st.Raw)
		if err != nil {
			return History{}, fmt.Errorf("notice %d: %w", n.ID, err)
		}
		st.Notice.Project = project
		id := o.urls.Notice(n.ID)
		h.Notices = append(h.Notices, notice.Signed{ID: id, Published: n.Published, Notice: st.Notice, Proofs: proofs})
		h.Stored[id] = n
	}
	return h, nil
}

// Fold is the project's state at a time, as known then.
func (h History) Fold(p notice.Policy, at time.Time) notice.State {
	return notice.Fold(h.Genesis, h.Notices, h.StewardsAt(at), p, at)
}

// FoldHindsight is the project's state at a time knowing what is known at now (the auditor's view).
func (h History) FoldHindsight(p notice.Policy, at, now time.Time) notice.State {
	return notice.FoldHindsight(h.Genesis, h.Notices, h.StewardsAt(at), p, at, now)
}

// StewardsAt is who were stewards at a time: an audit of a past date must not count endorsements by
// someone who became a steward later.
func (h History) StewardsAt(at time.Time) []string {
	var out []string
	for _, id := range h.Stewards {
		if !h.stewardsSince[id].After(at) {
			out = append(out, id)
		}
	}
	return out
}

func (o *Outbox) roleHolders(ctx context.Context, project string) ([]string, error) {
	roles, err := o.store.RoleHolders(ctx, project)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = o.urls.Actor(r.Person)
	}
	return ids, nil
}

// allNotices returns a project's notices oldest first.
func (o *Outbox) allNotices(ctx context.Context, project string) ([]store.Notice, error) {
	var all []store.Notice
	before := int64(0)
	for {
		page, err := o.store.ListNotices(ctx, project, before, 500, false)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < 500 {
			break
		}
		before = page[len(page)-1].ID
	}
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	return all, nil
}

// verifyProofs checks every proof on a statement against the keys of this instance's people, and says
// who made each. With fresh set (a statement or endorsement being submitted now), a key revoked
// already is refused: its holder lost it, and could date a proof as they like.
func (o *Outbox) verifyProofs(ctx context.Context, doc []byte, fresh bool) ([]notice.Proof, error) {
	people := map[string]string{} // verification method -> person id
	fingerprints := map[string]string{}
	verified, err := proof.Verify(doc, func(vm string) (ed25519.PublicKey, error) {
		key, person, fp, err := o.personKey(ctx, vm, fresh)
		if err != nil {
			return nil, err
		}
		people[vm], fingerprints[vm] = person, fp
		return key, nil
	})
	if err != nil {
		return nil, refuse(422, "%v", err)
	}
	out := make([]notice.Proof, len(verified))
	for i, p := range verified {
		out[i] = notice.Proof{Person: people[p.VerificationMethod], Key: fingerprints[p.VerificationMethod], Created: p.Created}
	}
	return out, nil
}

// personKey resolves a verification method ACTOR#MULTIKEY to one of a local person's keys.
func (o *Outbox) personKey(ctx context.Context, vm string, fresh bool) (ed25519.PublicKey, string, string, error) {
	actorID, fragment, _ := strings.Cut(vm, "#")
	name := o.urls.LocalActorName(actorID)
	if name == "" {
		return nil, "", "", fmt.Errorf("key %s is not a key of a person on this instance", vm)
	}
	pub, err := proof.DecodeMultikey(fragment)
	if err != nil {
		return nil, "", "", fmt.Errorf("key %s: %w", vm, err)
	}
	keys, err := o.store.PersonKeys(ctx, name)
	if err != nil {
		return nil, "", "", err
	}
	for _, k := range keys {
		if !ed25519.PublicKey(k.PublicKey).Equal(pub) {
			continue
		}
		if fresh && !k.Revoked.IsZero() {
			return nil, "", "", fmt.Errorf("key %s of %s was revoked on %s", k.Fingerprint, name, k.Revoked.Format(notice.Date))
		}
		return pub, actorID, k.Fingerprint, nil
	}
	return nil, "", "", fmt.Errorf("key %s is not one of %s's keys", vm, name)
}

// admitAttempts bounds how often a statement or endorsement is judged again because another one was
// admitted meanwhile (by this replica or another sharing the store).
const admitAttempts = 8

// PublishStatement publishes a statement a maintainer signed: its proofs must verify against keys of
// this instance's people, its author must be allowed to say it (notice.Admit), every signer must be
// someone it concerns (notice.MaySign), and it must not exist yet. A statement the policy asks more
// proofs for is published all the same, marked unendorsed. Admission is judged on a revision of the
// project's notices and stored only if it is still the latest, so replicas never admit two
// conflicting statements.
func (o *Outbox) PublishStatement(ctx context.Context, project string, raw []byte) (Published, error) {
	st, err := federation.ParseStatement(raw)
	if err != nil {
		return Published{}, refuse(400, "%v", err)
	}
	if st.Project != o.urls.Actor(project) {
		return Published{}, refuse(422, "the statement is about %s, not %s", st.Project, o.urls.Actor(project))
	}
	st.Notice.Project = project
	if _, err := o.store.NoticeByStatement(ctx, st.ID); err == nil {
		return Published{}, refuse(409, "statement %s is published already", st.ID)
	}
	proofs, err := o.verifyProofs(ctx, raw, true)
	if err != nil {
		return Published{}, err
	}
	if err := o.freshProofs(proofs, StatementFreshness); err != nil {
		return Published{}, err
	}
	var id int64 // reserved once admitted, and kept if admission must be judged again
	for range admitAttempts {
		revision, err := o.store.Revision(ctx, project)
		if err != nil {
			return Published{}, err
		}
		h, err := o.History(ctx, project)
		if err != nil {
			return Published{}, err
		}
		now := o.now().UTC().Truncate(time.Second)
		// Notice 0 never exists, so it stands in for the id until the notice is admitted.
		candidate := notice.Signed{ID: o.urls.Notice(0), Published: now, Notice: st.Notice, Proofs: proofs}
		if err := o.admit(h, candidate, now); err != nil {
			return Published{}, err
		}
		if id == 0 {
			if id, err = o.store.NextNoticeID(ctx); err != nil {
				return Published{}, err
			}
		}
		candidate.ID = o.urls.Notice(id)
		pub, err := o.publishSigned(ctx, h, id, candidate, st, revision)
		if !errors.Is(err, store.ErrConflict) {
			return pub, err
		}
	}
	return Published{}, refuse(409, "the notices of %s kept changing while this one was judged: send it again", project)
}

// admit says why candidate may not be published after h's notices, as a StatementError, or nil.
func (o *Outbox) admit(h History, candidate notice.Signed, now time.Time) error {
	if err := notice.Admit(h.Genesis, h.Notices, candidate, h.Stewards, o.cfg.Policy); err != nil {
		return refuse(422, "%v", err)
	}
	// Admit judges a notice on the state of the day it takes effect; its author must also be allowed
	// to say it today, or a former maintainer could grant rights by dating a handover in the past.
	today := h.Fold(o.cfg.Policy, now)
	if err := notice.Authorize(today, candidate, h.Stewards); err != nil {
		return refuse(422, "as things stand today: %v", err)
	}
	return o.maySign(today, candidate, candidate.Proofs, h.Stewards)
}

// maySign refuses proofs by people the notice does not concern: listed among its signers, they would
// read as support they are not.
func (o *Outbox) maySign(today notice.State, sn notice.Signed, proofs []notice.Proof, stewards []string) error {
	for _, p := range proofs {
		if err := notice.MaySign(today, sn, p.Person, stewards); err != nil {
			return refuse(422, "%v", err)
		}
	}
	return nil
}

// publishSigned renders, signs and stores an admitted statement, and queues it, provided the
// project's notices are still at revision: ErrConflict if another was admitted meanwhile.
func (o *Outbox) publishSigned(ctx context.Context, h History, id int64, sn notice.Signed, st federation.Statement, revision int64) (Published, error) {
	actor, err := store.Project(ctx, o.store, sn.Notice.Project)
	if err != nil {
		return Published{}, err
	}
	note, public, err := o.statementNote(ctx, h, actor, id, sn, st.Raw, time.Time{})
	if err != nil {
		return Published{}, err
	}
	to := []string(nil)
	if !public {
		to = h.Stewards
	}
	create, err := o.urls.CreateDocument(id, actor.Name, public, to, note, sn.Published)
	if err != nil {
		return Published{}, err
	}
	stored := store.Notice{ID: id, Actor: actor.Name, StatementID: st.ID, Kind: string(sn.Notice.Kind), Public: public,
		Document: note, Published: sn.Published}
	queued, err := o.store.PublishNotice(ctx, stored, store.Activity{ID: o.urls.NoticeActivity(id), Signer: actor.Name, Body: create}, revision)
	if errors.Is(err, store.ErrExists) {
		return Published{}, refuse(409, "statement %s is published already", st.ID)
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
func (o *Outbox) markRevoked(ctx context.Context, h History, revocation notice.Signed) {
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
	for range admitAttempts {
		stored, err := o.store.Notice(ctx, id)
		if err != nil {
			return err
		}
		revision, err := o.store.Revision(ctx, stored.Actor)
		if err != nil {
			return err
		}
		if stored, err = o.store.Notice(ctx, id); err != nil {
			return err
		}
		st, err := o.storedStatement(stored)
		if err != nil {
			return err
		}
		h, err := o.History(ctx, stored.Actor)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(h.Notices, func(s notice.Signed) bool { return s.ID == o.urls.Notice(id) })
		if i < 0 {
			return fmt.Errorf("notice %d is not among its project's notices", id)
		}
		sn := h.Notices[i]
		h.Notices = slices.Delete(h.Notices, i, i+1)
		if _, err = o.republish(ctx, h, stored, sn, st.Raw, 0, revision); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("notice %d kept changing", id)
}

// revocationOf is the revocation among h's notices that withdrew id; zero if none did.
func (h History) revocationOf(id string) notice.Signed {
	for _, s := range h.Notices {
		if s.Notice.Kind == notice.Revocation && slices.Contains(s.Notice.Revokes, id) {
			return s
		}
	}
	return notice.Signed{}
}

// statementNote writes and signs the Note that carries a statement, with the policy's verdict at the
// time of writing.
func (o *Outbox) statementNote(ctx context.Context, h History, actor store.Actor, id int64, sn notice.Signed, statement []byte, updated time.Time) ([]byte, bool, error) {
	// The state the notice changes is the one before it; its endorsements count as of now.
	state := notice.Fold(h.Genesis, h.Notices, h.Stewards, o.cfg.Policy, sn.Published)
	evaluatedAt := sn.Published
	if !updated.IsZero() {
		evaluatedAt = updated
	}
	e := notice.Evaluate(state, sn, h.Stewards, o.cfg.Policy, evaluatedAt)
	public := sn.Notice.Audience() == notice.AudiencePublic
	revokedBy := h.revocationOf(sn.ID)
	names := o.personNames(ctx, sn, revokedBy.Notice.Author)
	fields := federation.NoteFields{
		ID: id, Actor: actor.Name, Published: sn.Published, Public: public, Kind: string(sn.Notice.Kind),
		Since: sn.Notice.Since, Until: sn.Notice.Until, Statement: statement, Updated: updated,
		ContentHTML: RenderStatementHTML(o.urls, actor, sn, e, names, id, revokedBy),
		Tags:        Tags(o.urls, actor.Name, sn.Notice.Kind), RevokedBy: revokedBy.ID,
	}
	if !public {
		fields.To = h.Stewards
	}
	if e.Required {
		endorsed := e.Endorsed
		fields.Endorsed, fields.Missing = &endorsed, e.Missing
	}
	note, err := o.urls.NoteDocument(fields)
	if err != nil {
		return nil, false, err
	}
	signedAt := sn.Published
	if !updated.IsZero() {
		signedAt = updated
	}
	signed, err := proof.Sign(note, ed25519.NewKeyFromSeed(actor.Ed25519Seed), o.urls.ProofKey(actor.Name), signedAt)
	return signed, public, err
}

// PersonName is the name people read for a person id: a local person's shown name, else the id.
func (o *Outbox) PersonName(ctx context.Context, id string) string {
	if name := o.urls.LocalActorName(id); name != "" {
		if a, err := o.store.Actor(ctx, name); err == nil {
			return a.ShownName()
		}
	}
	return id
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

// EndorseStatement adds proofs to a published notice's statement: raw is the statement as published,
// with one or more proofs more (a steward's endorsement, an outgoing maintainer's consent, an incoming
// one's acceptance), made by people the notice concerns. They join the proofs the notice carries now,
// so endorsers who sign at once each keep theirs. The Note is rendered again with the policy's new
// verdict, signed, stored (only if no other change came first) and sent to followers as an Update.
func (o *Outbox) EndorseStatement(ctx context.Context, id int64, raw []byte) (Endorsed, error) {
	st, err := federation.ParseStatement(raw)
	if err != nil {
		return Endorsed{}, refuse(400, "%v", err)
	}
	for range admitAttempts {
		e, err := o.endorseOnce(ctx, id, st)
		if !errors.Is(err, store.ErrConflict) {
			return e, err
		}
	}
	return Endorsed{}, refuse(409, "notice %d kept changing while this endorsement was judged: send it again", id)
}

// endorseOnce judges and stores an endorsement against the notice as it stands now: ErrConflict when
// the project's notices changed before it could be stored.
func (o *Outbox) endorseOnce(ctx context.Context, id int64, st federation.Statement) (Endorsed, error) {
	stored, err := o.store.Notice(ctx, id)
	if err != nil {
		return Endorsed{}, err
	}
	revision, err := o.store.Revision(ctx, stored.Actor)
	if err != nil {
		return Endorsed{}, err
	}
	if stored, err = o.store.Notice(ctx, id); err != nil { // read after the revision: never older than it
		return Endorsed{}, err
	}
	old, err := o.storedStatement(stored)
	if err != nil {
		return Endorsed{}, err
	}
	if st.ID != old.ID || st.Project != old.Project || !reflect.DeepEqual(st.Notice, old.Notice) {
		return Endorsed{}, refuse(422, "the statement differs from the one notice %d carries: endorse it as published", id)
	}
	merged, err := proof.Merge(old.Raw, st.Raw)
	if err != nil {
		return Endorsed{}, refuse(422, "%v", err)
	}
	added, err := o.newProofs(ctx, old.Raw, merged)
	if err != nil {
		return Endorsed{}, err
	}
	proofs, err := o.verifyProofs(ctx, merged, false)
	if err != nil {
		return Endorsed{}, err
	}
	oldProofs, err := o.storedProofs(ctx, old.Raw)
	if err != nil {
		return Endorsed{}, err
	}
	fresh := without(proofs, oldProofs)
	// An endorsement counts from when it is made: one dated back would change past verdicts.
	if err := o.freshProofs(fresh, QueryFreshness); err != nil {
		return Endorsed{}, err
	}
	h, err := o.History(ctx, stored.Actor)
	if err != nil {
		return Endorsed{}, err
	}
	noticeID := o.urls.Notice(id)
	h.Notices = slices.DeleteFunc(h.Notices, func(s notice.Signed) bool { return s.ID == noticeID })
	st.Notice.Project = stored.Actor
	sn := notice.Signed{ID: noticeID, Published: stored.Published, Notice: st.Notice, Proofs: proofs}
	if err := o.maySign(h.Fold(o.cfg.Policy, o.now()), sn, fresh, h.Stewards); err != nil {
		return Endorsed{}, err
	}
	return o.republish(ctx, h, stored, sn, merged, added, revision)
}

// storedStatement reads the statement a stored notice carries.
func (o *Outbox) storedStatement(stored store.Notice) (federation.Statement, error) {
	view, err := federation.ParseNote(stored.Document)
	if err != nil || view.Statement == nil {
		return federation.Statement{}, refuse(422, "notice %d carries no signed statement", stored.ID)
	}
	st, err := federation.ParseStatement(view.Statement)
	if err != nil {
		return federation.Statement{}, fmt.Errorf("notice %d: stored statement: %w", stored.ID, err)
	}
	return st, nil
}

// republish renders, signs, stores and sends a notice whose statement gained proofs.
func (o *Outbox) republish(ctx context.Context, h History, stored store.Notice, sn notice.Signed, statement []byte, added int, revision int64) (Endorsed, error) {
	actor, err := o.store.Actor(ctx, stored.Actor)
	if err != nil {
		return Endorsed{}, err
	}
	precise := o.now().UTC()
	now := precise.Truncate(time.Second)
	note, public, err := o.statementNote(ctx, h, actor, stored.ID, sn, statement, now)
	if err != nil {
		return Endorsed{}, err
	}
	to := []string(nil)
	if !public {
		to = h.Stewards
	}
	updateID := o.urls.UpdateNoteID(stored.ID, precise)
	update, err := o.urls.UpdateNoteDocument(updateID, stored.ID, actor.Name, public, to, note, now)
	if err != nil {
		return Endorsed{}, err
	}
	queued, err := o.store.UpdateNotice(ctx, stored.ID, note, store.Activity{ID: updateID, Signer: actor.Name, Body: update}, revision)
	if err != nil {
		return Endorsed{}, err
	}
	state := notice.Fold(h.Genesis, h.Notices, h.Stewards, o.cfg.Policy, sn.Published)
	e := notice.Evaluate(state, sn, h.Stewards, o.cfg.Policy, now)
	o.log.Info("notice rendered again", "id", stored.ID, "project", actor.Name, "proofs_added", added, "endorsed", e.Endorsed, "revoked", h.revocationOf(sn.ID).ID != "", "queued", queued)
	o.Nudge()
	return Endorsed{URL: o.urls.Notice(stored.ID), Endorsed: e.Endorsed, Missing: e.Missing, Queued: queued}, nil
}

// newProofs checks that updated keeps every proof of published and adds at least one, each made with
// a key in use now, and counts the added ones.
func (o *Outbox) newProofs(ctx context.Context, published, updated []byte) (int, error) {
	before, err := proofValues(published)
	if err != nil {
		return 0, err
	}
	after, err := proofValues(updated)
	if err != nil {
		return 0, refuse(400, "%v", err)
	}
	for value := range before {
		if _, ok := after[value]; !ok {
			return 0, refuse(422, "the statement lost a proof it had: endorsements add proofs, never remove them")
		}
	}
	added := 0
	for value, vm := range after {
		if _, ok := before[value]; ok {
			continue
		}
		if _, _, _, err := o.personKey(ctx, vm, true); err != nil {
			return 0, refuse(422, "%v", err)
		}
		added++
	}
	if added == 0 {
		return 0, refuse(422, "the statement has no proof it did not have already")
	}
	return added, nil
}

// proofEntry is what the outbox reads of a proof without checking it.
type proofEntry struct {
	VerificationMethod string `json:"verificationMethod"`
	ProofValue         string `json:"proofValue"`
	Created            string `json:"created"`
}

// proofEntries reads a document's proofs: one, or a set.
func proofEntries(doc []byte) ([]proofEntry, error) {
	var d struct {
		Proof json.RawMessage `json:"proof"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	var list []proofEntry
	if json.Unmarshal(d.Proof, &list) != nil {
		var one proofEntry
		if err := json.Unmarshal(d.Proof, &one); err != nil {
			return nil, errors.New("proof: neither a proof nor a list of them")
		}
		list = []proofEntry{one}
	}
	return list, nil
}

// proofValues maps each proof's proofValue to its verification method.
func proofValues(doc []byte) (map[string]string, error) {
	list, err := proofEntries(doc)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range list {
		out[e.ProofValue] = e.VerificationMethod
	}
	return out, nil
}

// storedProofs says who made the proofs of a statement the instance stored: they were verified when
// they arrived, so reading them needs no cryptography, only the signers' keys to name the people.
func (o *Outbox) storedProofs(ctx context.Context, doc []byte) ([]notice.Proof, error) {
	list, err := proofEntries(doc)
	if err != nil {
		return nil, err
	}
	out := make([]notice.Proof, 0, len(list))
	for _, e := range list {
		_, person, fp, err := o.personKey(ctx, e.VerificationMethod, false)
		if err != nil {
			return nil, err
		}
		created, _ := time.Parse(time.RFC3339, e.Created)
		out = append(out, notice.Proof{Person: person, Key: fp, Created: created})
	}
	return out, nil
}

// QueryFreshness is how far a signed query's proof may be from now: enough for clocks that differ a
// little, short enough that a captured query is of no use for long.
const QueryFreshness = 5 * time.Minute

// Steward checks a query signed by a steward (to read what is meant for stewards alone): one proof, by
// a key in use of a person who is a steward, made within QueryFreshness of now, and an id not seen
// before. It returns the steward's actor id.
func (o *Outbox) Steward(ctx context.Context, query []byte) (string, error) {
	var q struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(query, &q); err != nil || q.Type != StewardQueryType || !strings.HasPrefix(q.ID, "urn:uuid:") {
		return "", refuse(400, "want a %s with a urn:uuid id", StewardQueryType)
	}
	proofs, err := o.verifyProofs(ctx, query, true)
	if err != nil {
		return "", refuse(401, "%v", err)
	}
	if len(proofs) != 1 {
		return "", refuse(401, "a query carries exactly one proof, its steward's")
	}
	now := o.now()
	if d := now.Sub(proofs[0].Created); d > QueryFreshness || d < -QueryFreshness {
		return "", refuse(401, "the query was signed at %s, more than %s from now", proofs[0].Created.Format(time.RFC3339), QueryFreshness)
	}
	stewards, err := o.roleHolders(ctx, "")
	if err != nil {
		return "", err
	}
	if !slices.Contains(stewards, proofs[0].Person) {
		return "", refuse(403, "%s is not a steward of this instance", proofs[0].Person)
	}
	// One query id is good for one read, on any replica: marking it used is the check.
	if first, err := o.store.UseOnce(ctx, q.ID, now); err != nil || !first {
		if err == nil {
			err = refuse(401, "query %s was used already", q.ID)
		}
		return "", err
	}
	return proofs[0].Person, nil
}

// StewardQueryType is the type of a steward's signed query.
const StewardQueryType = "StewardQuery"

// StatementFreshness is how old a statement's proofs may be when it is published: long enough to
// pass a handover between its signers, short enough that nobody dates a statement far back.
const StatementFreshness = 7 * 24 * time.Hour

// freshProofs refuses proofs made more than QueryFreshness in the future, or longer than maxAge ago.
// A proof's date is the signer's word; these bounds keep it close to the day the instance received it.
func (o *Outbox) freshProofs(proofs []notice.Proof, maxAge time.Duration) error {
	now := o.now()
	for _, p := range proofs {
		switch {
		case p.Created.After(now.Add(QueryFreshness)):
			return refuse(422, "the proof by %s is dated %s, in the future", p.Person, p.Created.Format(time.RFC3339))
		case p.Created.Before(now.Add(-maxAge)):
			return refuse(422, "the proof by %s is dated %s, more than %s ago: sign it again", p.Person, p.Created.Format(time.RFC3339), maxAge)
		}
	}
	return nil
}

// without returns the proofs of all that are not among old.
func without(all, old []notice.Proof) []notice.Proof {
	var out []notice.Proof
	for _, p := range all {
		if !slices.Contains(old, p) {
			out = append(out, p)
		}
	}
	return out
}
