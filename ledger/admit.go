package ledger

import (
	"context"
	"reflect"
	"slices"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
)

// Checked is a statement whose proofs verified against this instance's people's keys, made recently:
// what it says is judged next, against the record as it stands (AdmitStatement).
type Checked struct {
	Project   string
	Statement federation.Statement
	Proofs    []notice.Proof
}

// CheckStatement parses a statement a maintainer signed for project and verifies its proofs: each by
// a key in use of a person on this instance, made within StatementFreshness. It must not be published
// already, nor be a relief request (notice.ErrReliefByCase).
func (l *Ledger) CheckStatement(ctx context.Context, project string, raw []byte) (Checked, error) {
	st, err := federation.ParseStatement(raw)
	if err != nil {
		return Checked{}, Refuse(400, "%v", err)
	}
	if st.Project != l.urls.Actor(project) {
		return Checked{}, Refuse(422, "the statement is about %s, not %s", st.Project, l.urls.Actor(project))
	}
	st.Notice.Project = project
	if st.Notice.Kind == notice.ReliefRequest {
		return Checked{}, Refuse(422, "%v", notice.ErrReliefByCase)
	}
	if err := notice.CheckUntil(st.Notice, l.now()); err != nil {
		return Checked{}, Refuse(400, "%v", err)
	}
	if _, err := l.store.NoticeByStatement(ctx, st.ID); err == nil {
		return Checked{}, Refuse(409, "statement %s is published already", st.ID)
	}
	proofs, err := l.verifyProofs(ctx, raw, true)
	if err != nil {
		return Checked{}, err
	}
	if err := l.freshProofs(proofs, StatementFreshness); err != nil {
		return Checked{}, err
	}
	return Checked{Project: project, Statement: st, Proofs: proofs}, nil
}

// Admitted is a statement admitted to its project's record: the record it was judged on, at Revision,
// and the notice it makes, published now. Signed.ID is a stand-in until the notice gets its id.
type Admitted struct {
	History   History
	Revision  int64
	Signed    notice.Signed
	Statement federation.Statement
}

// AdmitStatement judges a checked statement against its project's record as it stands: its author
// may say it (notice.Admit on the day it takes effect, notice.Authorize today) and every signer is
// someone it concerns (notice.MaySign). A statement the policy asks more proofs for is admitted all
// the same, to be published marked unendorsed. Store it only at Revision.
func (l *Ledger) AdmitStatement(ctx context.Context, c Checked) (Admitted, error) {
	revision, err := l.store.Revision(ctx, c.Project)
	if err != nil {
		return Admitted{}, err
	}
	h, err := l.History(ctx, c.Project)
	if err != nil {
		return Admitted{}, err
	}
	now := l.now().UTC().Truncate(time.Second)
	// Notice 0 never exists, so it stands in for the id until the notice is stored.
	candidate := notice.Signed{ID: l.urls.Notice(0), Published: now, Notice: c.Statement.Notice, Proofs: c.Proofs}
	if err := notice.Admit(h.Genesis, h.Notices, candidate, h.Stewards, l.policy); err != nil {
		return Admitted{}, Refuse(422, "%v", err)
	}
	// Admit judges a notice on the state of the day it takes effect; its author must also be allowed
	// to say it today, or a former maintainer could grant rights by dating a handover in the past.
	today := h.Fold(l.policy, now)
	if err := notice.Authorize(today, candidate, h.Stewards); err != nil {
		return Admitted{}, Refuse(422, "as things stand today: %v", err)
	}
	if err := maySign(today, candidate, candidate.Proofs, h.Stewards); err != nil {
		return Admitted{}, err
	}
	return Admitted{History: h, Revision: revision, Signed: candidate, Statement: c.Statement}, nil
}

// AdmitByInstance judges a statement the instance writes for a project that has no maintainers (its
// author is the project; see notice.ByInstance), as Fold will judge it. Store it only at Revision.
func (l *Ledger) AdmitByInstance(ctx context.Context, project string, st federation.Statement) (Admitted, error) {
	revision, err := l.store.Revision(ctx, project)
	if err != nil {
		return Admitted{}, err
	}
	h, err := l.History(ctx, project)
	if err != nil {
		return Admitted{}, err
	}
	now := l.now().UTC().Truncate(time.Second)
	candidate := notice.Signed{ID: l.urls.Notice(0), Published: now, Notice: st.Notice, ByInstance: true}
	if err := notice.Admit(h.Genesis, h.Notices, candidate, h.Stewards, l.policy); err != nil {
		return Admitted{}, Refuse(422, "%v", err)
	}
	// Admit judges on the day the notice takes effect; the instance must have no maintainer to speak
	// for today too, or it could hand over a project by dating the handover back.
	if today := h.Fold(l.policy, now); len(today.Maintainers) > 0 {
		return Admitted{}, Refuse(409, "%s has maintainers, who sign its notices: baton notice post --project %s --as NAME --key FILE", project, project)
	}
	return Admitted{History: h, Revision: revision, Signed: candidate, Statement: st}, nil
}

