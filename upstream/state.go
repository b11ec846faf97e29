package upstream

import (
	"context"
	"errors"
	"net/http"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// PackageState is how a package's upstream stands at a time, as this instance judges its mirrored
// notices by its own policy.
type PackageState struct {
	Watch    store.Watch
	Upstream store.Upstream
	State    notice.State // for the public: nothing meant for stewards alone is mirrored
	Verdict  notice.Verdict
	Notices  []string // the notices in effect by then, oldest first
}

// State folds a package's upstream's mirrored notices for a view: at a time, as known or with hindsight.
func (w *Watcher) State(ctx context.Context, pkg string, v notice.View) (PackageState, error) {
	wt, err := w.store.Watch(ctx, pkg)
	if errors.Is(err, store.ErrNotFound) {
		return PackageState{}, refuse(http.StatusNotFound, "%s is not a watched package", pkg)
	} else if err != nil {
		return PackageState{}, err
	}
	up, err := w.store.Upstream(ctx, wt.Upstream)
	if err != nil {
		return PackageState{}, err
	}
	h, err := w.history(ctx, up)
	if err != nil {
		return PackageState{}, err
	}
	state := v.Fold(up.Genesis, h.signed, h.stewardsAt(v.At), w.policy).ForPublic()
	if err := w.addOwnScrutiny(ctx, pkg, v, &state); err != nil {
		return PackageState{}, err
	}
	ps := PackageState{Watch: wt, Upstream: up, State: state, Verdict: notice.Check(state), Notices: []string{}}
	for _, sn := range notice.PublicView(h.signed, v.Known()) {
		ps.Notices = append(ps.Notices, sn.ID)
	}
	return ps, nil
}

// ownNoticesRead bounds how many of a package's own notices its state reads: the distro's own scrutiny
// windows are a handful.
const ownNoticesRead = 200

// addOwnScrutiny adds to a package's state the scrutiny windows the distro itself announced for the
// package (`baton notice post --project PACKAGE --kind scrutiny`): the distro's word about its own
// packaging counts in its check, beside the upstream's notices.
func (w *Watcher) addOwnScrutiny(ctx context.Context, pkg string, v notice.View, st *notice.State) error {
	if st.NoRecord {
		return nil
	}
	own, err := w.store.ListNotices(ctx, pkg, 0, ownNoticesRead, true)
	if err != nil {
		return err
	}
	for _, n := range own {
		if notice.Kind(n.Kind) != notice.Scrutiny || n.Published.After(v.Known()) {
			continue
		}
		note, err := federation.ParseNote(n.Document)
		if err != nil {
			return err
		}
		from := n.Published
		if !note.Since.IsZero() && (v.Hindsight || note.Since.After(from)) {
			from = note.Since
		}
		st.AddWindow(notice.WindowReason{Notice: w.urls.Notice(n.ID), Kind: notice.Scrutiny, Since: from, Until: note.Until,
			Why: "this distribution's own scrutiny window"})
	}
	return nil
}
