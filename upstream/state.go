package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

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

// State folds a package's upstream's mirrored notices at a time.
func (w *Watcher) State(ctx context.Context, pkg string, at time.Time) (PackageState, error) {
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
	state := notice.Fold(up.Genesis, h.signed, h.stewardsAt(at), w.policy, at).ForPublic()
	ps := PackageState{Watch: wt, Upstream: up, State: state, Verdict: notice.Check(state), Notices: []string{}}
	for _, sn := range notice.PublicView(h.signed, at) {
		ps.Notices = append(ps.Notices, sn.ID)
	}
	return ps, nil
}

// ExitUnannouncedSigner is the exit code of a check with --signer when the key was never announced for
// the upstream, or was removed or revoked: releases signed with it must not be taken as the project's.
const ExitUnannouncedSigner = 5

// SignerAnswer says whether a release-signing key was announced for a package's upstream.
type SignerAnswer struct {
	Fingerprint string    `json:"fingerprint"`
	Announced   bool      `json:"announced"`
	Since       time.Time `json:"since,omitzero"`
	Notice      string    `json:"notice,omitzero"` // the signer-change that announced it; empty for a first key
	Endorsed    bool      `json:"endorsed"`
	Valid       bool      `json:"valid"`
	Reason      string    `json:"reason"`
	Code        int       `json:"code"` // what the key alone makes of the check
}

// Signer answers, from a state, whether the key fp was announced, since when, by which notice, and
// whether that notice was endorsed as the policy asks. In the xz timeline this is what fires on
// 2023-03-18: 5.4.2 was signed by a key nobody downstream had been told about.
func Signer(s notice.State, fp string) SignerAnswer {
	sg, ok := s.Signer(fp)
	if !ok {
		return SignerAnswer{Fingerprint: fp, Code: ExitUnannouncedSigner,
			Reason: fmt.Sprintf("%s was never announced as a release-signing key of %s", fp, s.Project)}
	}
	a := SignerAnswer{Fingerprint: fp, Announced: true, Since: sg.Since, Notice: sg.Notice, Endorsed: sg.Endorsed || sg.Notice == "", Valid: sg.Valid()}
	switch {
	case sg.RevokedBy != "":
		a.Code, a.Reason = ExitUnannouncedSigner, fmt.Sprintf("%s was announced by %s, which %s revoked", fp, sg.Notice, sg.RevokedBy)
	case !sg.Removed.IsZero():
		a.Code, a.Reason = ExitUnannouncedSigner, fmt.Sprintf("%s was removed by %s on %s", fp, sg.RemovedBy, sg.Removed.Format(notice.Date))
	case !a.Endorsed:
		a.Code, a.Reason = notice.ExitUnendorsed, fmt.Sprintf("%s was announced by %s on %s, which is not endorsed as the policy asks", fp, sg.Notice, sg.Since.Format(notice.Date))
	case sg.Notice == "":
		a.Reason = fmt.Sprintf("%s is one of the project's first release-signing keys", fp)
	default:
		a.Reason = fmt.Sprintf("%s was announced by %s on %s, endorsed", fp, sg.Notice, sg.Since.Format(notice.Date))
	}
	return a
}

// urgency ranks exit codes for combining: 5 > 3 > 2 > 4 > 0. A release signed by a key nobody
// announced is the most urgent answer: it is the xz case itself, whatever else the project's state says.
var urgency = map[int]int{notice.ExitNormal: 0, notice.ExitAway: 1, notice.ExitScrutiny: 2, notice.ExitUnendorsed: 3, ExitUnannouncedSigner: 4}

// MostUrgent is the exit code that wins when a check finds several.
func MostUrgent(a, b int) int {
	if urgency[b] > urgency[a] {
		return b
	}
	return a
}
