package notice

import (
	"fmt"
	"strings"
)

// The exit codes of `baton check`, which a packaging pipeline branches on. When several apply, Check
// returns the most urgent: ExitUnendorsed, then ExitScrutiny, then ExitAway.
const (
	ExitNormal     = 0 // nothing to flag
	ExitError      = 1 // the check itself failed (the command line's own errors; Check never returns it)
	ExitScrutiny   = 2 // the project is in a scrutiny window: review the release before taking it
	ExitUnendorsed = 3 // a change of who holds rights (handover, signer-change, security-contact move) lacks the proofs the policy asks for
	ExitAway       = 4 // a maintainer is on hiatus, or nobody is left: informational, so pipelines can choose
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
	for _, u := range s.Unendorsed {
		v.flag(ExitUnendorsed, fmt.Sprintf("unendorsed %s %s (since %s): %s", u.Kind, u.Notice, u.Since.Format(Date), strings.Join(u.Missing, "; ")))
	}
	if w := s.Scrutiny; w.Open() {
		v.flag(ExitScrutiny, fmt.Sprintf("in a scrutiny window from %s until %s", w.Since.Format(Date), w.Until.Format(Date)))
		for _, r := range w.Reasons {
			v.flag(ExitScrutiny, fmt.Sprintf("scrutiny: %s %s (%s, until %s): %s", r.Kind, r.Notice, r.Since.Format(Date), r.Until.Format(Date), r.Why))
		}
	}
	for _, a := range s.Hiatus {
		v.flag(ExitAway, fmt.Sprintf("hiatus: %s since %s%s", a.Person, a.Since.Format(Date), untilText(a.Until)))
	}
	if s.Orphaned {
		v.flag(ExitAway, "orphaned: nobody maintains the project")
	}
	return v
}

// urgency ranks exit codes: the verdict's code is the most urgent that applies.
var urgency = map[int]int{ExitNormal: 0, ExitAway: 1, ExitScrutiny: 2, ExitUnendorsed: 3}

func (v *Verdict) flag(code int, reason string) {
	if urgency[code] > urgency[v.Code] {
		v.Code = code
	}
	v.Reasons = append(v.Reasons, reason)
}
