package upstream

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// Watch maps a package to an upstream project actor, given by handle (name@host) or actor URL. The
// package gets a local actor that packagers follow; the instance follows the upstream unless it does
// already (for another package), and reads the upstream's outbox to mirror what it published so far.
// The catch-up runs in the background: an upstream that is down now is read again later.
func (w *Watcher) Watch(ctx context.Context, pkg, upstream, purl string) (wt store.Watch, added bool, err error) {
	if err := notice.ValidName(pkg); err != nil {
		return store.Watch{}, false, refuse(http.StatusBadRequest, "package: %v", err)
	}
	if a, err := w.store.Actor(ctx, pkg); err == nil && a.Kind != store.KindPackage {
		return store.Watch{}, false, refuse(http.StatusConflict, "%s is the name of a %s on this instance", pkg, a.Kind)
	}
	actorID, err := w.resolver.LookupHandle(ctx, upstream)
	if err != nil {
		return store.Watch{}, false, refuse(http.StatusUnprocessableEntity, "upstream: %v", err)
	}
	// Under the upstream's lock, a watch and an unwatch of it (or two watches of a new upstream) do
	// not interleave: it is followed once, and never left unfollowed with a package watching it.
	defer w.lock(actorID)()
	if known, err := w.store.Watch(ctx, pkg); err == nil {
		if known.Upstream != actorID {
			return store.Watch{}, false, refuse(http.StatusConflict, "%s watches %s already; remove that watch first", pkg, known.Upstream)
		}
		return known, false, nil // watched as asked: importing a list twice changes nothing
	}
	up, followed, err := w.followUpstream(ctx, actorID)
	if err != nil {
		return store.Watch{}, false, err
	}
	if err := w.packageActor(ctx, pkg, up); err != nil {
		return store.Watch{}, false, err
	}
	wt = store.Watch{Package: pkg, Upstream: up.Actor, Purl: purl, Created: w.now().UTC()}
	if err := w.store.AddWatch(ctx, wt); err != nil {
		return store.Watch{}, false, err
	}
	if followed {
		w.catchUpSoon(up.Actor)
	}
	return wt, true, nil
}

// catchUpTimeout bounds a catch-up started by a watch: an upstream that does not answer in time is
// read again by the periodic catch-up.
const catchUpTimeout = 2 * time.Minute

// catchUpSoon reads a newly watched upstream's outbox in the background, once however many packages
// of it are watched at the same time (an import maps many packages to one upstream).
func (w *Watcher) catchUpSoon(actor string) {
	if _, running := w.catchingUp.LoadOrStore(actor, true); running {
		return
	}
	go func() {
		defer w.catchingUp.Delete(actor)
		ctx, cancel := context.WithTimeout(context.Background(), catchUpTimeout)
		defer cancel()
		if _, err := w.CatchUp(ctx, actor); err != nil {
			w.log.Warn("first catch-up failed; it is tried again later", "upstream", actor, "err", err)
		}
	}()
}

// followUpstream stores what an upstream publishes and queues the instance actor's Follow, unless the
// instance follows it already; it reports whether it did. The caller holds the upstream's lock.
func (w *Watcher) followUpstream(ctx context.Context, actorID string) (store.Upstream, bool, error) {
	known, err := w.store.Upstream(ctx, actorID)
	if err == nil && known.Follow != store.FollowNone {
		return known, false, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Upstream{}, false, err
	}
	ua, err := w.resolver.UpstreamActor(ctx, actorID)
	var status *federation.StatusError
	if err != nil && (errors.As(err, &status) || errors.Is(err, context.DeadlineExceeded)) {
		return store.Upstream{}, false, refuse(http.StatusBadGateway, "upstream %s: %v", actorID, err)
	} else if err != nil {
		return store.Upstream{}, false, refuse(http.StatusUnprocessableEntity, "upstream %s: %v", actorID, err)
	}
	w.confirmStewards(ctx, &ua, known.Stewards)
	mirrored, err := w.store.MirroredNotices(ctx, actorID)
	if err != nil {
		return store.Upstream{}, false, err
	}
	// Following anew (first time, or after every watch of it was removed) is the admin's word: the
	// project's key is taken as it is now. Its genesis is taken only while nothing is mirrored.
	up := known
	key, _ := ua.ProofKey() // ParseUpstreamActor made sure there is one
	up.Actor, up.ProofKey = ua.ID, key.Multibase
	if up.Created.IsZero() {
		up.Created = w.now().UTC()
	}
	refreshed(&up, ua, len(mirrored) == 0, w.now())
	if _, err := w.store.ForgetRejected(ctx, actorID); err != nil {
		return store.Upstream{}, false, err
	}
	w.reported.forget()
	return up, true, w.follow(ctx, &up)
}

// refreshed copies what an upstream's actor says into what is kept of it. Its name and genesis are
// taken only until notices are mirrored: after that, what they were judged by must not change under
// them. Stewards are added as they appear, dated no earlier than now (a steward backdated by the
// upstream must not make an old handover look endorsed), and never dropped: past endorsements stand.
func refreshed(up *store.Upstream, ua federation.UpstreamActor, takeGenesis bool, now time.Time) {
	up.Inbox, up.SharedInbox, up.Outbox = ua.Inbox, ua.SharedInbox, ua.Outbox
	if takeGenesis {
		up.Name, up.Genesis = ua.Username, ua.Genesis
	}
	first := len(up.Stewards) == 0 && takeGenesis
	for _, s := range ua.Stewards {
		if slices.ContainsFunc(up.Stewards, func(k store.Steward) bool { return k.ID == s.ID }) {
			continue
		}
		since := s.Since
		if !first && since.Before(now) {
			since = now.UTC()
		}
		up.Stewards = append(up.Stewards, store.Steward{ID: s.ID, Since: since})
	}
}

