package inbox

// An endorsement from another instance: a person there adds their proof to a notice's statement here
// (an incoming maintainer's acceptance, a trusted instance's steward's endorsement) with an Add whose
// object is the statement with their proof and whose target is the notice (docs/federation.md).

import (
	"context"
	"errors"
	"net/http"

	"baton/federation"
	"baton/outbox"
	"baton/refusal"
	"baton/store"
)

// Endorsements admits proofs delivered from other instances (outbox.Outbox does).
type Endorsements interface {
	EndorseStatementFrom(ctx context.Context, id int64, statement []byte, by string) (outbox.Endorsed, error)
}

// endorsement admits the proof an Add delivers to the notice it targets, a notice of the project
// whose inbox it was posted to (or of any project, through the shared inbox). Only the actor's own
// proofs may be added; the ledger checks them against the keys the actor lists at its origin.
func (ib *Inbox) endorsement(ctx context.Context, a activity, target string) verdict {
	if ib.endorsements == nil {
		return ignored("Add is not acted on by this instance")
	}
	e, err := federation.ParseEndorsement(a.Raw)
	if err != nil {
		return rejected(http.StatusUnprocessableEntity, "endorsement_malformed", "%v", err)
	}
	id := ib.urls.LocalNoticeID(e.Notice)
	if id == 0 {
		return ignored("Add to " + clip(e.Notice) + ", which is not a notice of this instance")
	}
	n, err := ib.store.Notice(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return rejected(http.StatusNotFound, "unknown_notice", "no notice %s on this instance", clip(e.Notice))
	case err != nil:
		return ib.storeFailed(err)
	case target != "" && n.Actor != target:
		return rejected(http.StatusUnprocessableEntity, "endorsement_misdirected", "notice %s is not a notice of %s", clip(e.Notice), target)
	}
	res, err := ib.endorsements.EndorseStatementFrom(ctx, id, e.Statement, a.Actor)
	if r, ok := refusal.As(err); ok {
		v := rejected(r.Status, "endorsement_refused", "%s", r.Reason)
		if r.Status == http.StatusServiceUnavailable {
			v.retryAfter = RetryLater
		}
		return v
	}
	if err != nil {
		return ib.storeFailed(err)
	}
	if res.Endorsed {
		return accepted("endorsed", "the notice is now endorsed as the policy asks")
	}
	return accepted("endorsement_added", "proof added")
}
