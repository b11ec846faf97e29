package web

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"baton/federation"
	"baton/notice"
	"baton/outbox"
	"baton/store"
	"baton/store/sqlite"
	"baton/upstream"
)

// distroFixture is a distro instance, served over HTTP, watching xz (on up.example) for its package
// xz-utils, with a handover to Jia mirrored: signed by Lasse and Jia, not yet endorsed by stewards.
type distroFixture struct {
	t        *testing.T
	srv      *httptest.Server
	store    store.Store
	up       federation.URLs
	handover store.MirroredNotice
	clock    *clock
}

func newDistroFixture(t *testing.T) *distroFixture {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	urls, _ := federation.NewURLs(base)
	up, _ := federation.NewURLs("https://up.example")
	clk := &clock{now: time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ob := outbox.New(outbox.Options{Store: st, URLs: urls, Now: clk.Now, Log: log})
	w := upstream.New(upstream.Options{Store: st, URLs: urls, ActorKey: ob.ActorKey, Policy: notice.DefaultPolicy(), Now: clk.Now, Log: log})
	s := New(Options{Store: st, URLs: urls, Outbox: ob, Inbox: http.NotFoundHandler(), Gatherer: prometheus.NewRegistry(),
		Now: clk.Now, Log: log, Upstreams: w})
	mux := http.NewServeMux()
	mux.Handle("/", s.Handler())
	mux.HandleFunc("GET /test/packages/{name}/feed.atom", s.packageFeed)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := context.Background()
	since := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.CreateActor(ctx, store.Actor{Name: "xz-utils", Kind: store.KindPackage, DisplayName: "xz-utils", Ed25519Seed: make([]byte, 32), Created: since}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutUpstream(ctx, store.Upstream{Actor: up.Actor("xz"), Name: "xz", Inbox: up.Actor("xz") + "/inbox", Follow: store.FollowAccepted,
		Genesis:  notice.Genesis{Project: "xz", Since: since, Maintainers: []string{up.Actor("lasse")}},
		Stewards: []store.Steward{{ID: up.Actor("s1"), Since: since}, {ID: up.Actor("s2"), Since: since}}, Created: since}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddWatch(ctx, store.Watch{Package: "xz-utils", Upstream: up.Actor("xz"), Purl: "pkg:deb/debian/xz-utils", Created: since}); err != nil {
		t.Fatal(err)
	}
	f := &distroFixture{t: t, srv: srv, store: st, up: up, clock: clk}
	published := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	f.handover = f.mirror(1, notice.Notice{Kind: notice.Handover, Text: "Jia Tan joins as co-maintainer.", Author: up.Actor("lasse"),
		From: []string{up.Actor("lasse")}, To: []string{up.Actor("jia")}, Mode: notice.CoMaintainer,
		Scope: []notice.Right{notice.RightCommit, notice.RightReleaseSigning}}, published, "", "lasse", "jia")
	return f
}

// mirror keeps an upstream notice as the watcher does once it verified: its Note, the statement's
// proofs by signers. revokedBy marks the Note revoked, as its project renders it then.
func (f *distroFixture) mirror(id int64, n notice.Notice, published time.Time, revokedBy string, signers ...string) store.MirroredNotice {
	f.t.Helper()
	n.Project = "xz"
	stmt, err := federation.StatementDocument("urn:uuid:00000000-0000-4000-8000-00000000000"+string(rune('0'+id)), f.up.Actor("xz"), n)
	if err != nil {
		f.t.Fatal(err)
	}
	note, err := f.up.NoteDocument(federation.NoteFields{ID: id, Actor: "xz", ContentHTML: "<p><script>alert(1)</script></p>", Published: published,
		Public: true, Kind: string(n.Kind), Until: n.Until, Statement: stmt, RevokedBy: revokedBy})
	if err != nil {
		f.t.Fatal(err)
	}
	m := store.MirroredNotice{ID: f.up.Notice(id), Upstream: f.up.Actor("xz"), Kind: string(n.Kind), Document: note, Published: published, Received: published}
	for _, s := range signers {
		m.Proofs = append(m.Proofs, notice.Proof{Person: f.up.Actor(s), Key: "k-" + s, Created: published})
	}
	if _, _, err := f.store.MirrorNotice(context.Background(), m, nil); err != nil {
		f.t.Fatal(err)
	}
	return m
}

func (f *distroFixture) get(path, accept string) (int, string) {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	req.Header.Set("Accept", accept)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func wantAll(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s does not show %q:\n%s", what, w, body)
		}
	}
}

// The package page shows an upstream notice as fully as its upstream does: kind, fields, signers by
// name, endorsement by this instance's policy, dates, and a revoked mark; never the upstream's HTML.
func TestPackagePageShowsWhatWasVerified(t *testing.T) {
	f := newDistroFixture(t)
	status, page := f.get("/users/xz-utils", "text/html")
	if status != http.StatusOK {
		t.Fatalf("package page: %d\n%s", status, page)
	}
	wantAll(t, "the package page", page, "Handover", "Jia Tan joins as co-maintainer.", "co-maintainer", "commit", "release-signing",
		`<a href="https://up.example/users/jia" rel="nofollow noopener">jia@up.example</a>`, "Signed by", "lasse@up.example",
		"UNENDORSED", "independent steward endorsements", "2024-06-01", "/users/xz-utils/feed.atom")
	if strings.Contains(page, "<script>alert") {
		t.Errorf("the package page carries the upstream's HTML")
	}
	if strings.Contains(page, "REVOKED") {
		t.Errorf("the handover shows as revoked before any revocation")
	}

	// Two stewards endorse it; then Lasse revokes it.
	f.store.UpdateMirrored(context.Background(), f.handover.ID, f.handover.Document, append(f.handover.Proofs,
		notice.Proof{Person: f.up.Actor("s1"), Key: "k-s1", Created: time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC)},
		notice.Proof{Person: f.up.Actor("s2"), Key: "k-s2", Created: time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)}))
	_, page = f.get("/users/xz-utils", "text/html")
	wantAll(t, "the package page once endorsed", page, "Endorsed, by this instance's policy", "s1@up.example", "s2@up.example")
	f.mirror(2, notice.Notice{Kind: notice.Revocation, Text: "Withdrawn.", Author: f.up.Actor("lasse"), Revokes: []string{f.handover.ID},
		Reason: "Jia was never vetted."}, time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC), "", "lasse", "s1", "s2")
	_, page = f.get("/users/xz-utils", "text/html")
	wantAll(t, "the package page once revoked", page, "⚠ REVOKED", "Jia was never vetted.", "2024-06-10", f.up.Notice(2), "Revokes")
}

