package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// change is what became of a notice mirrored and announced before: its endorsement completed, or it
// was revoked. Mastodon and GoToSocial never fetch a boosted status again, so each package's actor
// tells its followers with a post of its own.
type change struct {
	notice     string      // the mirrored notice's id
	kind       notice.Kind // its kind
	endorsedBy []string    // whose endorsements completed it, as person ids; nil for a revocation
	revocation string      // the revocation that withdrew it; "" when it was endorsed
	reason     string      // the revocation's reason
	reasonRead bool        // whether reason was read from the revocation (else it is fetched to tell)
}

// evaluate is the endorsement of sn by this instance's policy now, on the state just before it.
func (w *Watcher) evaluate(up store.Upstream, h history, sn notice.Signed) notice.Endorsement {
	before := slices.DeleteFunc(slices.Clone(h.signed), func(s notice.Signed) bool { return s.ID == sn.ID })
	stewards := h.stewardsAt(w.now())
	state := notice.Fold(up.Genesis, before, stewards, w.policy, sn.Published)
	return notice.Evaluate(state, sn, stewards, w.policy, w.now())
}

// updateChanges compares a known notice with its newer copy: whether the endorsement this instance's
// policy asks for is complete now and was not before, and whether the upstream marks it revoked now
// (unless a revocation mirrored here names it: that was told when it was mirrored). The caller holds
// the upstream's lock, before the newer copy is kept.
func (w *Watcher) updateChanges(ctx context.Context, up store.Upstream, known store.MirroredNotice, v verified) []change {
	var out []change
	h, err := w.history(ctx, up)
	if err != nil {
		w.log.Error("judge what an upstream update changed", "upstream", up.Actor, "notice", known.ID, "err", err)
		return nil
	}
	if v.hasStmt {
		old := v.signed
		old.Proofs = known.Proofs
		before, after := w.evaluate(up, h, old), w.evaluate(up, h, v.signed)
		if after.Required && after.Endorsed && !before.Endorsed {
			out = append(out, change{notice: known.ID, kind: v.signed.Notice.Kind, endorsedBy: endorsers(after, v.signed)})
		}
	}
	was, errWas := federation.ParseNote(known.Document)
	now, errNow := federation.ParseNote(v.mirrored.Document)
	if errWas == nil && errNow == nil && was.RevokedBy == "" && now.RevokedBy != "" && revocationOf(h.signed, known.ID).ID == "" {
		out = append(out, change{notice: known.ID, kind: notice.Kind(known.Kind), revocation: now.RevokedBy})
	}
	return out
}

// revocationChanges are the notices a newly mirrored revocation withdraws, among those mirrored here
// whose Note does not say so yet (once it does, that Update was told).
func (w *Watcher) revocationChanges(ctx context.Context, up store.Upstream, rev notice.Signed, changes *[]change) {
	for _, id := range rev.Notice.Revokes {
		m, err := w.store.MirroredNotice(ctx, id)
		if err != nil || m.Upstream != up.Actor {
			continue
		}
		if nv, err := federation.ParseNote(m.Document); err != nil || nv.RevokedBy != "" {
			continue
		}
		*changes = append(*changes, change{notice: id, kind: notice.Kind(m.Kind), revocation: rev.ID,
			reason: rev.Notice.Reason, reasonRead: true})
	}
}

// endorsers are whose endorsements a notice's endorsement rests on: the independent stewards who
// counted, else everyone who signed besides its author.
func endorsers(e notice.Endorsement, sn notice.Signed) []string {
	if len(e.Stewards.Have) > 0 {
		return e.Stewards.Have
	}
	var out []string
	for _, p := range sn.Proofs {
		if p.Person != sn.Notice.Author && !slices.Contains(out, p.Person) {
			out = append(out, p.Person)
		}
	}
	if len(out) == 0 {
		out = []string{sn.Notice.Author}
	}
	return out
}

// revocationOf is the revocation among notices that withdrew id; zero if none did.
func revocationOf(notices []notice.Signed, id string) notice.Signed {
	for _, s := range notices {
		if s.Notice.Kind == notice.Revocation && slices.Contains(s.Notice.Revokes, id) {
			return s
		}
	}
	return notice.Signed{}
}

// maxReasonRunes bounds the reason a package's post repeats: the upstream's notice has the rest.
const maxReasonRunes = 1000

// ChangeText is what a package's actor posts about a change: "Upstream now endorsed by NAMES: URL",
// or "Upstream REVOKED this KIND: REASON URL".
func ChangeText(kind notice.Kind, id string, endorsedBy []string, revoked bool, reason string) string {
	if !revoked {
		return fmt.Sprintf("Upstream now endorsed by %s: %s", joinNames(endorsedBy), id)
	}
	what := strings.ToLower(kind.Title())
	if what == "" {
		what = "notice"
	}
	reason = strings.TrimSpace(reason)
	if r := []rune(reason); len(r) > maxReasonRunes {
		reason = string(r[:maxReasonRunes]) + "…"
	}
	if reason != "" {
		reason += " "
	}
	return fmt.Sprintf("Upstream REVOKED this %s: %s%s", what, reason, id)
}

// joinNames joins names: "A", "A and B", "A, B and C".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return "nobody"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// tellChanges has every package that comes from the upstream post about each change. A post that
// fails is logged: the notice itself stays mirrored and announced.
func (w *Watcher) tellChanges(ctx context.Context, up store.Upstream, changes []change) {
	if len(changes) == 0 {
		return
	}
	watches, err := w.store.WatchesOf(ctx, up.Actor)
	if err != nil {
		w.log.Error("tell packagers of an upstream change", "upstream", up.Actor, "err", err)
		return
	}
	for _, c := range changes {
		kind := c.kind
		var text string
		if c.revocation == "" {
			names := make([]string, len(c.endorsedBy))
			for i, id := range c.endorsedBy {
				names[i] = w.PersonName(ctx, id)
			}
			text = ChangeText(c.kind, c.notice, names, false, "")
		} else {
			reason := c.reason
			if !c.reasonRead {
				reason = w.revocationReason(ctx, up, c.revocation, c.notice)
			}
			text, kind = ChangeText(c.kind, c.notice, nil, true, reason), notice.Revocation
		}
		for _, wt := range watches {
			if err := w.tell(ctx, wt.Package, kind, text); err != nil {
				w.log.Error("tell packagers of an upstream change", "package", wt.Package, "notice", c.notice, "err", err)
				continue
			}
			w.log.Info("packagers told of an upstream change", "package", wt.Package, "notice", c.notice, "revoked", c.revocation != "")
		}
	}
}

// revocationReason reads why a revocation withdrew a notice, from the revocation at its origin,
// verified like any notice of the upstream: the upstream marked the notice revoked before this
// instance mirrored the revocation. Its id is what says it, when the revocation cannot be read.
func (w *Watcher) revocationReason(ctx context.Context, up store.Upstream, revocation, target string) string {
	fallback := "see " + revocation
	ref, err := json.Marshal(revocation)
	if err != nil {
		return fallback
	}
	doc, err := w.objectDocument(ctx, up, ref)
	if err != nil {
		return fallback
	}
	v, err := w.verify(ctx, up, doc)
	if err != nil || !v.hasStmt || v.signed.Notice.Kind != notice.Revocation || !slices.Contains(v.signed.Notice.Revokes, target) {
		return fallback
	}
	return v.signed.Notice.Reason
}
