package upstream

import (
	"context"
	"encoding/json"
	"html"
	"slices"

	vocab "github.com/go-ap/activitypub"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// ActorDocument writes a package's actor: a Service packagers follow, whose profile names the upstream
// it watches and how that upstream stands, as this instance judges it.
func (w *Watcher) ActorDocument(ctx context.Context, a store.Actor) ([]byte, error) {
	key, err := w.outbox.ActorKey(ctx, a)
	if err != nil {
		return nil, err
	}
	pub, err := federation.PublicKeyPEM(key.Public())
	if err != nil {
		return nil, err
	}
	return w.urls.ActorDocument(federation.ActorProfile{
		Name: a.Name, Username: a.Name, Type: vocab.ServiceType, DisplayName: a.ShownName(),
		SummaryHTML: "<p>" + html.EscapeString(a.Summary) + "</p>", Fields: w.packageFields(ctx, a.Name),
		RSAPublicPEM: pub, Published: a.Created,
	})
}

// packageFields are the profile fields of a package: its upstream and status, or that it is no longer
// watched.
func (w *Watcher) packageFields(ctx context.Context, pkg string) []federation.Field {
	ps, err := w.State(ctx, pkg, w.now())
	if err != nil {
		return []federation.Field{{Name: "Status", ValueHTML: "not watched"}}
	}
	fields := []federation.Field{
		{Name: "Upstream", ValueHTML: link(ps.Upstream.Actor)},
		{Name: "Status", ValueHTML: html.EscapeString(statusLine(ps))},
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

// statusLine is the verdict in a few words.
func statusLine(ps PackageState) string {
	switch ps.Verdict.Code {
	case notice.ExitNormal:
		return "normal"
	case notice.ExitScrutiny:
		return "scrutiny until " + ps.State.Scrutiny.Until.Format(notice.Date)
	case notice.ExitUnendorsed:
		return "unendorsed change of maintainers or keys"
	}
	return "maintainer away"
}

// Outbox lists a package's Announces of its upstream's mirrored notices, newest first: before is an
// offset into that list (0 for the newest), and the total is returned with the page.
func (w *Watcher) Outbox(ctx context.Context, pkg string, offset, limit int) ([]json.RawMessage, int, error) {
	wt, err := w.store.Watch(ctx, pkg)
	if err != nil {
		return nil, 0, err
	}
	mirrored, err := w.store.MirroredNotices(ctx, wt.Upstream)
	if err != nil {
		return nil, 0, err
	}
	slices.Reverse(mirrored)
	total := len(mirrored)
	mirrored = mirrored[min(offset, total):min(offset+limit, total)]
	items := make([]json.RawMessage, 0, len(mirrored))
	for _, m := range mirrored {
		doc, err := w.urls.AnnounceDocument(pkg, w.AnnounceID(pkg, m.ID), m.ID, m.Received)
		if err != nil {
			return nil, 0, err
		}
		items = append(items, doc)
	}
	return items, total, nil
}
