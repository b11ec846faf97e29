package record

import (
	"slices"
	"time"

	"baton/notice"
)

// build reads the record's projects, handovers and revocations off the notices known to name person,
// oldest first.
func (r *Record) build(person string, known []Known) {
	byURL := map[string]Known{}
	for _, k := range known {
		byURL[k.URL] = k
	}
	for _, k := range known {
		n, at := k.Notice, k.Notice.Since
		if at.IsZero() {
			at = k.Published
		}
		switch {
		case n.Kind == notice.Handover && (slices.Contains(n.To, person) || slices.Contains(n.From, person)):
			r.addHandover(person, k, at)
		case n.Kind == notice.Retirement && (n.Author == person || slices.Contains(n.From, person)):
			r.left(k.Project, at)
		case n.Kind == notice.Revocation && n.Author == person:
			r.Revocations = append(r.Revocations, Revocation{Notice: k.URL, Project: k.Project, Reason: n.Reason, Date: at})
		}
		if k.RevokedBy != "" && Names(n, k.Signers, person) {
			rev := byURL[k.RevokedBy]
			// Against them: the notice gave them rights, or was theirs and someone else withdrew it.
			against := slices.Contains(n.To, person) || (n.Author == person && rev.Notice.Author != person)
			r.Revocations = append(r.Revocations, Revocation{Notice: k.RevokedBy, Revokes: k.URL, Project: k.Project,
				Reason: rev.Notice.Reason, Date: rev.Published, Against: against})
		}
	}
}

func (r *Record) addHandover(person string, k Known, at time.Time) {
	n := k.Notice
	h := Handover{Notice: k.URL, Project: k.Project, Role: "outgoing", Mode: string(n.Mode), Date: at, Endorsed: k.Endorsed,
		Revoked: k.RevokedBy != ""}
	for _, right := range n.Scope {
		h.Rights = append(h.Rights, string(right))
	}
	h.Accepted = len(n.To) > 0
	for _, to := range n.To {
		h.Accepted = h.Accepted && slices.Contains(k.Signers, to)
	}
	if slices.Contains(n.To, person) {
		h.Role = "incoming"
		h.Accepted = slices.Contains(k.Signers, person)
		if h.Accepted && !h.Revoked {
			r.addProject(Project{Project: k.Project, Since: at, Until: n.Until, How: "handover (" + string(n.Mode) + ")", Notice: k.URL})
		}
	} else if n.Mode == notice.Successor && h.Accepted && !h.Revoked {
		r.left(k.Project, at)
	}
	r.Handovers = append(r.Handovers, h)
}

// addProject records a project they maintain, once: the earliest start counts.
func (r *Record) addProject(p Project) {
	i := slices.IndexFunc(r.Projects, func(q Project) bool { return q.Project == p.Project })
	switch {
	case i < 0:
		r.Projects = append(r.Projects, p)
	case p.Since.Before(r.Projects[i].Since):
		r.Projects[i].Since, r.Projects[i].How = p.Since, p.How
	}
}

// left records that they left a project at at.
func (r *Record) left(project string, at time.Time) {
	for i := range r.Projects {
		if r.Projects[i].Project == project && r.Projects[i].Until.IsZero() {
			r.Projects[i].Until = at
		}
	}
}
