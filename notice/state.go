package notice

import (
	"slices"
	"time"
)

// State is how a project stands at a date, as Fold derives it from the project's notices.
type State struct {
	Project     string    `json:"project,omitzero"`
	At          time.Time `json:"at,omitzero"`           // the date the state answers for
	Hindsight   bool      `json:"hindsight,omitzero"`    // folded knowing everything published by now (FoldHindsight)
	RecordSince time.Time `json:"record_since,omitzero"` // when the project's record starts, in this view
	// NoRecord is true for a date before the project's record starts: nothing is known of it then,
	// which is not the same as nothing to flag.
	NoRecord    bool         `json:"no_record,omitzero"`
	Maintainers []Maintainer `json:"maintainers,omitzero"` // who holds rights, in the order they first did
	Signers     []Signer     `json:"signers,omitzero"`     // every release-signing key announced, valid or not, in order
	Hiatus      []Away       `json:"hiatus,omitzero"`      // maintainers stepping back at At
	Scrutiny    Window       `json:"scrutiny,omitzero"`    // the scrutiny window open at At; zero when there is none
	// PendingRelief lists relief requests not yet answered. It is for stewards only: show anyone else
	// ForPublic's copy.
	PendingRelief []Relief        `json:"pending_relief,omitzero"`
	Unendorsed    []Unendorsed    `json:"unendorsed,omitzero"` // changes of who holds rights that lack proofs the policy asks for
	Pending       []Pending       `json:"pending,omitzero"`    // changes that take no effect until someone signs
	Infra         []Infra         `json:"infra,omitzero"`      // where each piece of infrastructure was last moved
	Revoked       []RevokedNotice `json:"revoked,omitzero"`    // notices revoked, in the order they were
	// InterimEnded lists interim rights that ended, at their date or early by a return, in the order
	// they did: their holder no longer holds them.
	InterimEnded []InterimEnd `json:"interim_ended,omitzero"`
	// LaterRevoked (with hindsight) lists notices in effect at At that were revoked after it.
	LaterRevoked []RevokedNotice `json:"later_revoked,omitzero"`
	// Review lists changes still in effect that were made by someone whose rights came from a handover
	// since revoked: what they moved or announced needs checking.
	Review   []Review    `json:"review,omitzero"`
	Rejected []Rejection `json:"rejected,omitzero"` // notices that did not take effect, and why
	Retired  []string    `json:"retired,omitzero"`  // maintainers who left for good
	Orphaned bool        `json:"orphaned,omitzero"` // nobody maintains the project
	// Unmaintained is true while the project has never had a maintainer: its instance's admin speaks
	// for it. (Orphaned is then true too.)
	Unmaintained bool `json:"unmaintained,omitzero"`

	known map[string]Signed // notices that took effect, by id: what a later revocation may name
}

// Maintainer is a person holding at least one right.
type Maintainer struct {
	Person string    `json:"person,omitzero"`
	Since  time.Time `json:"since,omitzero"`  // when they first held a right
	Rights []Grant   `json:"rights,omitzero"` // in the order of Rights
}

// Grant is one right a maintainer holds, and where it came from.
type Grant struct {
	Right    Right     `json:"right,omitzero"`
	Since    time.Time `json:"since,omitzero"`
	Until    time.Time `json:"until,omitzero"`    // zero: open-ended; an interim handover's grants end
	Notice   string    `json:"notice,omitzero"`   // the handover that granted it; empty for the project's first maintainers
	Endorsed bool      `json:"endorsed,omitzero"` // whether that handover had every proof the policy asks for, at At
}

// Signer is a release-signing key the project announced.
type Signer struct {
	Key       SigningKey `json:"key,omitzero"`
	Since     time.Time  `json:"since,omitzero"`
	Notice    string     `json:"notice,omitzero"`     // the signer-change that announced it; empty for the project's first keys
	Endorsed  bool       `json:"endorsed,omitzero"`   // whether that signer-change had every proof the policy asks for, at At
	Removed   time.Time  `json:"removed,omitzero"`    // when a later signer-change removed it; zero if none did
	RemovedBy string     `json:"removed_by,omitzero"` // that signer-change
	RevokedBy string     `json:"revoked_by,omitzero"` // the revocation of the signer-change that announced it: never trust the key
}

// Valid reports whether releases signed with the key may be trusted: announced, neither removed nor revoked.
func (s Signer) Valid() bool { return s.Removed.IsZero() && s.RevokedBy == "" }

// Away is a maintainer on hiatus.
type Away struct {
	Person string    `json:"person,omitzero"`
	Since  time.Time `json:"since,omitzero"`
	Until  time.Time `json:"until,omitzero"` // zero: open-ended
	Notice string    `json:"notice,omitzero"`
}

// Window is a scrutiny window: releases and commits in it deserve extra review.
type Window struct {
	Since   time.Time      `json:"since,omitzero"`
	Until   time.Time      `json:"until,omitzero"`
	Reasons []WindowReason `json:"reasons,omitzero"` // every notice that opened or extended it
}

// Open reports whether the project is in the window.
func (w Window) Open() bool { return !w.Until.IsZero() }

// WindowReason is one notice that opened or extended a scrutiny window.
type WindowReason struct {
	Notice string    `json:"notice,omitzero"`
	Kind   Kind      `json:"kind,omitzero"`
	Since  time.Time `json:"since,omitzero"`
	Until  time.Time `json:"until,omitzero"`
	Why    string    `json:"why,omitzero"`
	// Backdated is set when the notice was published more than a day after the date it gives: the
	// window then runs from its publication (as known), not from that date.
	Backdated time.Time `json:"backdated,omitzero"` // when it was published, if backdated
	Dated     time.Time `json:"dated,omitzero"`     // the date it gives, if backdated
}