// The package's feed holds the mirrored upstream notices, and an entry's updated moves when its notice
// is endorsed or revoked.
func TestPackageFeedMovesWithChanges(t *testing.T) {
	f := newDistroFixture(t)
	type feed struct {
		Updated string `xml:"updated"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	read := func() feed {
		t.Helper()
		status, body := f.get("/test/packages/xz-utils/feed.atom", "application/atom+xml")
		var fd feed
		if err := xml.Unmarshal([]byte(body), &fd); status != http.StatusOK || err != nil {
			t.Fatalf("feed: %d, %v\n%s", status, err, body)
		}
		return fd
	}
	fd := read()
	if len(fd.Entries) != 1 || fd.Entries[0].ID != f.handover.ID || fd.Entries[0].Updated != "2024-06-01T10:00:00Z" || fd.Updated != "2024-06-01T10:00:00Z" {
		t.Fatalf("feed before any change: %+v", fd)
	}
	wantAll(t, "the handover's entry", fd.Entries[0].Content, "UNENDORSED", "jia@up.example")
	f.store.UpdateMirrored(context.Background(), f.handover.ID, f.handover.Document, append(f.handover.Proofs,
		notice.Proof{Person: f.up.Actor("s1"), Key: "k-s1", Created: time.Date(2024, 6, 2, 0, 0, 0, 0, time.UTC)},
		notice.Proof{Person: f.up.Actor("s2"), Key: "k-s2", Created: time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)}))
	if fd = read(); fd.Entries[0].Updated != "2024-06-03T00:00:00Z" || fd.Updated != "2024-06-03T00:00:00Z" {
		t.Fatalf("feed once endorsed: %+v", fd)
	}
	f.mirror(2, notice.Notice{Kind: notice.Revocation, Text: "Withdrawn.", Author: f.up.Actor("lasse"), Revokes: []string{f.handover.ID},
		Reason: "Jia was never vetted."}, time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC), "", "lasse", "s1", "s2")
	fd = read()
	if len(fd.Entries) != 2 || fd.Entries[1].ID != f.handover.ID || fd.Entries[1].Updated != "2024-06-10T00:00:00Z" ||
		!strings.Contains(fd.Entries[1].Title, "REVOKED") || fd.Updated != "2024-06-10T00:00:00Z" {
		t.Fatalf("feed once revoked: %+v", fd)
	}
	wantAll(t, "the revoked handover's entry", fd.Entries[1].Content, "REVOKED", "Jia was never vetted.")
	if status, _ := f.get("/test/packages/nonesuch/feed.atom", "application/atom+xml"); status != http.StatusNotFound {
		t.Errorf("feed of an unwatched package: %d, want 404", status)
	}
}

// The home page of a distro lists its watched packages and how each upstream stands.
func TestHomeListsWatchedPackages(t *testing.T) {
	f := newDistroFixture(t)
	status, page := f.get("/", "text/html")
	if status != http.StatusOK {
		t.Fatalf("home: %d", status)
	}
	wantAll(t, "the home page", page, "Packages watched", `href="`+base+`/users/xz-utils"`, "xz@up.example", "unendorsed or pending change of rights")
	if strings.Contains(page, "No projects yet") {
		t.Errorf("the home page of a distro says it has nothing:\n%s", page)
	}
}
