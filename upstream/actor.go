package upstream

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"html"
	"slices"
	"time"

	vocab "github.com/go-ap/activitypub"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// ActorDocument writes a package's actor: a Service packagers follow, whose profile names the upstream
// it watches and how that upstream stands, as this instance judges it.
func (w *Watcher) ActorDocument(ctx context.Context, a store.Actor) ([]byte, error) {
	key, err := w.actorKey(ctx, a)
	if err != nil {
		return nil, err
	}
	pub, err := federation.PublicKeyPEM(key.Public())
	if err != nil {
		return nil, err
	}
	profile := federation.ActorProfile{
		Name: a.Name, Username: a.Name, Type: vocab.ServiceType, DisplayName: a.ShownName(),
		SummaryHTML: "<p>" + html.EscapeString(a.Summary) + "</p>", Fields: w.packageFields(ctx, a.Name),
		RSAPublicPEM: pub, Published: a.Created,
	}
	if len(a.Ed25519Seed) == ed25519.SeedSize {
		profile.ProofKey = ed25519.NewKeyFromSeed(a.Ed25519Seed).Public().(ed25519.PublicKey)
	}
	return w.urls.ActorDocument(profile)
}

// packageFields are the profile fields of a package: its upstream and status, or that it is no longer
// watched.
func (w *Watcher) packageFields(ctx context.Context, pkg string) []federation.Field {
	ps, err := w.State(ctx, pkg, notice.View{At: w.now()})
	if err != nil {
		return []federation.Field{{Name: "Status", ValueHTML: "not watched"}}
	}
	fields := []federation.Field{
		{Name: "Upstream", ValueHTML: link(ps.Upstream.Actor)},
		{Name: "Status", ValueHTML: html.EscapeString(notice.StatusLine(ps.State))},
	}
	if ps.Watch.Purl != "" {
		fields = append(fields, federation.Field{Name: "Package", ValueHTML: html.EscapeString(ps.Watch.Purl)})
	}
	return fields
}

func link(u string) string {
	e := html.EscapeString(u)
	return `<a href="` + e + `" rel="nofollow noopener noreferrer" target="_blank">` + e + `</a>`
}

// Outbox lists what a package's actor sent, newest first: its Announces of the upstream's notices and
// the distro's own notices about the package (as the Creates that delivered them). offset and limit
// page through the list; its length is returned with the page.
func (w *Watcher) Outbox(ctx context.Context, pkg string, offset, limit int) ([]json.RawMessage, int, error) {
	items, err := w.announced(ctx, pkg)
	if err != nil {
		return nil, 0, err
	}
	own, err := w.store.ListNotices(ctx, pkg, 0, maxOwnNotices, true)
	if err != nil {
		return nil, 0, err
	}
	for _, n := range own {
		create, err := w.urls.CreateDocument(n.ID, pkg, true, nil, n.Document, n.Published)
		if err != nil {
			return nil, 0, err
		}
		items = append(items, outboxItem{n.Published, create})
	}
	slices.SortStableFunc(items, func(a, b outboxItem) int { return b.at.Compare(a.at) })
	total := len(items)
	page := make([]json.RawMessage, 0, limit)
	for _, it := range items[min(offset, total):min(offset+limit, total)] {
		page = append(page, it.doc)
	}
	return page, total, nil
}

// maxOwnNotices bounds the distro's own notices a package's outbox lists: a handful in practice.
const maxOwnNotices = 1000

// outboxItem is an activity in a package's outbox, with when it was sent.
type outboxItem struct {
	at  time.Time
	doc json.RawMessage
}

// announced is a package's Announces of its upstream's mirrored notices; none once it is unwatched.
func (w *Watcher) announced(ctx context.Context, pkg string) ([]outboxItem, error) {
	wt, err := w.store.Watch(ctx, pkg)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	mirrored, err := w.store.MirroredNotices(ctx, wt.Upstream)
	if err != nil {
		return nil, err
	}
	items := make([]outboxItem, 0, len(mirrored))
	for _, m := range mirrored {
		a, err := w.announce(pkg, m)
		if err != nil {
			return nil, err
		}
		items = append(items, outboxItem{m.Received, a.Body})
	}
	return items, nil
}
