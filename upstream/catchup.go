package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"baton/federation"
	"baton/store"
)

// The bounds of one catch-up, so that a hostile or broken outbox cannot keep it going for ever: how
// many pages it reads, how many items of a page it looks at, and how many notices it verifies (the
// rest wait for the next catch-up). Far more than any project publishes.
const (
	maxCatchUpPages = 200
	maxPageItems    = 100
	maxCatchUpNotes = 1000
)

// CatchUp reads an upstream's outbox and mirrors, oldest first, the notices this instance missed:
// at first follow, or after the upstream (or this instance) was unreachable. Each is verified like a
// delivered one; a notice rejected or known already is not mirrored twice. It refreshes what the
// upstream's actor publishes (its stewards; its genesis while nothing is mirrored yet) and counts the
// notices it added.
func (w *Watcher) CatchUp(ctx context.Context, actor string) (int, error) {
	up, err := w.store.Upstream(ctx, actor)
	if err != nil {
		return 0, err
	}
	up, err = w.refresh(ctx, up)
	if err != nil {
		w.metrics.catchUp.WithLabelValues("failed").Inc()
		return 0, err
	}
	notes, err := w.missed(ctx, up)
	if err != nil {
		w.metrics.catchUp.WithLabelValues("failed").Inc()
		return 0, err
	}
	added := 0
	for _, doc := range notes {
		outcome, err := w.mirror(ctx, up, doc, viaCatchUp)
		if err == nil && outcome == Mirrored {
			added++
		} else if err != nil && statusOf(err) >= 500 && statusOf(err) != 503 {
			w.metrics.catchUp.WithLabelValues("failed").Inc()
			return added, err
		}
	}
	w.metrics.catchUp.WithLabelValues("ok").Inc()
	return added, w.synced(ctx, actor)
}

// refresh rereads the upstream's actor and keeps what may change.
func (w *Watcher) refresh(ctx context.Context, up store.Upstream) (store.Upstream, error) {
	ua, err := w.resolver.UpstreamActor(ctx, up.Actor)
	if err != nil {
		return up, &unavailableError{actor: up.Actor, err: fmt.Errorf("upstream %s: %w", up.Actor, err)}
	}
	w.confirmStewards(ctx, &ua, up.Stewards)
	defer w.lock(up.Actor)()
	up, err = w.store.Upstream(ctx, up.Actor)
	if err != nil {
		return up, err
	}
	mirrored, err := w.store.MirroredNotices(ctx, up.Actor)
	if err != nil {
		return up, err
	}
	refreshed(&up, ua, len(mirrored) == 0, w.now())
	return up, w.store.PutUpstream(ctx, up)
}

func (w *Watcher) synced(ctx context.Context, actor string) error {
	defer w.lock(actor)()
	up, err := w.store.Upstream(ctx, actor)
	if err != nil {
		return err
	}
	up.Synced = w.now().UTC()
	return w.store.PutUpstream(ctx, up)
}

// missed pages through the outbox, newest first, until a whole page holds nothing new, and returns
// the Notes not mirrored yet, oldest first.
func (w *Watcher) missed(ctx context.Context, up store.Upstream) ([][]byte, error) {
	head, err := w.fetchPage(ctx, up, up.Outbox)
	if err != nil {
		return nil, err
	}
	var notes [][]byte
	next, items := head.First, head.Items
	read := map[string]bool{up.Outbox: true}
	for pages := 0; ; pages++ {
		fresh, err := w.unknownNotes(ctx, up, items[:min(len(items), maxPageItems)])
		if err != nil {
			return nil, err
		}
		notes = append(notes, fresh...)
		if next == "" || read[next] || (len(fresh) == 0 && len(items) > 0) || pages == maxCatchUpPages || len(notes) >= maxCatchUpNotes {
			break
		}
		read[next] = true
		page, err := w.fetchPage(ctx, up, next)
		if err != nil {
			return nil, err
		}
		next, items = page.Next, page.Items
	}
	slices.Reverse(notes)
	return notes, nil
}

func (w *Watcher) fetchPage(ctx context.Context, up store.Upstream, url string) (federation.CollectionPage, error) {
	if !federation.SameOrigin(url, up.Actor) {
		return federation.CollectionPage{}, fmt.Errorf("outbox page %s is not on %s's host", url, up.Actor)
	}
	body, err := w.resolver.Fetch(ctx, url)
	if err != nil {
		return federation.CollectionPage{}, fmt.Errorf("outbox of %s: %w", up.Actor, err)
	}
	return federation.ParseCollectionPage(body)
}

