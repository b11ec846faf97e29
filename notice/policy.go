package notice

import (
	"errors"
	"fmt"
	"time"
)

// Policy is an instance's trust policy: how many steward endorsements a change of who holds rights
// needs, and how long the scrutiny window it opens lasts.
type Policy struct {
	// StewardEndorsements is k for a project with a single maintainer (or none): the xz case, where
	// nobody else can notice that the handover is being pressed on them.
	StewardEndorsements int `json:"steward_endorsements,omitzero"`
	// SharedStewardEndorsements is k for a project with two or more maintainers, who check each other.
	SharedStewardEndorsements int `json:"shared_steward_endorsements,omitzero"`
	// ScrutinyWindow is how long a handover, signer-change, infra-change or disputed change keeps the
	// project under scrutiny.
	ScrutinyWindow time.Duration `json:"scrutiny_window,omitzero"`
	// ReturnScrutinyWindow is how long a return that ends interim rights early keeps the project under
	// scrutiny: the rights go back to who held them before, so the review is of the interim, not of
	// someone new. It runs alongside the handover's own window and extends it only if it ends later.
	ReturnScrutinyWindow time.Duration `json:"return_scrutiny_window,omitzero"`
}

// DefaultPolicy is the policy of an instance that sets nothing: two stewards for a single maintainer,
// one for a shared project, a window of 365 days, and 30 days after a return that ends interim rights. The zero Policy asks for no endorsements and
// opens no windows, so start from this one and change what the instance configures.
func DefaultPolicy() Policy {
	return Policy{StewardEndorsements: 2, SharedStewardEndorsements: 1, ScrutinyWindow: 365 * 24 * time.Hour, ReturnScrutinyWindow: 30 * 24 * time.Hour}
}

// Validate reports every problem with p at once.
func (p Policy) Validate() error {
	var errs []error
	if p.StewardEndorsements < 0 {
		errs = append(errs, fmt.Errorf("steward endorsements: %d is negative", p.StewardEndorsements))
	}
	if p.SharedStewardEndorsements < 0 {
		errs = append(errs, fmt.Errorf("shared steward endorsements: %d is negative", p.SharedStewardEndorsements))
	}
	if p.ScrutinyWindow < 0 {
		errs = append(errs, fmt.Errorf("scrutiny window: %s is negative", p.ScrutinyWindow))
	}
	if p.ReturnScrutinyWindow < 0 {
		errs = append(errs, fmt.Errorf("return scrutiny window: %s is negative", p.ReturnScrutinyWindow))
	}
	return errors.Join(errs...)
}

// stewardsNeeded is k for a project that has maintainers maintainers before the change.
func (p Policy) stewardsNeeded(maintainers int) int {
	if maintainers >= 2 {
		return p.SharedStewardEndorsements
	}
	return p.StewardEndorsements
}

// majority is how many of n maintainers make a strict majority: one of one, two of two, two of three.
func majority(n int) int { return n/2 + 1 }
