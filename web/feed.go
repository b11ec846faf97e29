package web

import (
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
	notices, err := s.store.ListNotices(r.Context(), a.Name, 0, pageSize, true)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	items, err := s.noticeItems(notices)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	updated := a.Created
	for _, it := range items {
		if it.Updated.After(updated) {
			updated = it.Updated // an endorsement or revocation changes the feed as much as a new notice
		}
	}
	f := atomFeed{
		ID:      s.urls.Feed(a.Name),
		Title:   a.ShownName() + " — notices",
		Updated: updated.UTC().Format(time.RFC3339),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: s.urls.Feed(a.Name)},
			{Rel: "alternate", Type: "text/html", Href: s.urls.Actor(a.Name)},
		},
		Author: atomAuthor{Name: a.ShownName(), URI: s.urls.Actor(a.Name)},
	}
	for _, it := range items {
		f.Entries = append(f.Entries, atomEntry{
			ID: it.URL, Title: it.KindTitle + " — " + a.ShownName(),
			Published: it.Published.UTC().Format(time.RFC3339), Updated: it.Updated.UTC().Format(time.RFC3339),
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: it.URL},
			Content: atomContent{Type: "html", Body: string(it.Content)},
		})
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
