package upstream

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// Watch maps a package to an upstream project actor, given by handle (name@host) or actor URL. The
// package gets a local actor that packagers follow; the instance follows the upstream unless it does
// already (for another package), and reads the upstream's outbox to mirror what it published so far.
// The catch-up runs in the background: an upstream that is down now is read again later.
func (w *Watcher) Watch(ctx context.Context, pkg, upstream, purl string) (store.Watch, error) {
	if err := notice.ValidName(pkg); err != nil {
		return store.Watch{}, refuse(http.StatusBadRequest, "package: %v", err)
	}
	if _, err := w.store.Watch(ctx, pkg); err == nil {
		return store.Watch{}, refuse(http.StatusConflict, "%s is watched already", pkg)
	}
	if a, err := w.store.Actor(ctx, pkg); err == nil && a.Kind != store.KindPackage {
		return store.Watch{}, refuse(http.StatusConflict, "%s is the name of a %s on this instance", pkg, a.Kind)
	}
	up, followed, err := w.followUpstream(ctx, upstream)
	if err != nil {
		return store.Watch{}, err
	}
	if err := w.packageActor(ctx, pkg, up); err != nil {
		return store.Watch{}, err
	}
	wt := store.Watch{Package: pkg, Upstream: up.Actor, Purl: purl, Created: w.now().UTC()}
	if err := w.store.AddWatch(ctx, wt); errors.Is(err, store.ErrExists) {
		return store.Watch{}, refuse(http.StatusConflict, "%s is watched already", pkg)
	} else if err != nil {
		return store.Watch{}, err
	}
	if followed {
		w.catchUpSoon(up.Actor)
	}
	return wt, nil
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

// followUpstream resolves an upstream, stores what it publishes, and queues the instance actor's
// Follow unless the instance follows it already; it reports whether it did.
func (w *Watcher) followUpstream(ctx context.Context, handle string) (store.Upstream, bool, error) {
	actorID, err := w.resolver.LookupHandle(ctx, handle)
	if err != nil {
		return store.Upstream{}, false, refuse(http.StatusUnprocessableEntity, "upstream: %v", err)
	}
	defer w.lock(actorID)() // two packages of one new upstream, watched at once, follow it once
	known, err := w.store.Upstream(ctx, actorID)
	if err == nil && known.Follow != store.FollowNone {
		return known, false, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Upstream{}, false, err
	}
	ua, err := w.resolver.UpstreamActor(ctx, actorID)
	if err != nil {
		return store.Upstream{}, false, refuse(http.StatusUnprocessableEntity, "upstream %s: %v", actorID, err)
	}
	up := known
	if up.Actor == "" {
		key, _ := ua.ProofKey() // ParseUpstreamActor made sure there is one
		up = store.Upstream{Actor: ua.ID, ProofKey: key.Multibase, Created: w.now().UTC()}
	}
	refreshed(&up, ua, true)
	return up, true, w.follow(ctx, &up)
}

// refreshed copies what an upstream's actor says into what is kept of it. The genesis is taken only
// until notices are mirrored: after that, what they were judged by must not change under them.
func refreshed(up *store.Upstream, ua federation.UpstreamActor, takeGenesis bool) {
	up.Name, up.Inbox, up.SharedInbox, up.Outbox = ua.Username, ua.Inbox, ua.SharedInbox, ua.Outbox
	if takeGenesis {
		up.Genesis = ua.Genesis
	}
	up.Stewards = up.Stewards[:0]
	for _, s := range ua.Stewards {
		up.Stewards = append(up.Stewards, store.Steward{ID: s.ID, Since: s.Since})
	}
}

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
	if err := w.store.RemoveWatch(ctx, pkg); err != nil {
		return err
	}
	rest, err := w.store.WatchesOf(ctx, wt.Upstream)
	if err != nil || len(rest) > 0 {
		return err
	}
	return w.unfollow(ctx, wt.Upstream)
}

// unfollow queues an Undo of the instance's Follow of an upstream.
func (w *Watcher) unfollow(ctx context.Context, actor string) error {
	defer w.lock(actor)()
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
