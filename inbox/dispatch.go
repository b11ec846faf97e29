package inbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"

	"baton/federation"
	"baton/store"
)

// dispatch acts on a verified, new activity.
func (ib *Inbox) dispatch(ctx context.Context, a activity, target string) verdict {
	switch a.Type {
	case "Follow":
		return ib.follow(ctx, a, target)
	case "Undo":
		return ib.undo(ctx, a)
	case "Delete":
		if a.Object.ID == a.Actor {
			return ib.removeActor(ctx, a.Actor)
		}
		return ignored("Delete of an object Baton does not keep")
	case "Reject", "Accept":
		return ib.followAnswered(ctx, a)
	case "Create", "Update":
		if v, ok := ib.replyToCall(ctx, a); ok {
			return v
		}
		if v, ok := ib.callToStewards(ctx, a); ok {
			return v
		}
		return ib.fromUpstream(ctx, a)
	case "Offer":
		return ib.offer(ctx, a)
	case "Add":
		return ib.endorsement(ctx, a, target)
	}
	return ignored("activity type " + a.Type + " is not acted on by this instance")
}

// follow records a follower and queues the Accept, with the Follow's id among those seen: one
// write, so that the follower, its Accept and the id are stored together or not at all.
func (ib *Inbox) follow(ctx context.Context, a activity, target string) verdict {
	local := ib.urls.LocalActorName(a.Object.ID)
	if local == "" || (target != "" && local != target) {
		return rejected(http.StatusNotFound, "unknown_actor", "Follow object %q is not an actor of this inbox", a.Object.ID)
	}
	if found, err := ib.locals.exist(ctx, local); err != nil {
		return ib.storeFailed(err)
	} else if !found {
		return rejected(http.StatusNotFound, "unknown_actor", "no actor %q on this instance", local)
	}
	remote, err := ib.resolver.Actor(ctx, a.Actor)
	if err != nil {
		return unavailable("actor_unavailable", "could not fetch the follower's actor", err)
	}
	if v, ok := checkInboxes(remote); !ok {
		return v
	}
	f := store.Follower{Local: local, Actor: remote.ID, Inbox: remote.Inbox, SharedInbox: remote.SharedInbox,
		FollowID: a.ID, Created: ib.now()}
	accept, err := ib.acceptOf(local, a)
	if err != nil {
		return ib.storeFailed(err)
	}
	if err := ib.store.AcceptFollow(ctx, f, accept, seenKey(a)); err != nil {
		return ib.storeFailed(err)
	}
	ib.queued()
	ib.log.Info("new follower", "actor", local, "follower", remote.ID)
	v := accepted("accepted", "")
	v.seenMarked = true
	return v
}

// checkInboxes refuses a follower whose inboxes are not on its own origin: deliveries signed by a
// local actor, starting with the Accept, would go wherever the actor document says, so a follower
// could aim them at any server, and make this instance knock on it for days of retries.
func checkInboxes(remote federation.RemoteActor) (verdict, bool) {
	own := origin(remote.ID)
	for _, f := range []struct{ name, url string }{{"inbox", remote.Inbox}, {"sharedInbox", remote.SharedInbox}} {
		if f.url == "" {
			continue
		}
		if len(f.url) > MaxIDBytes {
			return rejected(http.StatusUnprocessableEntity, "bad_follower", "the follower's %s is longer than %d bytes", f.name, MaxIDBytes), false
		}
		if origin(f.url) != own {
			return rejected(http.StatusUnprocessableEntity, "bad_follower",
				"the follower's %s %s is not on its actor's origin %s", f.name, f.url, own), false
		}
	}
	return verdict{}, true
}

// acceptOf is the Accept that answers a Follow: it embeds the Follow, trimmed to what identifies it.
func (ib *Inbox) acceptOf(local string, follow activity) (store.Activity, error) {
	id := ib.urls.Actor(local) + "#accepts/" + randomHex(8)
	body, err := ib.urls.AcceptDocument(local, id, follow.Raw, follow.Actor)
	return store.Activity{ID: id, Signer: local, Body: body}, err
}

// undo removes the follow an Undo names, embedded or by id. Only the follower can undo its follow.
func (ib *Inbox) undo(ctx context.Context, a activity) verdict {
	if a.Object.Type != "" && a.Object.Type != "Follow" {
		return ignored("Undo of " + a.Object.Type + " is not acted on by this instance")
	}
	if a.Object.Actor != "" && a.Object.Actor != a.Actor {
		return rejected(http.StatusUnauthorized, "signer_not_actor", "Undo of a Follow by %s, sent by %s", a.Object.Actor, a.Actor)
	}
	local, err := ib.followTarget(ctx, a)
	if err != nil {
		return ib.storeFailed(err)
	}
	if local == "" {
		return ignored("no follow by " + a.Actor + " matches this Undo")
	}
	if _, err := ib.store.RemoveFollower(ctx, local, a.Actor); err != nil {
		return ib.storeFailed(err)
	}
	ib.log.Info("follower left", "actor", local, "follower", a.Actor)
	return accepted("accepted", "")
}

// followTarget finds which local actor an Undo{Follow} is about: the embedded Follow names it; a bare
// id is matched against the follows a.Actor has made.
func (ib *Inbox) followTarget(ctx context.Context, a activity) (string, error) {
	if name := ib.urls.LocalActorName(a.Object.Object); name != "" {
		return name, nil
	}
	actors, err := ib.store.ListActors(ctx)
	if err != nil {
		return "", err
	}
	for _, local := range actors {
		f, err := ib.store.Follower(ctx, local.Name, a.Actor)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if f.FollowID == a.Object.ID {
			return local.Name, nil
		}
	}
	return "", nil
}

// removeActor forgets every follow by a deleted remote actor, and its keys: a deleted actor's key
// must not go on verifying requests from the cache.
func (ib *Inbox) removeActor(ctx context.Context, actor string, keyIDs ...string) verdict {
	n, err := ib.store.RemoveActorEverywhere(ctx, actor)
	if err != nil {
		return ib.storeFailed(err)
	}
	if err := ib.resolver.ForgetActor(ctx, actor, keyIDs...); err != nil {
		ib.log.Warn("forget a deleted actor's keys", "actor", actor, "err", err)
	}
	ib.log.Info("remote actor deleted", "actor", actor, "follows_removed", n)
	return accepted("accepted", "")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
