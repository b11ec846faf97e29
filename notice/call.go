package notice

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A call for stewards asks trusted people to step in: it names the role, the rights it wants passed
// (the same words a handover's scope uses) and for how long. An answer is a signed offer; the
// stewards who accept one draft the interim handover the call describes.

// Term is how long a call wants its rights held: until a date, or for a length of time counted from
// the day the handover is made. The zero Term names neither.
type Term struct {
	End    time.Time // until this date
	Months int       // or for this many months
	Days   int       // and days
}

// maxTermMonths bounds a term given as a length: an interim steward is not a successor.
const maxTermMonths = 60

var termLength = regexp.MustCompile(`^(\d{1,4})\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)$`)

// ParseTerm reads a term as a date (YYYY-MM-DD or RFC 3339) or a length: "90d", "12w", "6m", "1y"
// (or spelled out: "6 months"). Empty gives the zero Term.
func ParseTerm(s string) (Term, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return Term{}, nil
	}
	if m := termLength.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		switch m[2][0] {
		case 'd':
			return Term{Days: n}, nil
		case 'w':
			return Term{Days: 7 * n}, nil
		case 'm':
			return Term{Months: n}, nil
		default:
			return Term{Months: 12 * n}, nil
		}
	}
	end, err := ParseDate(s)
	if err != nil {
		return Term{}, fmt.Errorf("term %q: want a date (YYYY-MM-DD) or a length such as 90d, 12w, 6m or 1y", s)
	}
	return Term{End: end}, nil
}

// ParseISOTerm reads a term as it travels: an ISO 8601 length ("P6M", "P90D", "P1Y2M") or an RFC 3339
// time.
func ParseISOTerm(s string) (Term, error) {
	if s == "" {
		return Term{}, nil
	}
	if rest, ok := strings.CutPrefix(s, "P"); ok && rest != "" {
		var t Term
		for rest != "" {
			i := strings.IndexAny(rest, "YMWD")
			if i <= 0 {
				return Term{}, fmt.Errorf("term %q is not an ISO 8601 length of years, months, weeks and days", s)
			}
			n, err := strconv.Atoi(rest[:i])
			if err != nil || n < 0 || n > 100000 {
				return Term{}, fmt.Errorf("term %q is not an ISO 8601 length of years, months, weeks and days", s)
			}
			switch rest[i] {
			case 'Y':
				t.Months += 12 * n
			case 'M':
				t.Months += n
			case 'W':
				t.Days += 7 * n
			case 'D':
				t.Days += n
			}
			rest = rest[i+1:]
		}
		return t, nil
	}
	end, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return Term{}, fmt.Errorf("term %q is neither an ISO 8601 length nor an RFC 3339 time", s)
	}
	return Term{End: end.UTC()}, nil
}

// ISO writes the term as it travels: the end as RFC 3339, or the length as ISO 8601 ("P6M", "P90D");
// "" for the zero Term.
func (t Term) ISO() string {
	switch {
	case !t.End.IsZero():
		return t.End.UTC().Format(time.RFC3339)
	case t.Months == 0 && t.Days == 0:
		return ""
	}
	s := "P"
	if t.Months > 0 {
		s += strconv.Itoa(t.Months) + "M"
	}
	if t.Days > 0 {
		s += strconv.Itoa(t.Days) + "D"
	}
	return s
}

// IsZero reports whether the term names neither an end nor a length.
func (t Term) IsZero() bool { return t.End.IsZero() && t.Months == 0 && t.Days == 0 }

// String says the term as people read it: "until 2027-06-01", "for 6 months", "for 90 days".
func (t Term) String() string {
	if !t.End.IsZero() {
		return "until " + t.End.Format(Date)
	}
	var parts []string
	if t.Months > 0 {
		parts = append(parts, plural(t.Months, "month"))
	}
	if t.Days > 0 {
		parts = append(parts, plural(t.Days, "day"))
	}
	if len(parts) == 0 {
		return "for a term not named"
	}
	return "for " + strings.Join(parts, " and ")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// EndFrom is when the term ends for a handover made at start: its end date, or start plus its length.
func (t Term) EndFrom(start time.Time) time.Time {
	if !t.End.IsZero() {
		return t.End
	}
	return start.AddDate(0, t.Months, t.Days)
}

// check says what is wrong with a call's term, given when the call takes effect (zero: now). A call
// without one is older than the term (see checkNewCall).
func (t Term) check(since time.Time) error {
	switch {
	case !t.End.IsZero() && (t.Months != 0 || t.Days != 0):
		return errors.New("give an end date or a length, not both")
	case t.Months < 0 || t.Days < 0:
		return errors.New("a length cannot be negative")
	case t.Months*31+t.Days > maxTermMonths*31:
		return fmt.Errorf("%s is longer than %d months: an interim steward is not a successor", t, maxTermMonths)
	case !t.End.IsZero() && !since.IsZero() && !t.End.After(since):
		return fmt.Errorf("the term ends (%s) before the call takes effect (%s)", t.End.Format(Date), since.Format(Date))
	}
	return nil
}

// Open reports whether a call published at published is still open at now: it has not reached its
// until, and (when it names an end date for the term) that date has not passed.
func (n Notice) Open(now time.Time) error {
	switch {
	case n.Kind != CallForStewards:
		return fmt.Errorf("it is a %s, not a call for stewards", n.Kind)
	case !n.Until.IsZero() && !now.Before(n.Until):
		return fmt.Errorf("the call closed on %s", n.Until.Format(Date))
	case !n.Term.End.IsZero() && !now.Before(n.Term.End):
		return fmt.Errorf("the term the call names ended on %s", n.Term.End.Format(Date))
	}
	return nil
}
