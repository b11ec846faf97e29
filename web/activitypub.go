package web

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"

	vocab "github.com/go-ap/activitypub"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// webfinger answers acct: lookups for the project actors and the instance actor.
func (s *Server) webfinger(w http.ResponseWriter, r *http.Request) {
	resource := r.URL.Query().Get("resource")
	if resource == "" {
		writeError(w, http.StatusBadRequest, "missing resource parameter (acct:NAME@HOST)")
		return
	}
	name, host, err := federation.ParseAcct(resource)
	if err != nil {
		// An actor URL is a valid resource too.
		name = s.urls.LocalActorName(resource)
		host = strings.ToLower(s.urls.AcctHost())
		if name == "" && resource != s.urls.InstanceActor() {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if host != strings.ToLower(s.urls.AcctHost()) && host != strings.ToLower(s.urls.Host()) {
		writeError(w, http.StatusNotFound, "this instance is "+s.urls.AcctHost()+", not "+host)
		return
	}
	if name == "" || name == strings.ToLower(s.urls.Host()) {
		writeJSON(w, http.StatusOK, federation.JRDContentType, s.urls.WebFingerFor(s.urls.Host(), s.urls.InstanceActor()))
		return
	}
	if _, err := s.store.Actor(r.Context(), name); err != nil {
		s.storeError(w, err, "actor "+name)
		return
	}
	writeJSON(w, http.StatusOK, federation.JRDContentType, s.urls.WebFingerFor(name, s.urls.Actor(name)))
}

// hostMeta points older clients at WebFinger.
func (s *Server) hostMeta(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/xrd+xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="%s/.well-known/webfinger?resource={uri}"/>
</XRD>
`, html.EscapeString(s.urls.Base.String()))
}

func (s *Server) nodeinfoLinks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", s.urls.NodeInfoLinks())
}

func (s *Server) nodeinfo(w http.ResponseWriter, r *http.Request) {
	version := r.PathValue("version")
	if version != "2.0" && version != "2.1" {
		writeError(w, http.StatusNotFound, "NodeInfo schema "+version+" is not served; try 2.0 or 2.1")
		return
	}
	actors, err := s.store.ListActors(r.Context())
	if err != nil {
		s.storeError(w, err, "actors")
		return
	}
	posts, err := s.store.CountNotices(r.Context(), "", true)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	doc := federation.NodeInfoDocument(version, s.version, s.urls.Host(), len(actors), posts)
	writeJSON(w, http.StatusOK, "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/"+version+"#\"", doc)
}

// instanceActor serves the actor that signs this instance's fetches. It answers unsigned GETs, so that
// two servers that both demand signed fetches can still learn each other's keys. It lists the
// instance's stewards: instances that trust them address their calls for stewards to them.
func (s *Server) instanceActor(w http.ResponseWriter, r *http.Request) {
	stewards, err := s.store.RoleHolders(r.Context(), "")
	if err != nil {
		s.storeError(w, err, "stewards")
		return
	}
	refs := []federation.StewardRef{} // listed even when empty: this is a Baton instance with no stewards yet
	for _, st := range stewards {
		refs = append(refs, federation.StewardRef{ID: s.urls.Actor(st.Person), Since: st.Since.UTC()})
	}
	doc, err := s.urls.ActorDocument(federation.ActorProfile{
		Stewards:     refs,
		Username:     s.urls.Host(),
		Type:         vocab.ApplicationType,
		DisplayName:  s.urls.Host(),
		SummaryHTML:  "<p>The Baton instance at " + html.EscapeString(s.urls.Host()) + ". It signs this instance's requests.</p>",
		RSAPublicPEM: s.instanceRSAPublicPEM,
	})
	if err != nil {
		s.storeError(w, err, "instance actor")
		return
	}
	writeActivity(w, doc)
}

// instanceCollection serves the instance actor's (empty) outbox, followers, following and featured collections.
func (s *Server) instanceCollection(w http.ResponseWriter, r *http.Request) {
	var id string
	switch r.PathValue("collection") {
	case "outbox":
		id = s.urls.Outbox("")
	case "followers":
		id = s.urls.Followers("")
	case "following":
		id = s.urls.Following("")
	case "featured":
		doc, err := federation.FeaturedCollection(s.urls.Featured(""))
		s.writeDoc(w, doc, err)
		return
	case "featured_tags":
		doc, err := federation.FeaturedTagsCollection(s.urls.FeaturedTags(""), nil)
		s.writeDoc(w, doc, err)
		return
	default:
		writeError(w, http.StatusNotFound, "no such collection")
		return
	}
	doc, err := federation.OrderedCollection(id, 0, "")
	if err != nil {
		s.storeError(w, err, "collection")
		return
	}
	writeActivity(w, doc)
}

// actor serves an actor's document to servers and its page to people: a project's, or a person's.
func (s *Server) actor(w http.ResponseWriter, r *http.Request) {
	a, err := s.store.Actor(r.Context(), r.PathValue("name"))
	if err != nil {
		s.storeError(w, err, "actor "+r.PathValue("name"))
		return
	}
	switch a.Kind {
	case store.KindPerson:
		s.personActor(w, r, a)
		return
	case store.KindPackage:
		s.packageActor(w, r, a)
		return
	}
	if !federation.WantsActivityJSON(r) {
		s.projectPage(w, r, a)
		return
	}
	doc, err := s.outbox.ActorDocument(r.Context(), a)
	if err != nil {
		s.storeError(w, err, "actor document")
		return
	}
	writeActivity(w, doc)
}

// pageSize is how many items a collection page or feed holds.
const pageSize = 20

// outboxCollection serves a project's public notices, as the Create activities that delivered them,
// newest first, paged by ?before=ID.
func (s *Server) outboxCollection(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	a, err := s.store.Actor(r.Context(), name)
	if err != nil {
		s.storeError(w, err, "actor "+name)
		return
	}
	if a.Kind == store.KindPackage && s.upstreams != nil {
		s.packageOutbox(w, r, name)
		return
	}
	id := s.urls.Outbox(name)
	q := r.URL.Query()
	if q.Get("page") == "" {
		total, err := s.store.CountNotices(r.Context(), name, true)
		if err != nil {
			s.storeError(w, err, "notices")
			return
		}
		doc, err := federation.OrderedCollection(id, total, id+"?page=true")
		s.writeDoc(w, doc, err)
		return
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	notices, err := s.store.ListNotices(r.Context(), name, before, pageSize, true)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	items := make([]json.RawMessage, 0, len(notices))
	for _, n := range notices {
		create, err := s.urls.CreateDocument(n.ID, n.Actor, true, nil, n.Document, n.Published)
		if err != nil {
			s.storeError(w, err, "notice")
			return
		}
		items = append(items, create)
	}
	next := ""
	if len(notices) == pageSize {
		next = fmt.Sprintf("%s?page=true&before=%d", id, notices[len(notices)-1].ID)
	}
	pageID := id + "?" + r.URL.RawQuery
	doc, err := federation.OrderedCollectionPage(pageID, id, next, items)
	s.writeDoc(w, doc, err)
}

// followersCollection gives the number of followers, not who they are.
func (s *Server) followersCollection(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.store.Actor(r.Context(), name); err != nil {
		s.storeError(w, err, "actor "+name)
		return
	}
	n, err := s.store.CountFollowers(r.Context(), name)
	if err != nil {
		s.storeError(w, err, "followers")
		return
	}
	doc, err := federation.OrderedCollection(s.urls.Followers(name), n, "")
	s.writeDoc(w, doc, err)
}

// featuredCollection is empty: nothing is pinned.
func (s *Server) featuredCollection(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.store.Actor(r.Context(), name); err != nil {
		s.storeError(w, err, "actor "+name)
		return
	}
	doc, err := federation.FeaturedCollection(s.urls.Featured(name))
	s.writeDoc(w, doc, err)
}

// featuredTagsCollection lists a project's or package's own hashtag; a person features none.
func (s *Server) featuredTagsCollection(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	a, err := s.store.Actor(r.Context(), name)
	if err != nil {
		s.storeError(w, err, "actor "+name)
		return
	}
	var tags []federation.Tag
	if a.Kind != store.KindPerson {
		tag := notice.Hashtag(a.Name)
		tags = append(tags, federation.Tag{Name: tag, Href: s.urls.Tag(tag)})
	}
	doc, err := federation.FeaturedTagsCollection(s.urls.FeaturedTags(name), tags)
	s.writeDoc(w, doc, err)
}

// followingCollection is empty: project actors follow no one.
func (s *Server) followingCollection(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.store.Actor(r.Context(), name); err != nil {
		s.storeError(w, err, "actor "+name)
		return
	}
	doc, err := federation.OrderedCollection(s.urls.Following(name), 0, "")
	s.writeDoc(w, doc, err)
}

func (s *Server) writeDoc(w http.ResponseWriter, doc []byte, err error) {
	if err != nil {
		s.storeError(w, err, "document")
		return
	}
	writeActivity(w, doc)
}

// storedNotice loads the notice named by the {id} in the path; only public notices are served, and a
// call for stewards to a signed fetch by the instance of one it is addressed to (addressedFetch).
func (s *Server) storedNotice(w http.ResponseWriter, r *http.Request) (store.Notice, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "notice "+r.PathValue("id")+" not found")
		return store.Notice{}, false
	}
	n, err := s.store.Notice(r.Context(), id)
	if err == nil && !n.Public && !s.addressedFetch(r, n) {
		err = store.ErrNotFound
	}
	if err != nil {
		s.storeError(w, err, "notice "+r.PathValue("id"))
		return store.Notice{}, false
	}
	return n, true
}

// notice serves a notice: the signed Note, exactly as it was delivered, or its page.
func (s *Server) notice(w http.ResponseWriter, r *http.Request) {
	n, ok := s.storedNotice(w, r)
	if !ok {
		return
	}
	if !federation.WantsActivityJSON(r) && n.Public {
		s.noticePage(w, r, n)
		return
	}
	writeActivity(w, n.Document)
}

// noticeActivity serves the Create that delivered a notice.
func (s *Server) noticeActivity(w http.ResponseWriter, r *http.Request) {
	n, ok := s.storedNotice(w, r)
	if !ok {
		return
	}
	var to []string
	if !n.Public {
		to = federation.Addressees(n.Document) // a call served to an addressee's instance: as it was sent
	}
	doc, err := s.urls.CreateDocument(n.ID, n.Actor, n.Public, to, n.Document, n.Published)
	s.writeDoc(w, doc, err)
}
