package web

import (
	"context"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/store"
	"baton/upstream"
)

// WatchView is a watched package as the API shows it.
type WatchView struct {
	Package        string `json:"package"`
	Actor          string `json:"actor"`  // the package's actor, which packagers follow
	Handle         string `json:"handle"` // its acct address
	Upstream       string `json:"upstream"`
	UpstreamHandle string `json:"upstream_handle"`
	Purl           string `json:"purl,omitempty"`
	Following      string `json:"following"` // the instance's follow of the upstream: pending, accepted, rejected
	Notices        int    `json:"notices"`   // upstream notices mirrored
	Synced         string `json:"synced"`    // when the upstream's outbox was last read to the end
	// Added answers a POST: true when the watch is new, false when the package watched that upstream
	// already (the answer is then 200, not 201). Absent from lists.
	Added *bool `json:"added,omitempty"`
}

// watchRequest is the body of POST /api/v1/watches.
type watchRequest struct {
	Package  string `json:"package"`
	Upstream string `json:"upstream"` // a handle (name@host) or an actor URL
	Purl     string `json:"purl"`
}

// postWatch answers POST /api/v1/watches: watch an upstream for a package.
func (s *Server) postWatch(w http.ResponseWriter, r *http.Request) {
	if !s.watching(w) {
		return
	}
	var req watchRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Package == "" || req.Upstream == "" {
		writeError(w, http.StatusBadRequest, "package and upstream are required")
		return
	}
	wt, added, err := s.upstreams.Watch(r.Context(), req.Package, strings.TrimSpace(req.Upstream), req.Purl)
	if err != nil {
		s.storeError(w, err, "watch "+req.Package)
		return
	}
	view, err := s.watchView(r.Context(), wt, map[string]int{})
	if err != nil {
		s.storeError(w, err, "watch")
		return
	}
	view.Added = &added
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	writeJSON(w, status, "application/json", view)
}

// listWatches answers GET /api/v1/watches.
func (s *Server) listWatches(w http.ResponseWriter, r *http.Request) {
	watches, err := s.store.ListWatches(r.Context())
	if err != nil {
		s.storeError(w, err, "watches")
		return
	}
	counts := map[string]int{} // one count per upstream, however many packages come from it
	views := make([]WatchView, 0, len(watches))
	for _, wt := range watches {
		v, err := s.watchView(r.Context(), wt, counts)
		if err != nil {
			s.storeError(w, err, "watch "+wt.Package)
			return
		}
		views = append(views, v)
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"watches": views})
}

