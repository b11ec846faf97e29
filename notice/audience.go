package notice

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Audience says who may read a notice.
type Audience string

// The audiences of a notice.
const (
	AudiencePublic   Audience = "public"   // anyone: followers, pages, feeds, the status API
	AudienceStewards Audience = "stewards" // the instance's stewards only
)

// Audience says who may read n. A relief request is for stewards only, always: a public list of
// exhausted sole maintainers is a target list. A call for stewards is public only when it says so.
func (n Notice) Audience() Audience {
	if !n.Kind.Public() || (n.Kind == CallForStewards && !n.Public) {
		return AudienceStewards
	}
	return AudiencePublic
}

// CheckRecipients says why n may not be delivered to recipients, or nil. A notice for stewards may
// reach stewards only; the public collection is nobody's person id, so addressing one to it fails too.
func CheckRecipients(n Notice, recipients, stewards []string) error {
	if n.Audience() == AudiencePublic {
		return nil
	}
	var errs []error
	for _, r := range recipients {
		if !slices.Contains(stewards, r) {
			errs = append(errs, fmt.Errorf("%s is for stewards only: %s is not a steward", n.Kind, r))
		}
	}
	return errors.Join(errs...)
}

// PublicView returns the notices a follower of the project could have seen at at: the public ones
// published by then, in the order given. A notice shows when it is published, even one that takes
// effect later (a hiatus announced ahead) or that records the past.
func PublicView(notices []Signed, at time.Time) []Signed {
	var seen []Signed
	for _, s := range notices {
		if s.Notice.Audience() == AudiencePublic && !s.Published.After(at) {
			seen = append(seen, s)
		}
	}
	return seen
}
