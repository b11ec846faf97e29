// Package notice is Baton's vocabulary: the kinds of notice a project can publish, the fields each
// carries, and the rules a notice must meet before anyone signs or stores it. It does no I/O, so the
// same rules hold on the command line, in the web API and when a notice arrives from another instance.
package notice

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Kind names what a notice says about a project.
type Kind string

// The kinds of notice, as DESIGN.md lists them.
const (
	ReliefRequest     Kind = "relief-request"
	CallForStewards   Kind = "call-for-stewards"
	Hiatus            Kind = "hiatus"
	Handover          Kind = "handover"
	SignerChange      Kind = "signer-change"
	InfraChange       Kind = "infra-change"
	Scrutiny          Kind = "scrutiny"
	Return            Kind = "return"
	Retirement        Kind = "retirement"
	Revocation        Kind = "revocation"
	maxTextRunes           = 5000
	maxProjectNameLen      = 64
)

// Kinds lists every kind in the order DESIGN.md gives them.
var Kinds = []Kind{ReliefRequest, CallForStewards, Hiatus, Handover, SignerChange, InfraChange,
	Scrutiny, Return, Retirement, Revocation}

// kindInfo holds what the rest of Baton needs to know about a kind.
type kindInfo struct {
	title   string // how a packager reads the kind's name
	hashtag string // the hashtag every notice of this kind carries
	public  bool   // false: addressed to stewards only, never shown publicly
}

var kinds = map[Kind]kindInfo{
	ReliefRequest:   {"Relief request", "MaintainerRelief", false},
	CallForStewards: {"Call for stewards", "CallForStewards", true},
	Hiatus:          {"Hiatus", "MaintainerHiatus", true},
	Handover:        {"Handover", "MaintainerHandover", true},
	SignerChange:    {"Signer change", "SignerChange", true},
	InfraChange:     {"Infrastructure change", "InfraChange", true},
	Scrutiny:        {"Scrutiny window", "ScrutinyWindow", true},
	Return:          {"Return", "MaintainerReturn", true},
	Retirement:      {"Retirement", "MaintainerRetirement", true},
	Revocation:      {"Revocation", "NoticeRevoked", true},
}

// ParseKind returns the kind named s, or an error listing the kinds there are.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := kinds[k]; !ok {
		return "", unknownKind(s)
	}
	return k, nil
}

func unknownKind(s string) error {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return fmt.Errorf("unknown notice kind %q (one of: %s)", s, strings.Join(names, ", "))
}

// Title is the kind's name as a packager reads it ("Hiatus", "Handover").
func (k Kind) Title() string { return kinds[k].title }

// Hashtag is the kind's hashtag without the '#'.
func (k Kind) Hashtag() string { return kinds[k].hashtag }

// Public reports whether notices of this kind may be shown to anyone; a relief request is not, since a
// public list of exhausted sole maintainers is a target list.
func (k Kind) Public() bool { return kinds[k].public }

// Notice is what a maintainer says about a project, before it is signed and sent.
type Notice struct {
	Project string    // the project actor's name, e.g. "xz"
	Kind    Kind      // what the notice says
	Text    string    // the maintainer's own words, plain text
	Since   time.Time // when it took effect; zero means when published
	Until   time.Time // when it ends; zero means open-ended or not applicable
}

// Date is the layout of the dates notices carry (a day, in UTC).
const Date = time.DateOnly

// ParseDate reads a date given as YYYY-MM-DD or RFC 3339; empty gives the zero time.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(Date, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD or RFC 3339", s)
	}
	return t.UTC(), nil
}

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

// Validate reports every problem with n at once, so a maintainer can fix them in one go.
func (n Notice) Validate() error {
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
	return errors.Join(errs...)
}

// advice is what a packager should do on reading a notice of each kind.
var advice = map[Kind]string{
	ReliefRequest:   "The maintainer asks the stewards for help.",
	CallForStewards: "The foundation looks for trusted people to step in.",
	Hiatus:          "While the maintainer is away, treat new commits and releases with extra care.",
	Handover:        "Treat new commits and releases with extra care while the new maintainers settle in.",
	SignerChange:    "Check release signatures against the keys this notice names before taking a new release.",
	InfraChange:     "Update the contacts and addresses you keep for this project, and check the change is genuine.",
	Scrutiny:        "Review new commits and releases with extra care during this window.",
	Return:          "The maintainer is back; the hiatus has ended.",
	Retirement:      "Plan for the project's future: it may need a new maintainer or a fork.",
	Revocation:      "Do not rely on the notice this revokes; review what you took on its strength.",
}

// Advice says what a packager should do on reading a notice of kind k.
func (k Kind) Advice() string { return advice[k] }

// Hashtag turns a project name into a hashtag Mastodon recognises (letters, digits and '_').
func Hashtag(project string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' {
			return '_'
		}
		return r
	}, project)
}

// Event is a published notice as the project's status sees it.
type Event struct {
	Kind      Kind
	Published time.Time
	Since     time.Time // zero: from Published
	Until     time.Time // zero: open-ended
}

func (e Event) start() time.Time {
	if e.Since.IsZero() {
		return e.Published
	}
	return e.Since
}

// active reports whether e is in effect at t.
func (e Event) active(t time.Time) bool {
	return !t.Before(e.start()) && (e.Until.IsZero() || t.Before(e.Until))
}

// Status says in a few words how a project stands at t, from its public notices in the order they
// were published: "normal", "hiatus until 2023-03-01", "scrutiny until 2024-01-19". A return ends
// an earlier hiatus; when both a hiatus and a scrutiny window are in effect, the hiatus is named first.
func Status(events []Event, at time.Time) string {
	var hiatus, scrutiny *Event
	for i := range events {
		e := &events[i]
		switch e.Kind {
		case Hiatus:
			hiatus = e
		case Return:
			if hiatus != nil && !e.start().After(at) {
				hiatus = nil
			}
		case Scrutiny:
			scrutiny = e
		}
	}
	var parts []string
	if hiatus != nil && hiatus.active(at) {
		parts = append(parts, "hiatus"+untilText(hiatus.Until))
	}
	if scrutiny != nil && scrutiny.active(at) {
		parts = append(parts, "scrutiny"+untilText(scrutiny.Until))
	}
	if len(parts) == 0 {
		return "normal"
	}
	return strings.Join(parts, "; ")
}

func untilText(t time.Time) string {
	if t.IsZero() {
		return " (open-ended)"
	}
	return " until " + t.Format(Date)
}
