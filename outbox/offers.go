package outbox

import (
	"context"

	"baton/store"
)

// SendNow delivers an activity signed by a local actor to one inbox at once, so that whoever asked
// learns the receiver's answer (an offer refused, and why). Only a failure that trying again may mend
// (network, 5xx, 401, 408, 429) is queued, as every delivery is; other errors are returned, nothing
// queued. queued says whether it was queued.
func (o *Outbox) SendNow(ctx context.Context, actor, inbox string, a store.Activity) (queued bool, err error) {
	signer, err := o.signer(ctx, actor)
	if err != nil {
		return false, err
	}
	err = o.client.Post(ctx, inbox, a.Body, signer)
	if err == nil || !retryable(err) {
		return false, err
	}
	o.log.Info("delivery failed; queued to try again", "activity", a.ID, "inbox", inbox, "err", err)
	if err := o.store.Enqueue(ctx, a, []string{inbox}); err != nil {
		return false, err
	}
	o.Nudge()
	return true, nil
}
