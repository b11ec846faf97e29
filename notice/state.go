package notice

import (
	"slices"
	"time"
)

// State is how a project stands at a date, as Fold derives it from the project's notices.
type State struct {
	Project     string
	At          time.Time    // the date the state answers for
	Maintainers []Maintainer // who holds rights, in the order they first did
	Signers     []Signer     // every release-signing key announced, valid or not, in order
	Hiatus      []Away       // maintainers stepping back at At
	Scrutiny    Window       // the scrutiny window open at At; zero when there is none
	// PendingRelief lists relief requests not yet answered. It is for stewards only: show anyone else
	// ForPublic's copy.
	PendingRelief []Relief
	Unendorsed    []Unendorsed    // changes of who holds rights that lack proofs the policy asks for
	Revoked       []RevokedNotice // notices revoked, in the order they were
	Rejected      []Rejection     // notices that did not take effect, and why
	Retired       []string        // maintainers who left for good
	Orphaned      bool            // nobody maintains the project

	known map[string]Signed // notices that took effect, by id: what a later revocation may name
}

// Maintainer is a person holding at least one right.
type Maintainer struct {
	Person string
	Since  time.Time // when they first held a right
	Rights []Grant   // in the order of Rights
}

// Grant is one right a maintainer holds, and where it came from.
type Grant struct {
	Right    Right
	Since    time.Time
	Until    time.Time // zero: open-ended; an interim handover's grants end
	Notice   string    // the handover that granted it; empty for the project's first maintainers
	Endorsed bool      // whether that handover had every proof the policy asks for, at At
}

// Signer is a release-signing key the project announced.
type Signer struct {
	Key       SigningKey
	Since     time.Time
	Notice    string    // the signer-change that announced it; empty for the project's first keys
	Endorsed  bool      // whether that signer-change had every proof the policy asks for, at At
	Removed   time.Time // when a later signer-change removed it; zero if none did
	RemovedBy string    // that signer-change
	RevokedBy string    // the revocation of the signer-change that announced it: never trust the key
}

// Valid reports whether releases signed with the key may be trusted: announced, neither removed nor revoked.
func (s Signer) Valid() bool { return s.Removed.IsZero() && s.RevokedBy == "" }

// Away is a maintainer on hiatus.
type Away struct {
	Person string
	Since  time.Time
	Until  time.Time // zero: open-ended
	Notice string
}

// Window is a scrutiny window: releases and commits in it deserve extra review.
type Window struct {
	Since   time.Time
	Until   time.Time
	Reasons []WindowReason // every notice that opened or extended it
}

// Open reports whether the project is in the window.
func (w Window) Open() bool { return !w.Until.IsZero() }

// WindowReason is one notice that opened or extended a scrutiny window.
type WindowReason struct {
	Notice string
	Kind   Kind
	Since  time.Time
	Until  time.Time
	Why    string
}

// Relief is a relief request not yet answered.
type Relief struct {
	Notice string
	Person string
	Help   []Help
	Since  time.Time
	Until  time.Time // zero: until answered
}

// Unendorsed is a change of who holds rights that lacks proofs the policy asks for.
type Unendorsed struct {
	Notice  string
	Kind    Kind
	Since   time.Time
	Missing []string // as Endorsement.Missing says it
}

// RevokedNotice is a notice a revocation withdrew.
type RevokedNotice struct {
	Notice string
	Kind   Kind
	By     string // the revocation
	Since  time.Time
	Reason string
}

// Rejection is a notice that did not take effect, and why.
type Rejection struct {
	Notice   string
	Kind     Kind
	Audience Audience // so ForPublic can drop rejections of notices meant for stewards
	Reason   string
}

// ForPublic is s without what only stewards may see: pending relief, and rejections of notices
// meant for stewards. Show this copy to anyone who is not a steward.
func (s State) ForPublic() State {
	s.PendingRelief = nil
	s.Rejected = slices.DeleteFunc(slices.Clone(s.Rejected), func(r Rejection) bool { return r.Audience != AudiencePublic })
	return s
}

// Signer returns what the project announced about the release-signing key with fingerprint fp: the
// latest entry for it. False means the key was never announced.
func (s State) Signer(fp string) (Signer, bool) {
	i := s.signerIndex(fp)
	if i < 0 {
		return Signer{}, false
	}
	return s.Signers[i], true
}

func (s State) signerIndex(fp string) int {
	for i := len(s.Signers) - 1; i >= 0; i-- {
		if sameFingerprint(s.Signers[i].Key.Fingerprint, fp) {
			return i
		}
	}
	return -1
}

// IsMaintainer reports whether person holds any right.
func (s State) IsMaintainer(person string) bool { return s.maintainerIndex(person) >= 0 }

func (s State) maintainerIndex(person string) int {
	return slices.IndexFunc(s.Maintainers, func(m Maintainer) bool { return m.Person == person })
}

// maintainerIDs lists the current maintainers' ids.
func (s State) maintainerIDs() []string {
	ids := make([]string, len(s.Maintainers))
	for i, m := range s.Maintainers {
		ids[i] = m.Person
	}
	return ids
}

// Holds reports whether m holds right r.
func (m Maintainer) Holds(r Right) bool {
	return slices.ContainsFunc(m.Rights, func(g Grant) bool { return g.Right == r })
}

// holdsAny reports whether any of people holds r.
func (s State) holdsAny(people []string, r Right) bool {
	return slices.ContainsFunc(s.Maintainers, func(m Maintainer) bool {
		return slices.Contains(people, m.Person) && m.Holds(r)
	})
}

// revokedBy says which revocation withdrew the notice with id, if one did.
func (s State) revokedBy(id string) (string, bool) {
	i := slices.IndexFunc(s.Revoked, func(r RevokedNotice) bool { return r.Notice == id })
	if i < 0 {
		return "", false
	}
	return s.Revoked[i].By, true
}