// unknownNotes picks, from outbox items, the Notes of Creates not mirrored yet, or mirrored in another
// version: an outbox holds each notice as last updated, so endorsements whose Update was missed arrive
// this way (mirror keeps them only if they add proofs).
func (w *Watcher) unknownNotes(ctx context.Context, up store.Upstream, items []json.RawMessage) ([][]byte, error) {
	var out [][]byte
	for _, item := range items {
		var a struct {
			Type   json.RawMessage `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		if json.Unmarshal(item, &a) != nil || federation.FirstType(a.Type) != "Create" {
			continue
		}
		id := federation.ReferenceID(a.Object)
		if known, err := w.store.MirroredNotice(ctx, id); err == nil && (isReference(a.Object) || sameDocument(known.Document, a.Object)) {
			continue // known, and the outbox shows no other version of it
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if w.refusedForGood(ctx, up, a.Object) {
			continue
		}
		doc, err := w.objectDocument(ctx, up, a.Object)
		if err != nil {
			return nil, err
		}
		out = append(out, doc)
	}
	return out, nil
}

// CatchUpAll catches up with every followed upstream, then again every interval until ctx ends: the
// safety net for deliveries an upstream gave up on while this instance was down. After the first
// round, an upstream read to the end less than half an interval ago is left alone: replicas sharing a
// store then read each upstream's outbox about once an interval between them, not once each.
func (w *Watcher) CatchUpAll(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for first := true; ; first = false {
		ups, err := w.store.ListUpstreams(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Error("list upstreams", "err", err)
		}
		for _, up := range ups {
			recent := !first && w.now().Sub(up.Synced) < interval/2
			if up.Follow == store.FollowNone || ctx.Err() != nil || recent {
				continue
			}
			if up.Follow == store.FollowPending {
				w.followAgain(ctx, up.Actor)
			}
			w.catchUpOne(ctx, up.Actor)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// refusedForGood reports whether an outbox item's embedded Note was refused before for what it is
// (its form or its proofs), which no catch-up changes; the first time this process meets it, it is
// logged and counted. A refusal by the policy is left to mirror, which judges the notice again if what
// it was judged against changed, perhaps earlier in this same catch-up.
func (w *Watcher) refusedForGood(ctx context.Context, up store.Upstream, object json.RawMessage) bool {
	if isReference(object) {
		return false
	}
	id, digest := noteID(object), documentDigest(object)
	if id == "" {
		return false
	}
	r, err := w.store.RejectedNotice(ctx, up.Actor, id, digest)
	if err != nil || r.Basis != "" {
		return false // not refused, or by the policy; a store error shows again when it is judged
	}
	w.account(up, viaCatchUp, digest, "", keptRefusal(r))
	return true
}

// isReference reports whether an activity's object is only an id.
func isReference(object json.RawMessage) bool {
	var id string
	return json.Unmarshal(object, &id) == nil
}

// sameDocument reports whether an outbox item's object is the document kept, whitespace aside.
func sameDocument(kept []byte, object json.RawMessage) bool {
	var a, b bytes.Buffer
	return json.Compact(&a, kept) == nil && json.Compact(&b, object) == nil && bytes.Equal(a.Bytes(), b.Bytes())
}

// followAgainAfter is how long a Follow may stay unanswered before it is sent again.
const followAgainAfter = time.Hour

// followAgain sends a new Follow of an upstream whose follow has been pending for long: its delivery
// may have been given up, or the process may have died between recording the upstream and queueing
// the Follow. It has a new id, since receivers take a repeated id for a repeat and answer nothing.
func (w *Watcher) followAgain(ctx context.Context, actor string) {
	defer w.lock(actor)()
	up, err := w.store.Upstream(ctx, actor)
	if err != nil || up.Follow != store.FollowPending || w.now().Sub(followSent(up.FollowID)) < followAgainAfter {
		return
	}
	if err := w.follow(ctx, &up); err != nil {
		w.log.Error("follow upstream again", "upstream", up.Actor, "err", err)
	}
}

// followSent is when a Follow was made, from its id (…#follows/UNIXNANO); the zero time if unreadable.
func followSent(followID string) time.Time {
	_, n, _ := strings.Cut(followID, "#follows/")
	ns, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// catchUpOne catches up with one upstream within catchUpTimeout: a slow upstream must not hold up
// the others.
func (w *Watcher) catchUpOne(ctx context.Context, actor string) {
	ctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	if n, err := w.CatchUp(ctx, actor); err != nil {
		w.log.Warn("catch-up failed", "upstream", actor, "err", err)
	} else if n > 0 {
		w.log.Info("caught up", "upstream", actor, "notices", n)
	}
}
