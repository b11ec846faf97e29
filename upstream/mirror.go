package upstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/refusal"
	"baton/store"
)

// How a notice reached the mirror, as metrics label it.
const (
	viaDelivery = "delivered"
	viaCatchUp  = "catch_up"
)

// Outcome is what became of a notice an upstream sent.
type Outcome string

// The outcomes of Receive and of each notice a catch-up reads.
const (
	Mirrored  Outcome = "mirrored"  // new, verified, in the state, announced
	Updated   Outcome = "updated"   // known, and now with more proofs
	Unchanged Outcome = "unchanged" // known already, nothing new (not "duplicate": that is a repeated activity id)
)

// Receive handles a Create or Update sent by a project actor this instance follows: the object is the
// Note, embedded or by id (then fetched from its origin). It returns ErrNotWatched for an actor that is
// not an upstream, and an *Error naming the reason for a notice that fails verification or the policy
// (422), or that cannot be judged now because something it needs could not be fetched (503: the
// upstream delivers it again later).
func (w *Watcher) Receive(ctx context.Context, actor string, object json.RawMessage) (Outcome, error) {
	up, err := w.store.Upstream(ctx, actor)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrNotWatched
	}
	if err != nil {
		return "", err
	}
	doc, err := w.objectDocument(ctx, up, object)
	if err != nil {
		return "", w.account(up, viaDelivery, "", "", err)
	}
	if up, err = w.openGenesis(ctx, up); err != nil {
		return "", w.account(up, viaDelivery, "", "", err)
	}
	return w.mirror(ctx, up, doc, viaDelivery)
}

// openGenesis rereads the upstream's actor before a delivered notice is judged, while its genesis is
// open: it names no maintainers and nothing of it is mirrored yet, so its instance may have named the
// first maintainers since this instance followed it, and their first notice must not be refused as
// one by somebody who is not a maintainer. Once the genesis names maintainers, or a notice is mirrored,
// it is pinned and not read again here. An actor that cannot be fetched now is a 503.
func (w *Watcher) openGenesis(ctx context.Context, up store.Upstream) (store.Upstream, error) {
	if len(up.Genesis.Maintainers) > 0 {
		return up, nil
	}
	mirrored, err := w.store.MirroredNotices(ctx, up.Actor)
	if err != nil || len(mirrored) > 0 {
		return up, err
	}
	fresh, err := w.refresh(ctx, up)
	if _, ok := errors.AsType[*unavailableError](err); ok {
		return up, &Error{Status: http.StatusServiceUnavailable,
			Reason: fmt.Sprintf("%s names no maintainers here yet, and its actor could not be fetched to read whom it names now; try again later", up.Actor),
			Err:    err}
	}
	return fresh, err
}

// objectDocument is the Note an activity carries: embedded, or fetched when only its id came.
func (w *Watcher) objectDocument(ctx context.Context, up store.Upstream, object json.RawMessage) ([]byte, error) {
	var id string
	if json.Unmarshal(object, &id) != nil {
		return object, nil
	}
	if !federation.SameOrigin(id, up.Actor) {
		return nil, refuse(http.StatusUnprocessableEntity, "the object %q is not on %s's host", id, up.Actor)
	}
	doc, err := w.resolver.Fetch(ctx, id)
	if err != nil {
		r := refusal.New(http.StatusServiceUnavailable, "could not fetch the notice %s", id)
		r.Err = err // the cause is for the log, not for the sender
		return nil, r
	}
	return doc, nil
}

// mirror verifies one notice, judges it, and keeps and announces it if it passes. A notice that fails
// changes nothing; it is counted and logged with the reason.
func (w *Watcher) mirror(ctx context.Context, up store.Upstream, doc []byte, via string) (Outcome, error) {
	digest := documentDigest(doc)
	outcome, err := w.mirrorOnce(ctx, up, doc, digest)
	return outcome, w.account(up, via, digest, outcome, err)
}

