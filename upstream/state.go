package upstream

import (
	"context"
	"errors"
	"net/http"

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
	ps := PackageState{Watch: wt, Upstream: up, State: state, Verdict: notice.Check(state), Notices: []string{}}
	for _, sn := range notice.PublicView(h.signed, v.Known()) {
		ps.Notices = append(ps.Notices, sn.ID)
	}
	return ps, nil
}
