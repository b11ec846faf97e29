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
// rewrite what packagers were told. Being new, the candidate must also give every field its kind now
// asks (ValidateNew), which notices published before a field was asked for need not.
func Admit(g Genesis, notices []Signed, candidate Signed, stewards []string, p Policy) error {
	if slices.ContainsFunc(notices, func(s Signed) bool { return s.ID == candidate.ID }) {
		return fmt.Errorf("id: another notice with id %s exists", candidate.ID)
	}
	with := append(slices.Clone(notices), candidate)
	end := latest(with)
	after := Fold(g, with, stewards, p, end)
	var rejected error
	if i := slices.IndexFunc(after.Rejected, func(r Rejection) bool { return r.Notice == candidate.ID }); i >= 0 {
		rejected = errors.New(after.Rejected[i].Reason)
	}
	if err := errors.Join(rejected, candidate.Notice.newProblems()); err != nil {
		return err
	}
	return voided(Fold(g, notices, stewards, p, end), after)
}

// AdmitProofs says why the proofs updated adds to old, a published notice, may not join it, or nil:
// they must not make notices already published stop taking effect. Accepting a successor handover
// after its outgoing maintainer published something else in the meantime would void that, rewriting
// what packagers were told; the handover must then be revoked and handed over again. others are the
// project's other notices; now is when the proofs are added.
func AdmitProofs(g Genesis, others []Signed, old, updated Signed, stewards []string, p Policy, now time.Time) error {
	end := latest(append(slices.Clone(others), updated))
	if now.After(end) {
		end = now
	}
	before := Fold(g, append(slices.Clone(others), old), stewards, p, end)
	after := Fold(g, append(slices.Clone(others), updated), stewards, p, end)
	return voided(before, after)
}

// voided lists the notices that took effect in before and are rejected in after.
func voided(before, after State) error {
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
