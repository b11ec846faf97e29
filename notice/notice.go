// Package notice is Baton's vocabulary: the kinds of notice a project can publish, the fields each
// carries, the rules a notice must meet before anyone signs or stores it, who may author it, what
// proofs it needs (the trust policy), and the project state that follows from the notices in order.
// It does no I/O and reads no clock: time is always a parameter, so the same rules hold on the command
// line, in the web API, when a notice arrives from another instance, and in a replay of years of
// history. People are opaque ids (in practice actor URLs); this package never resolves them, and
// cryptographic verification happens outside it: it is told who signed, and decides what that means.
package notice

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

const (
	maxTextRunes      = 5000
	maxProjectNameLen = 64
)

// Notice is what someone says about a project, before it is signed and sent. Project, Kind, Text,
// Since and Until are the envelope every notice has; the other fields belong to particular kinds, and
// Kind.Fields lists which.
type Notice struct {
	Project string    // the project actor's name, e.g. "xz"
	Kind    Kind      // what the notice says
	Text    string    // the author's own words, plain text
	Since   time.Time // when it took effect; zero means when published. May lie in the past.
	Until   time.Time // when it ends; zero means open-ended or not applicable

	Author string // who wrote it: a person id

	Help         []Help // relief-request: what help is needed
	Role         string // call-for-stewards: the role to fill
	Requirements string // call-for-stewards: what the role asks of a person
	Public       bool   // call-for-stewards: shown to everyone, not only stewards
	Term         Term   // call-for-stewards: how long the rights in Scope are wanted

	From  []string // handover: outgoing maintainers; hiatus, return, retirement: who (default Author)
	To    []string // handover: incoming maintainers
	Mode  Mode     // handover: co-maintainer, interim or successor
	Scope []Right  // handover: the rights that pass; call-for-stewards: the rights wanted

	KeysAdded   []SigningKey // signer-change: release-signing keys that become valid
	KeysRemoved []SigningKey // signer-change: release-signing keys that stop being valid

	Infra []InfraMove // infra-change: what moved where

	Revokes  []string // revocation: the ids of the notices revoked
	Reason   string   // revocation: why; scrutiny: why, optionally
	Orphaned bool     // retirement: nobody is left to maintain the project
}

// Date is the layout of the dates notices carry (a day, in UTC).
const Date = time.DateOnly

// ParseDate reads a date given as YYYY-MM-DD or RFC 3339; empty gives the zero time.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(Date, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD or RFC 3339", s)
		}
	}
	// The zero time means "not given" everywhere, so 0001-01-01 would silently become "now"; no
	// project's record reaches back before 1970 either.
	if t.Year() < firstYear {
		return time.Time{}, fmt.Errorf("date %q is before %d: give the real date", s, firstYear)
	}
	return t.UTC(), nil
}

// firstYear is the earliest year a date Baton reads may fall in.
const firstYear = 1970

var projectName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// ValidName reports why name cannot name an actor (a project now, a person later), or nil. Names become
// part of acct addresses (@xz@host) and URLs, so they stay lower-case ASCII.
func ValidName(name string) error {
	switch {
	case name == "":
		return errors.New("name is empty")
	case len(name) > maxProjectNameLen:
		return fmt.Errorf("name %q is longer than %d characters", name, maxProjectNameLen)
	case !projectName.MatchString(name):
		return fmt.Errorf("name %q: use lower-case letters, digits, '-' and '_', starting with a letter or digit", name)
	}
	return nil
}

// Validate reports every problem with the envelope of n at once (project, kind, text, dates), so a
// maintainer can fix them in one go. It does not look at the kind's own fields: callers that carry
// them call ValidateFull, which reports both.
func (n Notice) Validate() error {
	return errors.Join(n.envelopeErrors()...)
}

func (n Notice) envelopeErrors() []error {
	var errs []error
	if err := ValidName(n.Project); err != nil {
		errs = append(errs, fmt.Errorf("project: %w", err))
	}
	if _, ok := kinds[n.Kind]; !ok {
		errs = append(errs, unknownKind(string(n.Kind)))
	}
	text := strings.TrimSpace(n.Text)
	switch {
	case text == "":
		errs = append(errs, errors.New("text is empty: say in a sentence what changes for the project"))
	case len([]rune(text)) > maxTextRunes:
		errs = append(errs, fmt.Errorf("text is %d characters long; at most %d", len([]rune(text)), maxTextRunes))
	}
	if !n.Until.IsZero() && !n.Since.IsZero() && !n.Until.After(n.Since) {
		errs = append(errs, fmt.Errorf("until (%s) must come after since (%s)", n.Until.Format(Date), n.Since.Format(Date)))
	}
	return errs
}

// Hashtag turns a project name into a hashtag Mastodon recognises (letters, digits and '_').
func Hashtag(project string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' {
			return '_'
		}
		return r
	}, project)
}

// CheckUntil refuses a new notice, published at now, that ends before it is published without saying
// when it began: news that is over before anyone reads it is a mistaken date. With --since as well it
// records a past window on purpose, and reads as backdated wherever it is shown (Signed.Backdated).
// A notice ends at the start of its --until day.
func CheckUntil(n Notice, now time.Time) error {
	if n.Until.IsZero() || n.Until.After(now) || !n.Since.IsZero() {
		return nil
	}
	return fmt.Errorf("--until %s is already past (today is %s): give a later date, or, to record a window that has ended, --since too (when it began); such a notice is shown as backdated",
		n.Until.Format(Date), now.UTC().Format(Date))
}