// account counts and logs what became of a notice, and returns err. A refusal kept from before is
// logged once per process (reportedRejections): the upstream's outbox shows it at every catch-up.
func (w *Watcher) account(up store.Upstream, via, digest string, outcome Outcome, err error) error {
	switch status := statusOf(err); {
	case err == nil:
		w.metrics.notices.WithLabelValues(string(outcome), via).Inc()
	case errors.Is(err, errRejectedBefore):
		if w.reported.first(up.Actor, digest) {
			w.metrics.notices.WithLabelValues("rejected", via).Inc()
			w.log.Warn("upstream notice rejected", "upstream", up.Actor, "via", via, "reason", err.Error())
		}
	case status == http.StatusServiceUnavailable: // a key, an actor or the notice could not be fetched: tried again later
		w.metrics.notices.WithLabelValues("unavailable", via).Inc()
		w.log.Warn("upstream notice not verifiable now", "upstream", up.Actor, "via", via, "reason", err.Error())
	case status < 500:
		w.metrics.notices.WithLabelValues("rejected", via).Inc()
		w.log.Warn("upstream notice rejected", "upstream", up.Actor, "via", via, "reason", err.Error())
	}
	return err
}

// mirrorOnce judges one version of a notice (digest names it): a refusal kept from before that still
// stands answers at once, without fetching anything; otherwise the notice is verified, then judged by
// the policy, and a refusal trying again would not change is kept.
func (w *Watcher) mirrorOnce(ctx context.Context, up store.Upstream, doc []byte, digest string) (Outcome, error) {
	id := noteID(doc)
	if refused, err := w.standing(ctx, up, id, digest); err != nil {
		return "", err
	} else if refused != nil {
		return "", refused
	}
	v, err := w.verify(ctx, up, doc)
	if err != nil {
		w.reject(ctx, up, id, digest, err, "") // the document itself: its form, or its proofs
		return "", err
	}
	if w.signedByStranger(up, v) {
		// Someone of another instance signed it: the upstream may count them as a steward it trusts
		// since this instance last read its actor.
		if up, err = w.refresh(ctx, up); err != nil {
			return "", err
		}
	}
	var changes []change
	unlock := w.lock(up.Actor)
	outcome, err := w.judgeLocked(ctx, up, v, digest, &changes)
	unlock()
	w.tellChanges(ctx, up, changes) // after the lock: telling may fetch, and publishes
	return outcome, err
}

// signedByStranger reports whether v carries a proof by someone of another instance than up's whom up
// does not list as a steward.
func (w *Watcher) signedByStranger(up store.Upstream, v verified) bool {
	return slices.ContainsFunc(v.mirrored.Proofs, func(p notice.Proof) bool {
		return !federation.SameOrigin(p.Person, up.Actor) && !slices.ContainsFunc(up.Stewards, func(s store.Steward) bool { return s.ID == p.Person })
	})
}

// judgeLocked judges a verified notice under its upstream's lock, and keeps a refusal trying again
// would not change. What the notice changed in a notice mirrored before is added to changes.
func (w *Watcher) judgeLocked(ctx context.Context, up store.Upstream, v verified, digest string, changes *[]change) (Outcome, error) {
	up, err := w.store.Upstream(ctx, up.Actor) // as it is now, not as before the lock
	if err != nil {
		return "", err
	}
	outcome, err := w.judge(ctx, up, v, changes)
	if statusOf(err) == http.StatusUnprocessableEntity {
		if basis, berr := w.basisOf(ctx, up); berr != nil {
			w.log.Error("keep a refused upstream notice", "upstream", up.Actor, "notice", v.mirrored.ID, "err", berr)
		} else {
			w.reject(ctx, up, v.mirrored.ID, digest, err, basis)
		}
	}
	return outcome, err
}

