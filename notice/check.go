package notice

import (
	"fmt"
	"strings"
	"time"
)

// The exit codes of `baton check`, which a packaging pipeline branches on. When several apply, the
// most urgent wins: ExitUnannouncedSigner, ExitNoRecord, ExitUnendorsed, ExitScrutiny, ExitAway.
const (
	ExitNormal     = 0 // nothing to flag
	ExitError      = 1 // the check itself failed (the command line's own errors; Check never returns it)
	ExitScrutiny   = 2 // the project is in a scrutiny window: review the release before taking it
	ExitUnendorsed = 3 // a change of rights lacks the proofs the policy asks for, or waits for a signature, or was made under revoked rights
	ExitAway       = 4 // a maintainer is on hiatus, or nobody is left: informational, so pipelines can choose
	// ExitUnannouncedSigner answers --signer: the key was never announced for the project, or was removed
	// or revoked. Releases signed with it must not be taken as the project's.
	ExitUnannouncedSigner = 5
	// ExitNoRecord is a date before the project's record starts: nothing is known of it then, which
	// is not "normal".
	ExitNoRecord = 6
)

// Verdict is Check's answer: an exit code and the reasons for it, most urgent first.
type Verdict struct {
	Code    int
	Reasons []string
}

// Check says whether a packager should take a release of the project in state s without a closer
// look. It never mentions relief requests: its answer is public.
func Check(s State) Verdict {
	var v Verdict
	if s.NoRecord {
		v.flag(ExitNoRecord, fmt.Sprintf("no record of the project at %s: its record starts %s", s.At.Format(time.RFC3339), s.RecordSince.Format(Date)))
		return v
	}
	for _, u := range s.Unendorsed {
		v.flag(ExitUnendorsed, fmt.Sprintf("unendorsed %s %s (since %s%s): %s", u.Kind, u.Notice, u.Since.Format(Date), backdatedText(u.Backdated), strings.Join(u.Missing, "; ")))
	}
	for _, p := range s.Pending {
		v.flag(ExitUnendorsed, p.Text())
	}
	for _, r := range s.Review {
		v.flag(ExitUnendorsed, fmt.Sprintf("review: %s %s (%s) made by %s under a revoked handover (%s): %s", r.Kind, r.Notice, r.Since.Format(Date), r.Person, r.Handover, r.What))
	}
	if w := s.Scrutiny; w.Open() {
		v.flag(ExitScrutiny, fmt.Sprintf("in a scrutiny window from %s until %s", w.Since.Format(Date), w.Until.Format(Date)))
		for _, r := range w.Reasons {
			v.flag(ExitScrutiny, fmt.Sprintf("scrutiny: %s %s (%s, until %s%s): %s", r.Kind, r.Notice, r.Since.Format(Date), r.Until.Format(Date), datedBackText(r.Dated, r.Backdated), r.Why))
		}
	}
	for _, r := range s.Revoked {
		v.flag(ExitNormal, fmt.Sprintf("revoked: %s %s by %s on %s: %s", r.Kind, r.Notice, r.By, r.Since.Format(Date), r.Reason))
	}
	for _, e := range s.InterimEnded {
		v.flag(ExitNormal, e.Text())
	}
	for _, r := range s.LaterRevoked {
		v.flag(ExitNormal, fmt.Sprintf("later revoked: %s %s by %s on %s: %s", r.Kind, r.Notice, r.By, r.Since.Format(Date), r.Reason))
	}
	for _, a := range s.Hiatus {
		who := a.Person
		if who == "" {
			who = "the project (as its instance says)"
		}
		v.flag(ExitAway, fmt.Sprintf("hiatus: %s since %s%s", who, a.Since.Format(Date), untilText(a.Until)))
	}
	switch {
	case s.Unmaintained:
		v.flag(ExitAway, "no maintainer named yet: the instance's admin speaks for the project")
	case s.Orphaned:
		v.flag(ExitAway, "orphaned: nobody maintains the project")
	}
	return v
}

// Text says in words that e's interim rights ended, when, and how.
func (e InterimEnd) Text() string {
	how := "at the end the handover gave"
	if e.By != "" {
		how = "early, by the return " + e.By
	}
	return fmt.Sprintf("interim rights of %s ended on %s (%s, from %s): %s", e.Person, e.Ended.Format(Date), RightsText(e.Rights), e.Notice, how)
}

// Text says in words what p waits for.
func (p Pending) Text() string {
	if p.Waiting == "acceptance" {
		return fmt.Sprintf("pending acceptance: %s has not accepted %s %s (%s); until they do, they hold nothing", strings.Join(p.People, ", "), p.Kind, p.Notice, list(p.Rights))
	}
	if len(p.People) == 0 {
		return fmt.Sprintf("pending consent: %s %s touches %s, which nobody holds; it takes no effect until a steward signs it", p.Kind, p.Notice, list(p.Rights))
	}
	return fmt.Sprintf("pending consent: %s %s touches %s, held by %s, none of whom has signed; it takes no effect until one does", p.Kind, p.Notice, list(p.Rights), strings.Join(p.People, ", "))
}

// datedBackText says that a window's notice gives an earlier date than the one its window runs from.
func datedBackText(dated, published time.Time) string {
	if published.IsZero() {
		return ""
	}
	return "; backdated: dated " + dated.Format(Date) + ", published " + published.Format(Date)
}

