package store

import (
	"context"
	"fmt"
	"time"
)

// Offer is an answer to a project's call for stewards: a person's signed offer to step in, or a reply
// to the call's Note from a fediverse account, kept as an expression of interest and never counted as
// an offer.
type Offer struct {
	ID       string // the signed offer's statement id (urn:uuid), or the reply Note's id
	Project  string // the local project whose call it answers
	Call     int64  // the call's notice id
	Person   string // who answers: an actor id, on any instance
	Signed   bool   // a signed offer; false for a reply read as interest
	Text     string // their words, as plain text
	Until    time.Time
	Document []byte // the signed statement, or the reply Note, as received
	Received time.Time
	// Accepted is when a steward (AcceptedBy, an actor id, or "admin") accepted the offer; zero until then.
	Accepted   time.Time
	AcceptedBy string
}

// Offers keeps the answers to calls for stewards.
type Offers interface {
	// PutOffer stores o, replacing the earlier answer of the same person, of the same kind (signed or
	// not), to the same call: a person's newer offer supersedes their older one, so one sender cannot
	// fill the list. An accepted answer is never replaced (ErrConflict); an id another answer holds is
	// ErrExists.
	PutOffer(ctx context.Context, o Offer) error
	// Offer returns one answer by its id, or ErrNotFound.
	Offer(ctx context.Context, id string) (Offer, error)
	// Offers returns the answers to a project's calls, in the order stored (a replacing answer comes
	// where it was stored, not where the one it replaced was).
	Offers(ctx context.Context, project string) ([]Offer, error)
	// AcceptOffer records that by accepted a signed offer at at, and returns it as stored then;
	// ErrNotFound when there is no such signed offer, ErrConflict when it was accepted already.
	AcceptOffer(ctx context.Context, id, by string, at time.Time) (Offer, error)
}

// moveOffers copies every project's answers to its calls, in the order stored, accepted ones marked.
func moveOffers(ctx context.Context, from, to Movable, m *Moved) error {
	actors, err := from.ListActors(ctx)
	if err != nil {
		return err
	}
	for _, a := range actors {
		if a.Kind != KindProject {
			continue
		}
		offers, err := from.Offers(ctx, a.Name)
		if err != nil {
			return err
		}
		for _, o := range offers {
			if err := to.PutOffer(ctx, o); err != nil {
				return fmt.Errorf("%s: %w", o.ID, err)
			}
			m.Offers++
		}
	}
	return nil
}
