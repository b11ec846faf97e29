package upstream

import (
	"context"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// MirroredView is a mirrored notice as this instance reads it: what its statement says, who signed
// it, how this instance's own policy judges its endorsement, and whether it was revoked.
type MirroredView struct {
	ID        string
	Kind      notice.Kind
	Published time.Time
	// Updated is when it last changed as far as this instance knows: published, rendered again by its
	// upstream (endorsed, revoked), a proof added, or a revocation of it published.
	Updated     time.Time
	Statement   bool          // whether it carries a maintainer-signed statement; the rest is zero if not
	Signed      notice.Signed // the statement as the policy reads it, with the proofs that verified
	Endorsement notice.Endorsement
	Backdated   bool
	// RevokedBy is the revocation that withdrew it: mirrored here (then Revocation holds it), or named
	// by the upstream's Note alone.
	RevokedBy  string
	Revocation notice.Signed
}

// Mirrored lists the notices mirrored from a package's upstream, oldest first, as this instance reads
// them now.
func (w *Watcher) Mirrored(ctx context.Context, pkg string) ([]MirroredView, error) {
	ps, err := w.State(ctx, pkg, notice.View{At: w.now()})
	if err != nil {
		return nil, err
	}
	mirrored, err := w.store.MirroredNotices(ctx, ps.Upstream.Actor)
	if err != nil {
		return nil, err
	}
	h, err := w.history(ctx, ps.Upstream)
	if err != nil {
		return nil, err
	}
	out := make([]MirroredView, 0, len(mirrored))
	for _, m := range mirrored {
		out = append(out, w.view(ps.Upstream, h, m))
	}
	return out, nil
}

func (w *Watcher) view(up store.Upstream, h history, m store.MirroredNotice) MirroredView {
	v := MirroredView{ID: m.ID, Kind: notice.Kind(m.Kind), Published: m.Published, Updated: m.Published}
	later := func(t time.Time) {
		if t.After(v.Updated) {
			v.Updated = t
		}
	}
	if nv, err := federation.ParseNote(m.Document); err == nil {
		later(nv.Updated)
		v.RevokedBy = nv.RevokedBy
	}
	for _, p := range m.Proofs {
		later(p.Created)
	}
	for _, s := range h.signed {
		if s.ID == m.ID {
			v.Statement, v.Signed = true, s
			v.Endorsement = w.evaluate(up, h, s)
			v.Backdated = s.Backdated()
		}
	}
	if rev := revocationOf(h.signed, m.ID); rev.ID != "" {
		v.RevokedBy, v.Revocation = rev.ID, rev
		later(rev.Published)
	}
	return v
}

// Status is how the package's upstream stands, in a few words.
func (ps PackageState) Status() string { return notice.StatusLine(ps.State) }