// deleteWatch answers DELETE /api/v1/watches/{name}.
func (s *Server) deleteWatch(w http.ResponseWriter, r *http.Request) {
	if !s.watching(w) {
		return
	}
	if err := s.upstreams.Unwatch(r.Context(), r.PathValue("name")); err != nil {
		s.storeError(w, err, "unwatch")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) watchView(ctx context.Context, wt store.Watch, counts map[string]int) (WatchView, error) {
	up, err := s.store.Upstream(ctx, wt.Upstream)
	if err != nil {
		return WatchView{}, err
	}
	n, ok := counts[up.Actor]
	if !ok {
		mirrored, err := s.store.MirroredNotices(ctx, up.Actor)
		if err != nil {
			return WatchView{}, err
		}
		n = len(mirrored)
		counts[up.Actor] = n
	}
	v := WatchView{Package: wt.Package, Actor: s.urls.Actor(wt.Package), Handle: wt.Package + "@" + s.urls.AcctHost(),
		Upstream: up.Actor, UpstreamHandle: up.Name + "@" + hostOf(up.Actor), Purl: wt.Purl, Following: up.Follow, Notices: n}
	if !up.Synced.IsZero() {
		v.Synced = up.Synced.UTC().Format(time.RFC3339)
	}
	return v, nil
}

// PackageStateView is how a package's upstream stands, as this instance judges it: a StateView, with
// the package, its upstream and, when asked, what the instance knows of a release-signing key.
type PackageStateView struct {
	StateView
	Package  string `json:"package"`
	Upstream string `json:"upstream"`
}

// getPackageState answers GET /api/v1/packages/{name}/state[?at=DATE][&signer=FINGERPRINT], as
// getState answers for a local project.
func (s *Server) getPackageState(w http.ResponseWriter, r *http.Request) {
	if !s.watching(w) {
		return
	}
	q, ok := s.stateQuery(w, r)
	if !ok {
		return
	}
	ps, err := s.upstreams.State(r.Context(), r.PathValue("name"), q.view)
	if err != nil {
		s.storeError(w, err, "package")
		return
	}
	view := PackageStateView{
		StateView: StateView{Project: ps.Upstream.Name, At: q.view.At.Format(time.RFC3339), Hindsight: q.view.Hindsight, Code: ps.Verdict.Code,
			Reasons: append([]string{}, ps.Verdict.Reasons...), State: ps.State, Policy: s.ledger.Policy(), Notices: ps.Notices},
		Package: ps.Watch.Package, Upstream: ps.Upstream.Actor,
	}
	s.nameView(r.Context(), &view.StateView, ps.Upstream.Actor)
	view.answerSigner(ps.State, q.signer)
	writeJSON(w, http.StatusOK, "application/json", view)
}

// packageOutbox serves a package's Announces of its upstream's notices, newest first, paged by ?page=N.
func (s *Server) packageOutbox(w http.ResponseWriter, r *http.Request, name string) {
	id := s.urls.Outbox(name)
	q := r.URL.Query()
	n, _ := strconv.Atoi(q.Get("page"))
	items, total, err := s.upstreams.Outbox(r.Context(), name, max(n-1, 0)*pageSize, pageSize)
	if err != nil {
		s.storeError(w, err, "package outbox")
		return
	}
	if q.Get("page") == "" {
		first := ""
		if total > 0 {
			first = id + "?page=1"
		}
		doc, err := federation.OrderedCollection(id, total, first)
		s.writeDoc(w, doc, err)
		return
	}
	next := ""
	if max(n, 1)*pageSize < total {
		next = id + "?page=" + strconv.Itoa(max(n, 1)+1)
	}
	doc, err := federation.OrderedCollectionPage(id+"?"+r.URL.RawQuery, id, next, items)
	s.writeDoc(w, doc, err)
}

// watching answers 404 on an instance that watches no upstreams (no watcher configured).
func (s *Server) watching(w http.ResponseWriter) bool {
	if s.upstreams == nil {
		writeError(w, http.StatusNotFound, "this instance does not watch upstreams")
		return false
	}
	return true
}

func hostOf(rawURL string) string {
	_, rest, _ := strings.Cut(rawURL, "://")
	host, _, _ := strings.Cut(rest, "/")
	return host
}

// packageActor serves a package's actor document, or its page to a browser.
func (s *Server) packageActor(w http.ResponseWriter, r *http.Request, a store.Actor) {
	if s.upstreams == nil {
		writeError(w, http.StatusNotFound, "this instance does not watch upstreams")
		return
	}
	if !federation.WantsActivityJSON(r) {
		s.packagePage(w, r, a)
		return
	}
	doc, err := s.upstreams.ActorDocument(r.Context(), a)
	s.writeDoc(w, doc, err)
}

// packagePage shows how a package's upstream stands and the notices mirrored from it, newest first,
// as fully as its upstream shows them, judged by this instance's own policy.
func (s *Server) packagePage(w http.ResponseWriter, r *http.Request, a store.Actor) {
	ctx := r.Context()
	ps, err := s.upstreams.State(ctx, a.Name, notice.View{At: s.now()})
	if err != nil {
		s.storeError(w, err, "package")
		return
	}
	items, err := s.upstreamItems(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	followers, err := s.store.CountFollowers(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "followers")
		return
	}
	ownItems, err := s.ownItems(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	maintainers := make([]personLink, 0, len(ps.State.Maintainers))
	for _, m := range ps.State.Maintainers {
		maintainers = append(maintainers, personLink{Name: s.upstreams.PersonName(ctx, m.Person), URL: m.Person})
	}
	p := s.page(a.Name + " — Baton notices")
	p.Alternates = []alternate{{"application/atom+xml", s.urls.Feed(a.Name)}, {federation.ContentType, s.urls.Actor(a.Name)}}
	s.render(w, "package.html", struct {
		page
		Package     string
		State       upstream.PackageState
		Maintainers []personLink
		Reasons     []template.HTML
		Followers   int
		FeedURL     string
		Own         []noticeItem
		Notices     []upstreamItem
	}{p, a.Name, ps, maintainers, s.linkedReasons(ctx, ps.Verdict.Reasons, ps.Upstream.Actor, ps.State), followers, s.urls.Feed(a.Name), ownItems, items})
}