// Pending is a change that takes no effect until someone signs it: the incoming person of a handover
// until they accept, a signer-change or infra-change until a holder of the right it touches consents.
type Pending struct {
	Notice  string   `json:"notice,omitzero"`
	Kind    Kind     `json:"kind,omitzero"`
	Waiting string   `json:"waiting,omitzero"` // "acceptance" or "consent"
	People  []string `json:"people,omitzero"`  // whose proof it waits for (any one of them, for consent)
	Rights  []Right  `json:"rights,omitzero"`  // what they would hold, or what the change touches
}

// Infra is a piece of infrastructure as the last move that took effect left it.
type Infra struct {
	Field  Right     `json:"field,omitzero"`
	To     string    `json:"to,omitzero"`
	Since  time.Time `json:"since,omitzero"`
	Notice string    `json:"notice,omitzero"`
	Author string    `json:"author,omitzero"`
}

// Review is a change still in effect that was made by someone whose rights came from a handover since
// revoked.
type Review struct {
	Notice   string    `json:"notice,omitzero"`
	Kind     Kind      `json:"kind,omitzero"`
	Since    time.Time `json:"since,omitzero"`
	Person   string    `json:"person,omitzero"`
	Handover string    `json:"handover,omitzero"` // the revoked handover their rights came from
	What     string    `json:"what,omitzero"`     // what the change did, in words
}

// InterimEnd is what an interim handover gave one person, ended: at the date it named, or early when
// an outgoing maintainer returned.
type InterimEnd struct {
	Person string    `json:"person,omitzero"`
	Rights []Right   `json:"rights,omitzero"`
	Notice string    `json:"notice,omitzero"` // the interim handover that gave them
	Ended  time.Time `json:"ended,omitzero"`
	By     string    `json:"by,omitzero"` // the return that ended them early; empty when they ran to their date
}

// Relief is a relief request not yet answered.
type Relief struct {
	Notice string    `json:"notice,omitzero"`
	Person string    `json:"person,omitzero"`
	Help   []Help    `json:"help,omitzero"`
	Since  time.Time `json:"since,omitzero"`
	Until  time.Time `json:"until,omitzero"` // zero: until answered
}

// Unendorsed is a change of who holds rights that lacks proofs the policy asks for.
type Unendorsed struct {
	Notice    string    `json:"notice,omitzero"`
	Kind      Kind      `json:"kind,omitzero"`
	Since     time.Time `json:"since,omitzero"`
	Missing   []string  `json:"missing,omitzero"`   // as Endorsement.Missing says it
	Backdated time.Time `json:"backdated,omitzero"` // when it was published, if more than a day after Since
}

// RevokedNotice is a notice a revocation withdrew.
type RevokedNotice struct {
	Notice string    `json:"notice,omitzero"`
	Kind   Kind      `json:"kind,omitzero"`
	By     string    `json:"by,omitzero"` // the revocation
	Since  time.Time `json:"since,omitzero"`
	Reason string    `json:"reason,omitzero"`
}

// Rejection is a notice that did not take effect, and why.
type Rejection struct {
	Notice   string   `json:"notice,omitzero"`
	Kind     Kind     `json:"kind,omitzero"`
	Audience Audience `json:"audience,omitzero"` // so ForPublic can drop rejections of notices meant for stewards
	Reason   string   `json:"reason,omitzero"`
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

// Holders lists who holds r, in the order they first held a right.
func (s State) Holders(r Right) []string {
	var out []string
	for _, m := range s.Maintainers {
		if m.Holds(r) {
			out = append(out, m.Person)
		}
	}
	return out
}

// HeldBy lists the rights person holds, with where each came from.
func (s State) HeldBy(person string) []Grant {
	if i := s.maintainerIndex(person); i >= 0 {
		return slices.Clone(s.Maintainers[i].Rights)
	}
	return nil
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

// recordInterimEnd adds g, held by person until on (by the return by, if early), to the interim
// rights that ended: one entry per person, handover and end.
func (s *State) recordInterimEnd(person string, g Grant, on time.Time, by string) {
	i := slices.IndexFunc(s.InterimEnded, func(e InterimEnd) bool {
		return e.Person == person && e.Notice == g.Notice && e.Ended.Equal(on) && e.By == by
	})
	if i < 0 {
		s.InterimEnded = append(s.InterimEnded, InterimEnd{Person: person, Notice: g.Notice, Ended: on, By: by})
		i = len(s.InterimEnded) - 1
	}
	s.InterimEnded[i].Rights = append(s.InterimEnded[i].Rights, g.Right)
}

// AddWindow adds a scrutiny window a notice outside the project's own opened (a distribution's word
// about its package) to s, if it is open at s.At: it opens or extends the window as the project's do.
func (s *State) AddWindow(r WindowReason) {
	if r.Since.After(s.At) || !r.Until.After(s.At) {
		return
	}
	w := &s.Scrutiny
	if !w.Open() {
		*w = Window{Since: r.Since, Until: r.Until}
	}
	w.Reasons = append(w.Reasons, r)
	if r.Since.Before(w.Since) {
		w.Since = r.Since
	}
	if r.Until.After(w.Until) {
		w.Until = r.Until
	}
}