func backdatedText(published time.Time) string {
	if published.IsZero() {
		return ""
	}
	return ", backdated: published " + published.Format(Date)
}

// urgency ranks exit codes: the verdict's code is the most urgent that applies. A release signed by a
// key nobody announced is the most urgent answer: it is the xz case itself. A date with no record comes
// next: nothing vouches for anything then.
var urgency = map[int]int{ExitNormal: 0, ExitAway: 1, ExitScrutiny: 2, ExitUnendorsed: 3, ExitNoRecord: 4, ExitUnannouncedSigner: 5}

// MostUrgent is the exit code that wins when a check finds several.
func MostUrgent(a, b int) int {
	if urgency[b] > urgency[a] {
		return b
	}
	return a
}

func (v *Verdict) flag(code int, reason string) {
	v.Code = MostUrgent(v.Code, code)
	v.Reasons = append(v.Reasons, reason)
}

// SignerAnswer says whether a release-signing key was announced for a project.
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

// CheckSigner answers, from a state, whether the key fp was announced, since when, by which notice,
// and whether that notice was endorsed as the policy asks. In the xz timeline this is what fires on
// 2023-03-18: 5.4.2 was signed by a key nobody downstream had been told about.
func CheckSigner(s State, fp string) SignerAnswer {
	if s.NoRecord {
		return SignerAnswer{Fingerprint: fp, Code: ExitNoRecord, Reason: fmt.Sprintf("no record of %s at that date", s.Project)}
	}
	sg, ok := s.Signer(fp)
	if !ok {
		a := SignerAnswer{Fingerprint: fp, Code: ExitUnannouncedSigner, Reason: fmt.Sprintf("%s was never announced as a release-signing key of %s", fp, s.Project)}
		if p, ok := s.pendingKey(fp); ok {
			a.Reason = fmt.Sprintf("%s was announced by %s, which waits for the consent of %s: not valid until then", fp, p.Notice, strings.Join(p.People, ", "))
		}
		return a
	}
	a := SignerAnswer{Fingerprint: fp, Announced: true, Since: sg.Since, Notice: sg.Notice, Endorsed: sg.Endorsed || sg.Notice == "", Valid: sg.Valid()}
	switch {
	case sg.RevokedBy != "":
		a.Code, a.Reason = ExitUnannouncedSigner, fmt.Sprintf("%s was announced by %s, which %s revoked", fp, sg.Notice, sg.RevokedBy)
	case !sg.Removed.IsZero():
		a.Code, a.Reason = ExitUnannouncedSigner, fmt.Sprintf("%s was removed by %s on %s", fp, sg.RemovedBy, sg.Removed.Format(Date))
	case !a.Endorsed:
		a.Code, a.Reason = ExitUnendorsed, fmt.Sprintf("%s was announced by %s on %s, which is not endorsed as the policy asks", fp, sg.Notice, sg.Since.Format(Date))
	case sg.Notice == "":
		a.Reason = fmt.Sprintf("%s is one of the project's first release-signing keys", fp)
	default:
		a.Reason = fmt.Sprintf("%s was announced by %s on %s, endorsed", fp, sg.Notice, sg.Since.Format(Date))
	}
	for _, r := range s.LaterRevoked {
		if r.Notice == sg.Notice && sg.Notice != "" {
			a.Reason += fmt.Sprintf("; later revoked by %s on %s: %s", r.By, r.Since.Format(Date), r.Reason)
		}
	}
	return a
}

// pendingKey finds a signer-change waiting for consent that would add fp.
func (s State) pendingKey(fp string) (Pending, bool) {
	for _, p := range s.Pending {
		if t, ok := s.known[p.Notice]; ok && p.Kind == SignerChange {
			for _, k := range t.Notice.KeysAdded {
				if sameFingerprint(k.Fingerprint, fp) {
					return p, true
				}
			}
		}
	}
	return Pending{}, false
}

func untilText(t time.Time) string {
	if t.IsZero() {
		return " (open-ended)"
	}
	return " until " + t.Format(Date)
}

// StatusLine says in a few words what Check says of s, for a profile's Status field, a page and a
// list of projects: they must never read "normal" where check does not.
func StatusLine(s State) string {
	if s.NoRecord {
		return "no record"
	}
	var parts []string
	switch {
	case s.Unmaintained:
		parts = append(parts, "no maintainer named yet")
	case s.Orphaned:
		parts = append(parts, "orphaned")
	}
	if len(s.Unendorsed) > 0 || len(s.Pending) > 0 {
		parts = append(parts, "unendorsed or pending change of rights")
	}
	if len(s.Review) > 0 {
		parts = append(parts, "changes under a revoked handover to review")
	}
	if s.Scrutiny.Open() {
		parts = append(parts, "scrutiny until "+s.Scrutiny.Until.Format(Date))
	}
	for _, a := range s.Hiatus {
		parts = append(parts, "hiatus"+untilText(a.Until))
	}
	for _, e := range s.InterimEnded {
		// Said that day; check lists them from then on, naming whose. The status line names nobody:
		// it is read where a name and an actor id would read differently.
		if e.Ended.UTC().Format(Date) == s.At.UTC().Format(Date) {
			parts = append(parts, "interim rights ended on "+e.Ended.Format(Date))
		}
	}
	if len(parts) == 0 {
		return "normal"
	}
	return strings.Join(parts, "; ")
}