// confirmStewards keeps, among the stewards an upstream's actor lists, those of its own instance, those
// known already, and those of other instances whose own actors, fetched from their origins, say they
// are stewards there: the upstream's instance names whose endorsements it counts, and their instances
// confirm what they are. At most maxStewardsConfirmed are fetched at once, so an upstream listing
// thousands costs no more; one not confirmed now is left out, and looked at again at the next refresh.
func (w *Watcher) confirmStewards(ctx context.Context, ua *federation.UpstreamActor, known []store.Steward) {
	fetched := 0
	ua.Stewards = slices.DeleteFunc(ua.Stewards, func(s federation.StewardRef) bool {
		if federation.SameOrigin(s.ID, ua.ID) || slices.ContainsFunc(known, func(k store.Steward) bool { return k.ID == s.ID }) {
			return false
		}
		if fetched == maxStewardsConfirmed {
			return true
		}
		fetched++
		p, err := w.resolver.RemotePerson(ctx, s.ID)
		if err != nil || p.StewardSince.IsZero() {
			w.log.Warn("a steward of another instance is not confirmed by their own actor; not counted", "upstream", ua.ID, "steward", s.ID, "err", err)
			return true
		}
		return false
	})
}

// maxStewardsConfirmed bounds the stewards of other instances confirmed in one read of an upstream's
// actor.
const maxStewardsConfirmed = 16

// follow queues the instance actor's Follow of an upstream, and stores the upstream as pending.
func (w *Watcher) follow(ctx context.Context, up *store.Upstream) error {
	up.FollowID = fmt.Sprintf("%s#follows/%d", w.urls.InstanceActor(), w.now().UnixNano())
	up.Follow = store.FollowPending
	body, err := w.urls.FollowDocument("", up.FollowID, up.Actor)
	if err != nil {
		return err
	}
	if err := w.store.PutUpstream(ctx, *up); err != nil {
		return err
	}
	if err := w.store.Enqueue(ctx, store.Activity{ID: up.FollowID, Body: body}, []string{up.Inbox}); err != nil {
		return err
	}
	w.queued()
	return nil
}

// packageActor makes the local actor of a package, or reuses the one a removed watch left.
func (w *Watcher) packageActor(ctx context.Context, pkg string, up store.Upstream) error {
	// The Ed25519 key signs the distro's own notices about the package; unlike the RSA key it is
	// cheap to make now.
	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed)
	a := store.Actor{Name: pkg, Kind: store.KindPackage, DisplayName: pkg,
		Summary:     fmt.Sprintf("Notices about %s, the upstream of %s, verified and re-announced by this instance, and this distro's own notices about its packaging.", up.Name, pkg),
		Ed25519Seed: seed, Created: w.now().UTC()}
	if err := w.store.CreateActor(ctx, a); !errors.Is(err, store.ErrExists) {
		return err
	}
	// Made by an earlier watch, or a project or person made since Watch looked.
	existing, err := w.store.Actor(ctx, pkg)
	if err == nil && existing.Kind != store.KindPackage {
		return refuse(http.StatusConflict, "%s is the name of a %s on this instance", pkg, existing.Kind)
	}
	return err
}

// Unwatch forgets a package's watch; when no package comes from its upstream any more, the instance
// unfollows it. The package's actor and what was mirrored stay: ids are never reused.
func (w *Watcher) Unwatch(ctx context.Context, pkg string) error {
	wt, err := w.store.Watch(ctx, pkg)
	if errors.Is(err, store.ErrNotFound) {
		return refuse(http.StatusNotFound, "%s is not watched", pkg)
	} else if err != nil {
		return err
	}
	defer w.lock(wt.Upstream)()
	if err := w.store.RemoveWatch(ctx, pkg); errors.Is(err, store.ErrNotFound) {
		return refuse(http.StatusNotFound, "%s is not watched", pkg)
	} else if err != nil {
		return err
	}
	rest, err := w.store.WatchesOf(ctx, wt.Upstream)
	if err != nil || len(rest) > 0 {
		return err
	}
	return w.unfollow(ctx, wt.Upstream)
}

// unfollow queues an Undo of the instance's Follow of an upstream. The caller holds its lock.
func (w *Watcher) unfollow(ctx context.Context, actor string) error {
	up, err := w.store.Upstream(ctx, actor)
	if err != nil || up.FollowID == "" {
		return err
	}
	follow, err := w.urls.FollowDocument("", up.FollowID, up.Actor)
	if err != nil {
		return err
	}
	undoID := up.FollowID + "/undo"
	body, err := w.urls.UndoDocument("", undoID, json.RawMessage(follow), up.Actor)
	if err != nil {
		return err
	}
	up.FollowID, up.Follow = "", store.FollowNone
	if err := w.store.PutUpstream(ctx, up); err != nil {
		return err
	}
	if err := w.store.Enqueue(ctx, store.Activity{ID: undoID, Body: body}, []string{up.Inbox}); err != nil {
		return err
	}
	w.queued()
	return nil
}

// FollowAnswered records an upstream's Accept or Reject of the instance's Follow. It reports whether
// followID was the instance's Follow of actor.
func (w *Watcher) FollowAnswered(ctx context.Context, actor, followID string, accepted bool) (bool, error) {
	defer w.lock(actor)()
	up, err := w.store.Upstream(ctx, actor)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil || up.FollowID == "" || up.FollowID != followID {
		return false, err
	}
	up.Follow = store.FollowRejected
	if accepted {
		up.Follow = store.FollowAccepted
	}
	return true, w.store.PutUpstream(ctx, up)
}