// judge judges a verified notice by the policy, against the upstream's notices mirrored before it, and
// keeps and announces it if it passes. The caller holds the upstream's lock. What it changes in a notice
// mirrored before (an endorsement completed, a revocation) is added to changes.
func (w *Watcher) judge(ctx context.Context, up store.Upstream, v verified, changes *[]change) (Outcome, error) {
	if !v.hasStmt && len(up.Genesis.Maintainers) > 0 {
		// Published by the upstream's admin for a project without maintainers: it changes no state.
		// Once a project has maintainers, only their signed statements speak for it.
		return "", refuse(http.StatusUnprocessableEntity, "the notice %s carries no statement signed by a maintainer, and %s has maintainers", v.mirrored.ID, up.Actor)
	}
	known, err := w.store.MirroredNotice(ctx, v.mirrored.ID)
	switch {
	case err == nil && known.Upstream != up.Actor:
		return "", refuse(http.StatusUnprocessableEntity, "%s is kept as a notice of %s, not of %s", known.ID, known.Upstream, up.Actor)
	case err == nil:
		return w.update(ctx, up, known, v, changes)
	case !errors.Is(err, store.ErrNotFound):
		return "", err
	}
	history, err := w.history(ctx, up)
	if err != nil {
		return "", err
	}
	if v.hasStmt {
		if err := notice.Admit(up.Genesis, history.signed, v.signed, history.stewardsAt(w.now()), w.policy); err != nil {
			return "", refuse(http.StatusUnprocessableEntity, "%s does not pass this instance's trust policy: %v", v.mirrored.ID, err)
		}
		if err := w.maySign(up, history, v.signed, v.signed.Proofs); err != nil {
			return "", err
		}
	}
	announcements, err := w.announcements(ctx, up, v.mirrored)
	if err != nil {
		return "", err
	}
	added, queued, err := w.store.MirrorNotice(ctx, v.mirrored, announcements)
	if err != nil {
		return "", err
	}
	if !added {
		return Unchanged, nil
	}
	if queued > 0 {
		w.queued()
	}
	if v.hasStmt && v.signed.Notice.Kind == notice.Revocation {
		w.revocationChanges(ctx, up, v.signed, changes)
	}
	w.log.Info("upstream notice mirrored", "upstream", up.Actor, "notice", v.mirrored.ID, "kind", v.mirrored.Kind, "announced", queued)
	return Mirrored, nil
}

// update keeps a known notice's newer copy when it carries every proof the kept one had and either
// more proofs or a later rendering (its project marked it revoked): endorsements are added over time,
// never taken away, and the statement itself never changes.
func (w *Watcher) update(ctx context.Context, up store.Upstream, known store.MirroredNotice, v verified, changes *[]change) (Outcome, error) {
	if len(v.mirrored.Proofs) <= len(known.Proofs) && !renderedLater(v.mirrored.Document, known.Document) {
		return Unchanged, nil
	}
	for _, p := range known.Proofs {
		if !hasProof(v.mirrored.Proofs, p) {
			return "", refuse(http.StatusUnprocessableEntity, "the update of %s drops the proof of %s", known.ID, p.Person)
		}
	}
	if sameStatement(known.Document, v.mirrored.Document) != nil {
		return "", refuse(http.StatusUnprocessableEntity, "the update of %s changes what its statement says", known.ID)
	}
	if err := w.mayEndorse(ctx, known, v); err != nil {
		return "", err
	}
	found := w.updateChanges(ctx, up, known, v) // judged on the notices as they were before
	if err := w.store.UpdateMirrored(ctx, known.ID, v.mirrored.Document, v.mirrored.Proofs); err != nil {
		return "", err
	}
	*changes = append(*changes, found...)
	return Updated, nil
}

// maySign refuses a notice carrying proofs by people it does not concern, as its home instance does
// (notice.MaySign), judged on the upstream's state today without the notice.
func (w *Watcher) maySign(up store.Upstream, h history, sn notice.Signed, proofs []notice.Proof) error {
	stewards := h.stewardsAt(w.now())
	today := notice.Fold(up.Genesis, h.signed, stewards, w.policy, w.now())
	for _, p := range proofs {
		if err := notice.MaySign(today, sn, p.Person, stewards); err != nil {
			return refuse(http.StatusUnprocessableEntity, "%s: %v", sn.ID, err)
		}
	}
	return nil
}

