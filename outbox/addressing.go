package outbox

import (
	"context"
	"slices"

	"baton/federation"
	"baton/ledger"
	"baton/notice"
)

// Who a notice meant for stewards is addressed to. A relief request reaches this instance's stewards
// alone. A call for stewards that is not public reaches them and the stewards of the instances this
// one trusts (TrustedStewardInstances): each such instance names its stewards on its instance actor,
// and each is taken only once their own actor, at its origin, says they are a steward. The call is
// delivered to their inboxes, addressed to them by name: never to the public, never to followers.

// recipient is a steward on another instance a call is delivered to.
type recipient struct {
	id, inbox string
}

// addressees are the ids a notice meant for stewards names in its `to`, and the inboxes on other
// instances it is delivered to. An instance that cannot be reached is logged and left out: its
// stewards miss this call, and the others are not held up for it.
func (o *Outbox) addressees(ctx context.Context, h ledger.History, n notice.Notice) ([]string, []recipient) {
	var to []string
	for _, id := range h.Stewards {
		if o.urls.LocalActorName(id) != "" {
			to = append(to, id)
		}
	}
	if n.Kind != notice.CallForStewards || o.resolver == nil {
		return to, nil
	}
	var remote []recipient
	for _, host := range o.cfg.TrustedStewardInstances {
		ids, err := o.resolver.InstanceStewards(ctx, host)
		if err != nil {
			o.log.Warn("call for stewards: the stewards of a trusted instance could not be read", "host", host, "err", err)
			continue
		}
		for _, id := range ids {
			if r, ok := o.remoteSteward(ctx, id); ok && !slices.Contains(to, id) {
				to = append(to, id)
				remote = append(remote, r)
			}
		}
	}
	return to, remote
}

// remoteSteward finds the inbox of id, a steward of another instance as their own actor says.
func (o *Outbox) remoteSteward(ctx context.Context, id string) (recipient, bool) {
	person, err := o.resolver.RemotePerson(ctx, id)
	if err != nil || person.StewardSince.IsZero() {
		o.log.Warn("call for stewards: not addressed to someone their instance lists as a steward", "person", id, "err", err)
		return recipient{}, false
	}
	actor, err := o.resolver.Actor(ctx, id)
	if err != nil || actor.Inbox == "" || !federation.SameOrigin(actor.Inbox, id) {
		o.log.Warn("call for stewards: a steward's inbox could not be found", "person", id, "err", err)
		return recipient{}, false
	}
	return recipient{id: id, inbox: actor.Inbox}, true
}

// readdressed is who a notice meant for stewards, rendered again, goes to: those its Note was
// addressed to when published (a call's addressees do not change with the steward list), with the
// inboxes of those on other instances.
func (o *Outbox) readdressed(ctx context.Context, h ledger.History, sn notice.Signed, published []byte) ([]string, []recipient) {
	if sn.Notice.Kind != notice.CallForStewards || o.resolver == nil {
		return o.addressees(ctx, h, sn.Notice)
	}
	to := federation.Addressees(published)
	var remote []recipient
	for _, id := range to {
		if o.urls.LocalActorName(id) != "" {
			continue
		}
		if r, ok := o.remoteSteward(ctx, id); ok {
			remote = append(remote, r)
		}
	}
	return to, remote
}

// inboxes are the distinct inboxes of rs.
func inboxes(rs []recipient) []string {
	var out []string
	for _, r := range rs {
		if !slices.Contains(out, r.inbox) {
			out = append(out, r.inbox)
		}
	}
	return out
}
