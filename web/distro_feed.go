package web

import (
	"encoding/xml"
	"net/http"
	"slices"
	"time"

	"baton/notice"
	"baton/store"
)

// packageFeed serves a watched package's Atom feed at its feed URL: the upstream notices this
// instance mirrored, each as verified and judged here, and the distro's own notices about the
// package, newest first. An entry's updated moves when its notice changes (endorsed, revoked), and
// the feed's with it.
func (s *Server) packageFeed(w http.ResponseWriter, r *http.Request) {
	if !s.watching(w) {
		return
	}
	ctx := r.Context()
	a, err := s.store.Actor(ctx, r.PathValue("name"))
	if err == nil && a.Kind != store.KindPackage {
		err = store.ErrNotFound
	}
	if err != nil {
		s.storeError(w, err, "package "+r.PathValue("name"))
		return
	}
	ps, err := s.upstreams.State(ctx, a.Name, notice.View{At: s.now()})
	if err != nil {
		s.storeError(w, err, "package")
		return
	}
	mirrored, err := s.upstreamItems(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	own, err := s.store.ListNotices(ctx, a.Name, 0, pageSize, true)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	ownItems, err := s.noticeItems(own)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	type entry struct {
		at time.Time
		e  atomEntry
	}
	var entries []entry
	updated := a.Created
	for _, it := range mirrored {
		title := it.KindTitle + " — " + ps.Upstream.Name + " (upstream)"
		if it.Revoked {
			title += " — REVOKED"
		}
		entries = append(entries, entry{it.Published, atomEntry{ID: it.URL, Title: title,
			Published: it.Published.UTC().Format(time.RFC3339), Updated: it.Updated.UTC().Format(time.RFC3339),
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: it.URL},
			Content: atomContent{Type: "html", Body: it.contentHTML(ps.Upstream.Name)}}})
		updated = distroLater(updated, it.Updated)
	}
	for _, it := range ownItems {
		entries = append(entries, entry{it.Published, atomEntry{ID: it.URL, Title: it.KindTitle + " — " + a.ShownName(),
			Published: it.Published.UTC().Format(time.RFC3339), Updated: it.Updated.UTC().Format(time.RFC3339),
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: it.URL},
			Content: atomContent{Type: "html", Body: string(it.Content)}}})
		updated = distroLater(updated, it.Updated)
	}
	slices.SortStableFunc(entries, func(x, y entry) int { return y.at.Compare(x.at) })
	f := atomFeed{
		ID:      s.urls.Feed(a.Name),
		Title:   a.ShownName() + " — notices, and its upstream's as verified here",
		Updated: updated.UTC().Format(time.RFC3339),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: s.urls.Feed(a.Name)},
			{Rel: "alternate", Type: "text/html", Href: s.urls.Actor(a.Name)},
		},
		Author: atomAuthor{Name: a.ShownName(), URI: s.urls.Actor(a.Name)},
	}
	for _, e := range entries {
		f.Entries = append(f.Entries, e.e)
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		s.storeError(w, err, "feed")
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	w.Write(out)
}

func distroLater(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