// mayEndorse checks the proofs an update adds to a known notice.
func (w *Watcher) mayEndorse(ctx context.Context, known store.MirroredNotice, v verified) error {
	if !v.hasStmt {
		return nil
	}
	up, err := w.store.Upstream(ctx, known.Upstream)
	if err != nil {
		return err
	}
	h, err := w.history(ctx, up)
	if err != nil {
		return err
	}
	h.signed = slices.DeleteFunc(h.signed, func(s notice.Signed) bool { return s.ID == known.ID })
	added := slices.DeleteFunc(slices.Clone(v.mirrored.Proofs), func(p notice.Proof) bool { return hasProof(known.Proofs, p) })
	return w.maySign(up, h, v.signed, added)
}

// renderedLater reports whether Note a says it was rendered after Note b (its "updated").
func renderedLater(a, b []byte) bool {
	va, errA := federation.ParseNote(a)
	vb, errB := federation.ParseNote(b)
	return errA == nil && errB == nil && va.Updated.After(vb.Updated)
}

func hasProof(proofs []notice.Proof, p notice.Proof) bool {
	for _, q := range proofs {
		if q.Person == p.Person && q.Key == p.Key && q.Created.Equal(p.Created) {
			return true
		}
	}
	return false
}

// sameStatement checks that two copies of a Note carry the same statement, proofs aside.
func sameStatement(a, b []byte) error {
	sa, err := statementWithoutProof(a)
	if err != nil {
		return err
	}
	sb, err := statementWithoutProof(b)
	if err != nil {
		return err
	}
	if string(sa) != string(sb) {
		return errors.New("the statements differ")
	}
	return nil
}

func statementWithoutProof(doc []byte) ([]byte, error) {
	var n struct {
		Statement map[string]json.RawMessage `json:"statement"`
	}
	if err := json.Unmarshal(doc, &n); err != nil {
		return nil, err
	}
	delete(n.Statement, "proof")
	return json.Marshal(n.Statement) // map keys are sorted: the same statement gives the same bytes
}

// announcements are the Announce of a notice by every package that comes from its upstream.
func (w *Watcher) announcements(ctx context.Context, up store.Upstream, m store.MirroredNotice) ([]store.Announcement, error) {
	watches, err := w.store.WatchesOf(ctx, up.Actor)
	if err != nil {
		return nil, err
	}
	out := make([]store.Announcement, 0, len(watches))
	for _, wt := range watches {
		a, err := w.announce(wt.Package, m)
		if err != nil {
			return nil, err
		}
		out = append(out, store.Announcement{Package: wt.Package, Activity: a})
	}
	return out, nil
}

// announce is a package's Announce of a mirrored notice: one per pair, with the same id and body
// wherever it appears (the delivery, the package's outbox).
func (w *Watcher) announce(pkg string, m store.MirroredNotice) (store.Activity, error) {
	sum := sha256.Sum256([]byte(m.ID))
	id := w.urls.Actor(pkg) + "#announces/" + hex.EncodeToString(sum[:12])
	body, err := w.urls.AnnounceDocument(pkg, id, m.ID, m.Received)
	return store.Activity{ID: id, Signer: pkg, Body: body}, err
}

// history is an upstream's mirrored notices as the trust policy reads them, and its stewards.
type history struct {
	signed   []notice.Signed
	stewards []store.Steward
}

func (w *Watcher) history(ctx context.Context, up store.Upstream) (history, error) {
	mirrored, err := w.store.MirroredNotices(ctx, up.Actor)
	if err != nil {
		return history{}, err
	}
	h := history{stewards: up.Stewards}
	for _, m := range mirrored {
		st, err := federation.NoteStatement(m.Document)
		if len(m.Proofs) == 0 && (err != nil || !st.ByProject()) {
			continue // no statement: says nothing about who holds what
		}
		if err != nil {
			return history{}, fmt.Errorf("mirrored notice %s: %w", m.ID, err)
		}
		st.Notice.Project = up.Genesis.Project
		h.signed = append(h.signed, notice.Signed{ID: m.ID, Published: m.Published, Notice: st.Notice, Proofs: m.Proofs, ByInstance: st.ByProject()})
	}
	return h, nil
}

// stewardsAt is who were stewards of the upstream's instance at a time.
func (h history) stewardsAt(at time.Time) []string {
	var out []string
	for _, s := range h.stewards {
		if !s.Since.After(at) {
			out = append(out, s.ID)
		}
	}
	return out
}
