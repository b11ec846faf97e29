// Package record gathers a person's track record from the federation: what projects they maintain or
// maintained and since when, the handovers they took part in and whether those were endorsed, their
// steward roles, the revocations that involve them, and the age of their actor. Each Baton instance
// serves what it knows of its people (Served, at ACTOR/record); the asking side trusts none of it
// blindly: every notice listed is fetched from its origin and counts only once the project's proof
// and every person's proof on it verify, and every role only once the project actor it points to, at
// its own origin, says so. What this instance knows itself is added. It also writes the served record.
package record

import (
	"time"
)

// Record is a person's track record as gathered.
type Record struct {
	Person    string     `json:"person"`                 // the actor id
	Name      string     `json:"name,omitempty"`         // preferredUsername
	Shown     string     `json:"display_name,omitempty"` // the name their actor gives people to read
	Type      string     `json:"type,omitempty"`         // Person, Service, …
	Published time.Time  `json:"published,omitzero"`     // when their actor was made, as it says
	Served    bool       `json:"served"`                 // their instance serves a record of them
	Reachable bool       `json:"reachable"`              // their actor could be fetched
	Projects  []Project  `json:"projects,omitempty"`     // maintained, now or before
	Handovers []Handover `json:"handovers,omitempty"`    // taken part in
	Stewards  []Steward  `json:"stewardships,omitempty"`
	// Revocations are the revocations of notices that name them, and those they made.
	Revocations []Revocation `json:"revocations,omitempty"`
	// Unverified are notices or roles their instance listed that did not verify, with why: they do
	// not count.
	Unverified []Unverified `json:"unverified,omitempty"`
	// Warnings come first wherever the record is shown: no record at all, a revocation against them.
	Warnings []string `json:"warnings,omitempty"`
}

// Project is a project they maintain or maintained.
type Project struct {
	Project string    `json:"project"` // its actor id
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until,omitzero"` // when they left; zero while they are there as far as known
	How     string    `json:"how"`            // "first maintainer", "handover (co-maintainer)"
	Notice  string    `json:"notice,omitempty"`
}

// Handover is a handover they took part in.
type Handover struct {
	Notice   string    `json:"notice"`
	Project  string    `json:"project"`
	Role     string    `json:"role"` // incoming or outgoing
	Mode     string    `json:"mode"`
	Rights   []string  `json:"rights"`
	Date     time.Time `json:"date"`
	Endorsed *bool     `json:"endorsed,omitempty"` // as the project's instance read its policy; nil: not asked
	Accepted bool      `json:"accepted"`           // the incoming signed it (for an incoming person: they did)
	Revoked  bool      `json:"revoked"`
}

// Steward is a steward role on an instance.
type Steward struct {
	Instance string    `json:"instance"` // the origin of the instance
	Since    time.Time `json:"since"`
}

// Revocation is a revocation that involves them.
type Revocation struct {
	Notice  string `json:"notice"`            // the revocation
	Revokes string `json:"revokes,omitempty"` // the notice it withdrew that names them
	Project string `json:"project"`
	Reason  string `json:"reason,omitempty"`
	// Against is true when the notice revoked was theirs or handed them rights: a revocation against them.
	Against bool      `json:"against"`
	Date    time.Time `json:"date"`
}

// Unverified is a notice or role their instance listed that did not verify.
type Unverified struct {
	What   string `json:"what"`
	Reason string `json:"reason"`
}

// warn sets the warnings from what was gathered.
func (r *Record) warn() {
	r.Warnings = nil
	against := 0
	for _, v := range r.Revocations {
		if v.Against {
			against++
		}
	}
	if against > 0 {
		r.Warnings = append(r.Warnings, plural(against, "revocation")+" against them")
	}
	if len(r.Projects) == 0 && len(r.Handovers) == 0 && len(r.Stewards) == 0 && len(r.Revocations) == 0 {
		switch {
		case !r.Reachable:
			r.Warnings = append(r.Warnings, "no track record: their actor could not be fetched")
		case !r.Served:
			r.Warnings = append(r.Warnings, "no track record: their instance serves none, and nothing verified names them")
		default:
			r.Warnings = append(r.Warnings, "no track record: no project, handover or steward role of theirs verified")
		}
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return itoa(n) + " " + what + "s"
}
