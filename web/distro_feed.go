package web

import (
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
	own, err := s.ownItems(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	type entry struct {
		at time.Time
		e  atomEntry
	}
	var entries []entry
	for _, it := range mirrored {
		title := it.KindTitle + " — " + ps.Upstream.Name + " (upstream)"
		if it.Revoked {
			title += " — REVOKED"
		}
		entries = append(entries, entry{it.Published, feedEntry(it.URL, title, it.Published, it.Updated, it.contentHTML(ps.Upstream.Name))})
	}
	for _, it := range own {
		entries = append(entries, entry{it.Published, feedEntry(it.URL, it.KindTitle+" — "+a.ShownName(), it.Published, it.Updated, string(it.Content))})
	}
	slices.SortStableFunc(entries, func(x, y entry) int { return y.at.Compare(x.at) })
	sorted := make([]atomEntry, len(entries))
	for i, e := range entries {
		sorted[i] = e.e
	}
	s.writeFeed(w, a, a.ShownName()+" — notices, and its upstream's as verified here", sorted)
}