// maySign refuses proofs by people the notice does not concern: listed among its signers, they would
// read as support they are not.
func maySign(today notice.State, sn notice.Signed, proofs []notice.Proof, stewards []string) error {
	for _, p := range proofs {
		if err := notice.MaySign(today, sn, p.Person, stewards); err != nil {
			return Refuse(422, "%v", err)
		}
	}
	return nil
}

// Reopened is a published notice as its project's record holds it at Revision, to render again:
// History is the record without it; Statement is its statement with every proof it carries (with
// those an endorsement adds, for AdmitEndorsement); Added counts the proofs added.
type Reopened struct {
	History   History
	Revision  int64
	Stored    store.Notice
	Signed    notice.Signed
	Statement []byte
	Added     int
}

// Reopen reads a published notice and its project's record at one revision.
func (l *Ledger) Reopen(ctx context.Context, id int64) (Reopened, error) {
	stored, err := l.store.Notice(ctx, id)
	if err != nil {
		return Reopened{}, err
	}
	revision, err := l.store.Revision(ctx, stored.Actor)
	if err != nil {
		return Reopened{}, err
	}
	if stored, err = l.store.Notice(ctx, id); err != nil { // read after the revision: never older than it
		return Reopened{}, err
	}
	st, err := l.storedStatement(stored)
	if err != nil {
		return Reopened{}, err
	}
	h, err := l.History(ctx, stored.Actor)
	if err != nil {
		return Reopened{}, err
	}
	noticeID := l.urls.Notice(id)
	i := slices.IndexFunc(h.Notices, func(s notice.Signed) bool { return s.ID == noticeID })
	if i < 0 {
		return Reopened{}, Refuse(422, "notice %d is not among the notices of %s", id, stored.Actor)
	}
	sn := h.Notices[i]
	h.Notices = slices.Delete(slices.Clone(h.Notices), i, i+1)
	return Reopened{History: h, Revision: revision, Stored: stored, Signed: sn, Statement: st.Raw}, nil
}

// AdmitEndorsement judges proofs added to a published notice's statement: st is the statement as
// published with one or more proofs more (a steward's endorsement, an outgoing maintainer's consent, an
// incoming one's acceptance), each made now with a key in use, by someone the notice concerns. They
// join the proofs the notice carries now, so endorsers who sign at once each keep theirs. Store the
// result only at its Revision.
//
// by, when not empty, is who delivered the proofs from another instance (an endorsement activity's
// actor): each proof added must be theirs. Proofs by people on other instances are checked with the
// keys their actors list at their origins; a steward of an instance this one trusts counts as a
// steward, one of any other instance is refused.
func (l *Ledger) AdmitEndorsement(ctx context.Context, id int64, st federation.Statement, by string) (Reopened, error) {
	r, err := l.Reopen(ctx, id)
	if err != nil {
		return Reopened{}, err
	}
	old, err := federation.ParseStatement(r.Statement)
	if err != nil {
		return Reopened{}, err
	}
	if st.ID != old.ID || st.Project != old.Project || !reflect.DeepEqual(st.Notice, old.Notice) {
		return Reopened{}, Refuse(422, "the statement differs from the one notice %d carries: endorse it as published", id)
	}
	merged, err := proof.Merge(old.Raw, st.Raw)
	if err != nil {
		return Reopened{}, Refuse(422, "%v", err)
	}
	if r.Added, err = l.newProofs(ctx, old.Raw, merged); err != nil {
		return Reopened{}, err
	}
	proofs, err := l.verifyProofsOf(ctx, merged, false, l.remote.People != nil)
	if err != nil {
		return Reopened{}, err
	}
	fresh := without(proofs, r.Signed.Proofs)
	for _, p := range fresh {
		if by != "" && p.Person != by {
			return Reopened{}, Refuse(422, "the endorsement delivered by %s carries a proof by %s: each delivers their own", by, p.Person)
		}
	}
	// An endorsement counts from when it is made: one dated back would change past verdicts.
	if err := l.freshProofs(fresh, QueryFreshness); err != nil {
		return Reopened{}, err
	}
	updated := r.Signed
	updated.Proofs = proofs
	if l.remote.People != nil {
		if err := l.confirmRemoteStewards(ctx, &r.History, updated, fresh); err != nil {
			return Reopened{}, err
		}
	}
	if err := maySign(r.History.Fold(l.policy, l.now()), updated, fresh, r.History.Stewards); err != nil {
		return Reopened{}, err
	}
	if err := notice.AdmitProofs(r.History.Genesis, r.History.Notices, r.Signed, updated, r.History.Stewards, l.policy, l.now()); err != nil {
		return Reopened{}, Refuse(422, "%v", err)
	}
	r.Signed, r.Statement = updated, merged
	return r, nil
}
