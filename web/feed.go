package web

import (
	"context"
	"encoding/xml"
	"net/http"
	"time"

	"baton/store"
)

// Atom (RFC 4287), written with encoding/xml: the few elements a feed reader needs.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
	URI  string `xml:"uri"`
}

type atomEntry struct {
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Published string      `xml:"published"`
	Updated   string      `xml:"updated"`
	Link      atomLink    `xml:"link"`
	Content   atomContent `xml:"content"`
}

type atomContent struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// feed serves a project's public notices as Atom, newest first.
func (s *Server) feed(w http.ResponseWriter, r *http.Request) {
	a, err := s.store.Actor(r.Context(), r.PathValue("name"))
	if err != nil {
		s.storeError(w, err, "project "+r.PathValue("name"))
		return
	}
	if a.Kind == store.KindPackage && s.upstreams != nil {
		s.packageFeed(w, r) // the upstream's notices it verified, beside the distro's own
		return
	}
	items, err := s.ownItems(r.Context(), a.Name)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	entries := make([]atomEntry, 0, len(items))
	for _, it := range items {
		entries = append(entries, feedEntry(it.URL, it.KindTitle+" — "+a.ShownName(), it.Published, it.Updated, string(it.Content)))
	}
	s.writeFeed(w, a, a.ShownName()+" — notices", entries)
}

// ownItems are an actor's own public notices as pages and feeds show them, newest first.
func (s *Server) ownItems(ctx context.Context, actor string) ([]noticeItem, error) {
	notices, err := s.store.ListNotices(ctx, actor, 0, pageSize, true)
	if err != nil {
		return nil, err
	}
	return s.noticeItems(notices)
}

// feedEntry is one notice in a feed.
func feedEntry(url, title string, published, updated time.Time, contentHTML string) atomEntry {
	return atomEntry{ID: url, Title: title,
		Published: published.UTC().Format(time.RFC3339), Updated: updated.UTC().Format(time.RFC3339),
		Link:    atomLink{Rel: "alternate", Type: "text/html", Href: url},
		Content: atomContent{Type: "html", Body: contentHTML}}
}

// writeFeed writes an actor's feed. The feed is as new as its newest entry: an endorsement or a
// revocation changes it as much as a new notice.
func (s *Server) writeFeed(w http.ResponseWriter, a store.Actor, title string, entries []atomEntry) {
	updated := a.Created.UTC().Format(time.RFC3339)
	for _, e := range entries {
		updated = max(updated, e.Updated) // RFC 3339 in UTC sorts as text
	}
	f := atomFeed{
		ID:      s.urls.Feed(a.Name),
		Title:   title,
		Updated: updated,
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: s.urls.Feed(a.Name)},
			{Rel: "alternate", Type: "text/html", Href: s.urls.Actor(a.Name)},
		},
		Author:  atomAuthor{Name: a.ShownName(), URI: s.urls.Actor(a.Name)},
		Entries: entries,
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
