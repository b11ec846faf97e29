package web

import (
	"context"
	"embed"
	"html/template"
	"net/http"
	"strings"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/outbox"
	"baton/store"
)

//go:embed templates
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// page is what every page template gets.
type page struct {
	Title      string
	Host       string
	Alternates []alternate
}

type alternate struct{ Type, Href string }

// noticeItem is a notice as pages and feeds show it.
type noticeItem struct {
	ID        int64
	URL       string
	Actor     string
	KindTitle string
	Published time.Time
	Updated   time.Time // when it was last rendered again (endorsed, revoked); Published if never
	// Content is the HTML Baton rendered and signed when it published the notice: only escaped text,
	// links and the few tags Mastodon keeps.
	Content         template.HTML
	Proofs          []federation.ProofView
	StatementProofs []federation.ProofView
}

func (s *Server) noticeItem(n store.Notice) (noticeItem, error) {
	v, err := federation.ParseNote(n.Document)
	if err != nil {
		return noticeItem{}, err
	}
	updated := n.Published
	if v.Updated.After(updated) {
		updated = v.Updated
	}
	return noticeItem{ID: n.ID, URL: s.urls.Notice(n.ID), Actor: n.Actor, KindTitle: notice.Kind(n.Kind).Title(),
		Published: n.Published, Updated: updated, Content: template.HTML(v.ContentHTML), Proofs: v.Proofs, StatementProofs: v.StatementProofs}, nil
}

func (s *Server) noticeItems(notices []store.Notice) ([]noticeItem, error) {
	items := make([]noticeItem, 0, len(notices))
	for _, n := range notices {
		item, err := s.noticeItem(n)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return items, nil
}

func (s *Server) render(w http.ResponseWriter, name string, data any) {
	var buf strings.Builder
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	w.Write([]byte(buf.String()))
}

func (s *Server) page(title string) page {
	// The host as handles name it: with the port, when the base URL has one.
	return page{Title: title, Host: s.urls.AcctHost()}
}

type projectSummary struct {
	Name, DisplayName, URL, Status string
}

func (s *Server) projectSummaries(ctx context.Context) ([]projectSummary, error) {
	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]projectSummary, 0, len(actors))
	for _, a := range actors {
		if a.Kind != store.KindProject {
			continue
		}
		status, err := s.outbox.Status(ctx, a.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, projectSummary{Name: a.Name, DisplayName: a.ShownName(), URL: s.urls.Actor(a.Name), Status: status})
	}
	return out, nil
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	projects, err := s.projectSummaries(r.Context())
	if err != nil {
		s.storeError(w, err, "projects")
		return
	}
	packages, err := s.packageSummaries(r.Context())
	if err != nil {
		s.storeError(w, err, "packages")
		return
	}
	s.render(w, "home.html", struct {
		page
		Projects []projectSummary
		Packages []packageSummary
	}{s.page("Projects on " + s.urls.Host()), projects, packages})
}

func (s *Server) projectPage(w http.ResponseWriter, r *http.Request, a store.Actor) {
	ctx := r.Context()
	items, err := s.ownItems(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	followers, err := s.store.CountFollowers(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "followers")
		return
	}
	st, err := s.outbox.Standing(ctx, a.Name)
	if err != nil {
		s.storeError(w, err, "state")
		return
	}
	timeline, err := s.timeline(r, a)
	if err != nil {
		s.storeError(w, err, "timeline")
		return
	}
	p := s.page(a.ShownName() + " — Baton notices")
	p.Alternates = []alternate{{"application/atom+xml", s.urls.Feed(a.Name)}, {federation.ContentType, s.urls.Actor(a.Name)}}
	a.DisplayName = a.ShownName()
	s.render(w, "project.html", struct {
		page
		Project     store.Actor
		Standing    outbox.Standing
		Followers   int
		FeedURL     string
		Reasons     []template.HTML
		Timeline    template.HTML
		TimelineURL string
		Notices     []noticeItem
	}{p, a, st, followers, s.urls.Feed(a.Name), s.linkedReasons(ctx, st.Verdict.Reasons, "", st.State), timeline, s.urls.Actor(a.Name) + "/timeline.svg", items})
}

func (s *Server) noticePage(w http.ResponseWriter, r *http.Request, n store.Notice) {
	item, err := s.noticeItem(n)
	if err != nil {
		s.storeError(w, err, "notice")
		return
	}
	a, err := s.store.Actor(r.Context(), n.Actor)
	if err != nil {
		s.storeError(w, err, "actor")
		return
	}
	p := s.page(item.KindTitle + " — " + a.ShownName())
	p.Alternates = []alternate{{federation.ContentType, item.URL}}
	admin := s.isAdmin(r)
	s.render(w, "notice.html", struct {
		page
		Notice      noticeItem
		ProjectName string
		ProjectURL  string
		Proofs      []federation.ProofView
		Delivery    *DeliveryView // for the admin only
		ReliefCase  *CaseView     // for the admin and the case's participants only
		Answers     *callAnswers  // for a call for stewards
	}{p, item, a.ShownName(), s.urls.Actor(a.Name), item.Proofs, s.pageDelivery(w, r, n, admin), s.noticeCase(w, r, n, admin), s.answersOf(r.Context(), n)})
}

// tag lists the recent public notices carrying a hashtag: a project's, or a kind's.
func (s *Server) tag(w http.ResponseWriter, r *http.Request) {
	tag := strings.ToLower(r.PathValue("tag"))
	var notices []store.Notice
	actors, err := s.store.ListActors(r.Context())
	if err != nil {
		s.storeError(w, err, "projects")
		return
	}
	for _, a := range actors {
		all, err := s.store.ListNotices(r.Context(), a.Name, 0, pageSize, true)
		if err != nil {
			s.storeError(w, err, "notices")
			return
		}
		for _, n := range all {
			if strings.ToLower(notice.Hashtag(a.Name)) == tag || strings.ToLower(notice.Kind(n.Kind).Hashtag()) == tag {
				notices = append(notices, n)
			}
		}
	}
	items, err := s.noticeItems(notices)
	if err != nil {
		s.storeError(w, err, "notices")
		return
	}
	s.render(w, "tag.html", struct {
		page
		Tag     string
		Notices []noticeItem
	}{s.page("#" + tag), tag, items})
}

func (s *Server) style(w http.ResponseWriter, r *http.Request) {
	css, _ := templateFS.ReadFile("templates/style.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(css)
}
