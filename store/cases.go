package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Case is a confidential relief case: a thread between a maintainer and the instance's stewards. The
// instance keeps only what it needs to route and check it: the project, who takes part and since
// when, when it opened and closed, what it led to, and who wrote each message and when. The words are
// in each message's envelope, sealed to the participants' keys on their machines: the instance, its
// backups and this store never hold them in plain text.
type Case struct {
	ID           string // 32 random hexadecimal digits, chosen by the maintainer's client
	Project      string
	Opener       string            // the actor id of the maintainer who opened it
	Participants []CaseParticipant // the opener first, then stewards in the order they joined
	Opened       time.Time
	Closed       time.Time // zero while open
	ClosedBy     string    // the actor id of the participant who closed it
	LedTo        int64     // the notice it led to (a hiatus, a call for stewards, a handover); 0 for none
	Messages     []CaseMessage
	// Revision counts the case's writes: CreateCase stores it as given, and UpdateCase writes only over
	// the revision it was read at, so two participants writing at once never lose a message.
	Revision int64
}

// CaseParticipant is one person a case's messages are sealed to, since when.
type CaseParticipant struct {
	Person string // actor id
	Since  time.Time
}

// CaseMessage is one message of a case, sealed.
type CaseMessage struct {
	Author  string // the actor id of who wrote the words
	Signer  string // the actor id of who signed the envelope: the author, or the steward who shared the case
	Written time.Time
	// Envelope is the signed relief.Envelope as it arrived: the ciphertext, and its signer's proof.
	Envelope []byte
}

// Participant reports whether person (an actor id) takes part in the case.
func (c Case) Participant(person string) bool {
	for _, p := range c.Participants {
		if p.Person == person {
			return true
		}
	}
	return false
}

// Cases keeps relief cases.
type Cases interface {
	// CreateCase stores a new case as given (a move brings its messages and revision along), or returns
	// ErrExists.
	CreateCase(ctx context.Context, c Case) error
	// Case returns a case, or ErrNotFound.
	Case(ctx context.Context, id string) (Case, error)
	// ListCases returns every case, in the order they were created.
	ListCases(ctx context.Context) ([]Case, error)
	// UpdateCase replaces a case with c if the stored case is still at c.Revision, and stores it at
	// c.Revision+1; ErrConflict if it changed since it was read, ErrNotFound if there is no such case.
	UpdateCase(ctx context.Context, c Case) error
}

// caseJSON is how every backend keeps a case: JSON with names of its own, so renaming a Go field never
// makes stored cases unreadable. The revision is kept beside it, where a backend compares it.
type caseJSON struct {
	ID           string                `json:"id"`
	Project      string                `json:"project"`
	Opener       string                `json:"opener"`
	Participants []caseParticipantJSON `json:"participants"`
	Opened       time.Time             `json:"opened"`
	Closed       time.Time             `json:"closed,omitzero"`
	ClosedBy     string                `json:"closedBy,omitempty"`
	LedTo        int64                 `json:"ledTo,omitempty"`
	Messages     []caseMessageJSON     `json:"messages"`
}

type caseParticipantJSON struct {
	Person string    `json:"person"`
	Since  time.Time `json:"since"`
}

type caseMessageJSON struct {
	Author   string    `json:"author"`
	Signer   string    `json:"signer"`
	Written  time.Time `json:"written"`
	Envelope []byte    `json:"envelope"`
}

// EncodeCase writes a case, but its revision, as backends keep it.
func EncodeCase(c Case) ([]byte, error) {
	j := caseJSON{ID: c.ID, Project: c.Project, Opener: c.Opener, Opened: c.Opened, Closed: c.Closed, ClosedBy: c.ClosedBy, LedTo: c.LedTo}
	for _, p := range c.Participants {
		j.Participants = append(j.Participants, caseParticipantJSON{p.Person, p.Since})
	}
	for _, m := range c.Messages {
		j.Messages = append(j.Messages, caseMessageJSON{m.Author, m.Signer, m.Written, m.Envelope})
	}
	return json.Marshal(j)
}

// DecodeCase reads what EncodeCase wrote, at a revision.
func DecodeCase(data []byte, revision int64) (Case, error) {
	var j caseJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return Case{}, fmt.Errorf("stored case: %w", err)
	}
	c := Case{ID: j.ID, Project: j.Project, Opener: j.Opener, Opened: j.Opened, Closed: j.Closed, ClosedBy: j.ClosedBy, LedTo: j.LedTo,
		Revision: revision}
	for _, p := range j.Participants {
		c.Participants = append(c.Participants, CaseParticipant{Person: p.Person, Since: p.Since})
	}
	for _, m := range j.Messages {
		c.Messages = append(c.Messages, CaseMessage{Author: m.Author, Signer: m.Signer, Written: m.Written, Envelope: m.Envelope})
	}
	return c, nil
}
