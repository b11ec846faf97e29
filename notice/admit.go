package notice

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Admit says why candidate may not be published after notices, the project's notices so far, or nil.
// It judges the candidate as Fold will: on the state of the date it takes effect, which for a notice
// recording the past is not today's (Authorize judges on whatever state it is given). And it refuses
// a candidate that would make notices already published stop taking effect: backdating must not
// rewrite what packagers were told.
func Admit(g Genesis, notices []Signed, candidate Signed, stewards []string, p Policy) error {
	if slices.ContainsFunc(notices, func(s Signed) bool { return s.ID == candidate.ID }) {
		return fmt.Errorf("id: another notice with id %s exists", candidate.ID)
	}
	with := append(slices.Clone(notices), candidate)
	end := latest(with)
	after := Fold(g, with, stewards, p, end)
	if i := slices.IndexFunc(after.Rejected, func(r Rejection) bool { return r.Notice == candidate.ID }); i >= 0 {
		return errors.New(after.Rejected[i].Reason)
	}
	before := Fold(g, notices, stewards, p, end)
	var errs []error
	for _, r := range after.Rejected {
		if !slices.ContainsFunc(before.Rejected, func(b Rejection) bool { return b.Notice == r.Notice }) {
			errs = append(errs, fmt.Errorf("it would void %s, already published: %s", r.Notice, r.Reason))
		}
	}
	return errors.Join(errs...)
}

// latest is the last date any of notices is published or takes effect: by then, all of them count.
func latest(notices []Signed) time.Time {
	var t time.Time
	for _, s := range notices {
		for _, d := range []time.Time{s.Published, s.Effective()} {
			if d.After(t) {
				t = d
			}
		}
	}
	return t
}
