package web

import (
	"baton/notice"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"image/png"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"baton/federation"
	"baton/outbox"
	"baton/store"
	"baton/store/sqlite"
)

const (
	base       = "https://notices.example.org"
	adminToken = "s3cret-admin-token"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	t       *testing.T
	handler http.Handler
	store   *sqlite.Store
	clock   *clock
	inbox   *int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	urls, err := federation.NewURLs(base)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ob := outbox.New(outbox.Options{Store: st, URLs: urls, Now: clk.Now, Log: log})
	var inboxHits int
	var mu sync.Mutex
	inbox := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inboxHits++
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	srv := New(Options{
		Store: st, URLs: urls, Outbox: ob, Inbox: inbox, Gatherer: prometheus.NewRegistry(), Now: clk.Now, Log: log,
		Version: "0.1.0-test", AdminTokenHash: HashToken(adminToken), InstancePublicKeyPEM: "-----BEGIN PUBLIC KEY-----\nX\n-----END PUBLIC KEY-----\n",
	})
	return &fixture{t: t, handler: srv.Handler(), store: st, clock: clk, inbox: &inboxHits}
}

// do makes a request; headers are name, value pairs.
func (f *fixture) do(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	f.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, base+path, r)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, req)
	return w
}

func (f *fixture) admin(method, path, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.do(method, path, body, "Authorization", "Bearer "+adminToken, "Content-Type", "application/json")
}

func (f *fixture) createProject(body string) ProjectView {
	f.t.Helper()
	w := f.admin("POST", "/api/v1/projects", body)
	if w.Code != http.StatusCreated {
		f.t.Fatalf("create project %s: %d %s", body, w.Code, w.Body)
	}
	var v ProjectView
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *fixture) postNotice(project, body string) NoticeView {
	f.t.Helper()
	w := f.admin("POST", "/api/v1/projects/"+project+"/notices", body)
	if w.Code != http.StatusCreated {
		f.t.Fatalf("post notice %s: %d %s", body, w.Code, w.Body)
	}
	var v NoticeView
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		f.t.Fatal(err)
	}
	return v
}

func errorMessage(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
		t.Fatalf("error body %q is not {\"error\": ...}: %v", w.Body, err)
	}
	return e.Error
}

func decodeJSON(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, w.Body)
	}
	return m
}

const xzProject = `{"name":"xz","display_name":"XZ Utils","summary":"Data compression.","homepage":"https://tukaani.org/xz/","repository":"https://github.com/tukaani-project/xz"}`

func TestCreateProject(t *testing.T) {
	f := newFixture(t)
	got := f.createProject(xzProject)
	want := ProjectView{
		Name: "xz", Handle: "@xz@notices.example.org", Actor: base + "/users/xz", DisplayName: "XZ Utils",
		Summary: "Data compression.", Homepage: "https://tukaani.org/xz/", Repository: "https://github.com/tukaani-project/xz",
		Status: "no maintainer named yet", Followers: 0, Notices: 0, Created: "2024-06-15T12:00:00Z",
		RecordSince: "2024-06-15T12:00:00Z", SigningKeys: []notice.SigningKey{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("created %+v\nwant %+v", got, want)
	}
	a, err := f.store.Actor(context.Background(), "xz")
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != "project" || len(a.Ed25519Seed) != 32 || !strings.Contains(a.RSAKeyPEM, "PRIVATE KEY") {
		t.Errorf("stored actor: kind %q, seed %d bytes, key %.30q", a.Kind, len(a.Ed25519Seed), a.RSAKeyPEM)
	}

	tests := []struct {
		name     string
		headers  []string
		body     string
		status   int
		contains []string
	}{
		{"no token", []string{"Content-Type", "application/json"}, `{"name":"zlib"}`, 401, []string{"admin token"}},
		{"basic auth", []string{"Authorization", "Basic " + adminToken}, `{"name":"zlib"}`, 401, []string{"admin token"}},
		{"empty bearer", []string{"Authorization", "Bearer "}, `{"name":"zlib"}`, 401, []string{"admin token"}},
		{"wrong token", []string{"Authorization", "Bearer nope"}, `{"name":"zlib"}`, 403, []string{"not this instance's admin token"}},
		{"token with a suffix", []string{"Authorization", "Bearer " + adminToken + "x"}, `{"name":"zlib"}`, 403, nil},
		{"bad name", nil, `{"name":"XZ"}`, 422, []string{`name: name "XZ": use lower-case letters`}},
		{"name with a dot", nil, `{"name":"x.z"}`, 422, []string{`name "x.z"`}},
		{"empty name", nil, `{"name":""}`, 422, []string{"name: name is empty"}},
		{"long name", nil, `{"name":"` + strings.Repeat("a", 65) + `"}`, 422, []string{"longer than 64 characters"}},
		{"bad homepage", nil, `{"name":"zlib","homepage":"ftp://zlib.net"}`, 422, []string{`homepage: "ftp://zlib.net" is not an http(s) URL`}},
		{"bad repository", nil, `{"name":"zlib","repository":"github.com/madler/zlib"}`, 422, []string{`repository: "github.com/madler/zlib" is not an http(s) URL`}},
		{"long display name", nil, `{"name":"zlib","display_name":"` + strings.Repeat("z", 101) + `"}`, 422, []string{"display_name: at most 100 characters"}},
		{"long summary", nil, `{"name":"zlib","summary":"` + strings.Repeat("z", 501) + `"}`, 422, []string{"summary: at most 500 characters"}},
		{"several problems", nil, `{"name":"Z","homepage":"x"}`, 422, []string{`name "Z"`, `homepage: "x" is not`}},
		{"duplicate", nil, `{"name":"xz"}`, 409, []string{`project "xz" exists already`}},
		{"duplicate with spaces", nil, `{"name":"  xz "}`, 409, []string{`project "xz" exists already`}},
		{"unknown field", nil, `{"name":"zlib","displayname":"zlib"}`, 400, []string{"request body:", `unknown field "displayname"`}},
		{"not JSON", nil, `name=zlib`, 400, []string{"request body:"}},
		{"empty body", nil, ``, 400, []string{"request body:"}},
		{"wrong type", nil, `{"name":7}`, 400, []string{"request body:"}},
	}
	for _, tt := range tests {
		headers := tt.headers
		if headers == nil {
			headers = []string{"Authorization", "Bearer " + adminToken}
		}
		w := f.do("POST", "/api/v1/projects", tt.body, headers...)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.status, w.Body)
			continue
		}
		msg := errorMessage(t, w)
		for _, c := range tt.contains {
			if !strings.Contains(msg, c) {
				t.Errorf("%s: error %q does not mention %q", tt.name, msg, c)
			}
		}
	}
	// None of the refused requests made a project.
	list := f.do("GET", "/api/v1/projects", "")
	var views []ProjectView
	if err := json.Unmarshal(list.Body.Bytes(), &views); err != nil || len(views) != 1 || views[0].Name != "xz" {
		t.Errorf("projects after the refusals: %s (%v)", list.Body, err)
	}
}

// "display_name: at most 100 characters" should count characters, not bytes.
func TestCreateProjectDisplayNameCountsCharacters(t *testing.T) {
	f := newFixture(t)
	name := strings.Repeat("日", 40)
	w := f.admin("POST", "/api/v1/projects", `{"name":"cjk","display_name":"`+name+`"}`)
	if w.Code != http.StatusCreated {
		t.Errorf("40-character display name: %d %s", w.Code, w.Body)
	}
}

func TestWebFinger(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	tests := []struct {
		resource string
		status   int
		subject  string
		self     string
	}{
		{"acct:xz@notices.example.org", 200, "acct:xz@notices.example.org", base + "/users/xz"},
		{"acct:XZ@notices.example.org", 200, "acct:xz@notices.example.org", base + "/users/xz"},
		{"acct:Xz@Notices.Example.Org", 200, "acct:xz@notices.example.org", base + "/users/xz"},
		{"acct:@xz@notices.example.org", 200, "acct:xz@notices.example.org", base + "/users/xz"},
		{base + "/users/xz", 200, "acct:xz@notices.example.org", base + "/users/xz"},
		{"acct:notices.example.org@notices.example.org", 200, "acct:notices.example.org@notices.example.org", base + "/actor"},
		{base + "/actor", 200, "acct:notices.example.org@notices.example.org", base + "/actor"},
		{"acct:zlib@notices.example.org", 404, "", ""},
		{"acct:xz@other.example", 404, "", ""},
		{"acct:xz@notices.example.org.evil.example", 404, "", ""},
		{"acct:xz", 400, "", ""},
		{"xz@notices.example.org", 400, "", ""},
		{"https://other.example/users/xz", 400, "", ""},
	}
	for _, tt := range tests {
		w := f.do("GET", "/.well-known/webfinger?resource="+urlQueryEscape(tt.resource), "", "Accept", "application/jrd+json, application/json")
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.resource, w.Code, tt.status, w.Body)
			continue
		}
		if tt.status != 200 {
			errorMessage(t, w)
			continue
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/jrd+json" {
			t.Errorf("%s: Content-Type %q", tt.resource, ct)
		}
		var jrd federation.WebFinger
		if err := json.Unmarshal(w.Body.Bytes(), &jrd); err != nil {
			t.Fatal(err)
		}
		want := federation.WebFinger{
			Subject: tt.subject,
			Aliases: []string{tt.self},
			Links: []federation.WebFingerLink{
				{Rel: "self", Type: "application/activity+json", Href: tt.self},
				{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: tt.self},
			},
		}
		if !reflect.DeepEqual(jrd, want) {
			t.Errorf("%s: %+v\nwant %+v", tt.resource, jrd, want)
		}
	}
	// The self link is the actor document's id, byte for byte.
	w := f.do("GET", "/users/xz", "", "Accept", "application/activity+json")
	if id := decodeJSON(t, w)["id"]; id != base+"/users/xz" {
		t.Errorf("actor id %v differs from the WebFinger self link", id)
	}
	w = f.do("GET", "/.well-known/webfinger", "")
	if w.Code != 400 || !strings.Contains(errorMessage(t, w), "missing resource") {
		t.Errorf("no resource: %d %s", w.Code, w.Body)
	}
}

func urlQueryEscape(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", " ", "%20", "#", "%23", "?", "%3F").Replace(s)
}

func TestActorNegotiation(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	for _, accept := range []string{
		"application/activity+json",
		"application/activity+json, application/ld+json",
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams",application/activity+json`,
	} {
		w := f.do("GET", "/users/xz", "", "Accept", accept)
		if w.Code != 200 {
			t.Fatalf("Accept %q: %d %s", accept, w.Code, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/activity+json" {
			t.Errorf("Accept %q: Content-Type %q", accept, ct)
		}
		if v := w.Header().Get("Vary"); v != "Accept" {
			t.Errorf("Accept %q: Vary %q", accept, v)
		}
		m := decodeJSON(t, w)
		for k, want := range map[string]any{
			"id": base + "/users/xz", "type": "Service", "preferredUsername": "xz", "name": "XZ Utils",
			"inbox": base + "/users/xz/inbox", "outbox": base + "/users/xz/outbox", "followers": base + "/users/xz/followers",
			"manuallyApprovesFollowers": false, "discoverable": true,
			"summary": "<p>Data compression.</p><p>Signed notices about who looks after XZ Utils: hiatus, handovers, signing keys, scrutiny windows.</p>",
		} {
			if m[k] != want {
				t.Errorf("Accept %q: %s = %#v, want %#v", accept, k, m[k], want)
			}
		}
		pk, _ := m["publicKey"].(map[string]any)
		if pk["id"] != base+"/users/xz#main-key" || pk["owner"] != base+"/users/xz" || !strings.HasPrefix(pk["publicKeyPem"].(string), "-----BEGIN PUBLIC KEY-----") {
			t.Errorf("publicKey = %#v", pk)
		}
		wantFields := []any{
			map[string]any{"type": "PropertyValue", "name": "Status", "value": "no maintainer named yet"},
			map[string]any{"type": "PropertyValue", "name": "Homepage", "value": `<a href="https://tukaani.org/xz/" rel="me nofollow noopener noreferrer" target="_blank">https://tukaani.org/xz/</a>`},
			map[string]any{"type": "PropertyValue", "name": "Repository", "value": `<a href="https://github.com/tukaani-project/xz" rel="me nofollow noopener noreferrer" target="_blank">https://github.com/tukaani-project/xz</a>`},
		}
		if !reflect.DeepEqual(m["attachment"], wantFields) {
			t.Errorf("attachment = %#v", m["attachment"])
		}
	}
	for _, accept := range []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "", "*/*"} {
		w := f.do("GET", "/users/xz", "", "Accept", accept)
		if w.Code != 200 {
			t.Fatalf("Accept %q: %d", accept, w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Accept %q: Content-Type %q", accept, ct)
		}
		body := w.Body.String()
		for _, want := range []string{"<h1>XZ Utils</h1>", "@xz@notices.example.org", `<td class="status">no maintainer named yet</td>`, base + "/users/xz/feed.atom"} {
			if !strings.Contains(body, want) {
				t.Errorf("Accept %q: page lacks %q", accept, want)
			}
		}
	}
	if w := f.do("GET", "/users/zlib", "", "Accept", "application/activity+json"); w.Code != 404 {
		t.Errorf("unknown actor: %d", w.Code)
	}
	if w := f.do("GET", "/users/zlib", "", "Accept", "text/html"); w.Code != 404 {
		t.Errorf("unknown actor page: %d", w.Code)
	}
}

func TestInstanceActor(t *testing.T) {
	f := newFixture(t)
	w := f.do("GET", "/actor", "", "Accept", "application/activity+json")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/activity+json" {
		t.Fatalf("%d %q", w.Code, w.Header().Get("Content-Type"))
	}
	m := decodeJSON(t, w)
	for k, want := range map[string]any{"id": base + "/actor", "type": "Application", "preferredUsername": "notices.example.org", "inbox": base + "/actor/inbox"} {
		if m[k] != want {
			t.Errorf("%s = %#v, want %#v", k, m[k], want)
		}
	}
	if pk, _ := m["publicKey"].(map[string]any); pk["id"] != base+"/actor#main-key" || pk["publicKeyPem"] != "-----BEGIN PUBLIC KEY-----\nX\n-----END PUBLIC KEY-----\n" {
		t.Errorf("publicKey = %#v", m["publicKey"])
	}
	for _, c := range []string{"outbox", "followers", "following"} {
		w := f.do("GET", "/actor/"+c, "")
		if got := decodeJSON(t, w); got["totalItems"] != 0.0 || got["id"] != base+"/actor/"+c {
			t.Errorf("/actor/%s = %v", c, got)
		}
	}
	if w := f.do("GET", "/actor/likes", ""); w.Code != 404 {
		t.Errorf("/actor/likes: %d", w.Code)
	}
}

func TestPostNotice(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	ctx := context.Background()

	errs := []struct {
		name     string
		project  string
		body     string
		status   int
		contains []string
	}{
		{"unknown kind", "xz", `{"kind":"holiday","text":"x"}`, 422, []string{`unknown notice kind "holiday" (one of: relief-request, call-for-stewards, hiatus,`}},
		{"empty text", "xz", `{"kind":"hiatus","text":"  "}`, 422, []string{"text is empty"}},
		{"no text", "xz", `{"kind":"hiatus"}`, 422, []string{"text is empty"}},
		{"until before since", "xz", `{"kind":"hiatus","text":"x","since":"2024-07-01","until":"2024-06-01"}`, 422,
			[]string{"until (2024-06-01) must come after since (2024-07-01)"}},
		{"bad since", "xz", `{"kind":"hiatus","text":"x","since":"July"}`, 422, []string{`since: date "July": want YYYY-MM-DD or RFC 3339`}},
		{"bad until", "xz", `{"kind":"hiatus","text":"x","until":"2024-02-30"}`, 422, []string{`until: date "2024-02-30"`}},
		{"bad kind and dates", "xz", `{"kind":"x","text":"x","since":"a","until":"b"}`, 422, []string{`unknown notice kind "x"`, `since: date "a"`, `until: date "b"`}},
		{"text too long", "xz", `{"kind":"hiatus","text":"` + strings.Repeat("a", 5001) + `"}`, 422, []string{"text is 5001 characters long; at most 5000"}},
		{"relief request", "xz", `{"kind":"relief-request","text":"Help.","help":["review"]}`, 422, []string{"baton relief open"}},
		{"call for stewards alone, none", "xz", `{"kind":"call-for-stewards","scope":["commit"],"term":"6m","text":"Help.","role":"reviewer"}`, 422, []string{"this instance has none yet", "--public"}},
		{"signer change", "xz", `{"kind":"signer-change","text":"New key.","keys_added":[{"type":"openpgp","fingerprint":"22D465F2B4C173803B20C6DE59FCF207FEA7F445"}]}`, 422, []string{"signer-change: only a maintainer can sign this", "baton maintainer add"}},
		{"hiatus of someone", "xz", `{"kind":"hiatus","text":"Away.","from":["nobody"]}`, 422, []string{`from: "nobody" is not a person on this instance`}},
		{"until past", "xz", `{"kind":"hiatus","text":"Away.","until":"2024-06-01"}`, 400, []string{"--until 2024-06-01 is already past (today is 2024-06-15)", "--since"}},
		{"unknown project", "zlib", `{"kind":"hiatus","text":"Away."}`, 404, []string{`project "zlib" not found`}},
		{"unknown field", "xz", `{"kind":"hiatus","text":"x","until_date":"2024-07-01"}`, 400, []string{`unknown field "until_date"`}},
	}
	for _, tt := range errs {
		w := f.admin("POST", "/api/v1/projects/"+tt.project+"/notices", tt.body)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.status, w.Body)
			continue
		}
		msg := errorMessage(t, w)
		for _, c := range tt.contains {
			if !strings.Contains(msg, c) {
				t.Errorf("%s: error %q does not mention %q", tt.name, msg, c)
			}
		}
	}
	if w := f.do("POST", "/api/v1/projects/xz/notices", `{"kind":"hiatus","text":"x"}`); w.Code != 401 {
		t.Errorf("notice without a token: %d", w.Code)
	}
	if w := f.do("POST", "/api/v1/projects/xz/notices", `{"kind":"hiatus","text":"x"}`, "Authorization", "Bearer x"); w.Code != 403 {
		t.Errorf("notice with a wrong token: %d", w.Code)
	}
	if n, _ := f.store.CountNotices(ctx, "", false); n != 0 {
		t.Fatalf("%d notices stored by refused requests", n)
	}

	text := "Lasse is away until July.\n\nC:\\temp & <b>not bold</b> — ünïcødé"
	body, _ := json.Marshal(NoticeRequest{Kind: " Hiatus ", Text: text, Since: "2024-06-15", Until: "2024-07-01"})
	v := f.postNotice("xz", string(body))
	if v.ID <= 0 || v.URL != base+"/notices/"+strconv.FormatInt(v.ID, 10) || v.Project != "xz" || v.Kind != "hiatus" ||
		v.Published != "2024-06-15T12:00:00Z" || v.Queued != 0 {
		t.Errorf("notice view = %+v", v)
	}
	stored, err := f.store.Notice(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}

	// The Note, exactly as stored (and signed).
	for _, accept := range []string{"application/activity+json", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`} {
		w := f.do("GET", "/notices/"+strconv.FormatInt(v.ID, 10), "", "Accept", accept)
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/activity+json" {
			t.Fatalf("GET notice: %d %q", w.Code, w.Header().Get("Content-Type"))
		}
		if !bytes.Equal(w.Body.Bytes(), stored.Document) {
			t.Errorf("GET notice body differs from the stored document:\n got %s\nwant %s", w.Body, stored.Document)
		}
	}
	note := decodeJSON(t, f.do("GET", "/notices/"+strconv.FormatInt(v.ID, 10), "", "Accept", "application/activity+json"))
	for k, want := range map[string]any{
		"id": v.URL, "type": "Note", "attributedTo": base + "/users/xz", "noticeKind": "hiatus",
		"effectiveAt": "2024-06-15T00:00:00Z", "effectiveEnd": "2024-07-01T00:00:00Z", "published": "2024-06-15T12:00:00Z",
	} {
		if note[k] != want {
			t.Errorf("note %s = %#v, want %#v", k, note[k], want)
		}
	}
	content, _ := note["content"].(string)
	if !strings.Contains(content, "C:\\temp &amp; &lt;b&gt;not bold&lt;/b&gt; — ünïcødé") {
		t.Errorf("content = %q", content)
	}
	if _, ok := note["proof"].(map[string]any); !ok {
		t.Errorf("note has no proof: %v", note["proof"])
	}

	// The page.
	w := f.do("GET", "/notices/"+strconv.FormatInt(v.ID, 10), "", "Accept", "text/html")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("notice page: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	page := w.Body.String()
	for _, want := range []string{"<title>Hiatus — XZ Utils</title>", " · Hiatus · ", "C:\\temp &amp; &lt;b&gt;not bold&lt;/b&gt;", base + "/users/xz#ed25519-key"} {
		if !strings.Contains(page, want) {
			t.Errorf("notice page lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>not bold</b>") {
		t.Error("notice page shows the maintainer's text as HTML")
	}

	// The Create.
	w = f.do("GET", "/notices/"+strconv.FormatInt(v.ID, 10)+"/activity", "", "Accept", "application/activity+json")
	create := decodeJSON(t, w)
	if create["type"] != "Create" || create["id"] != v.URL+"/activity" || create["actor"] != base+"/users/xz" {
		t.Errorf("activity = %v", create)
	}
	if got := rawMember(t, w.Body.Bytes(), "object"); !bytes.Equal(got, stored.Document) {
		t.Errorf("Create object differs from the stored note:\n got %s\nwant %s", got, stored.Document)
	}

	// Unknown notices.
	for _, p := range []string{"/notices/999", "/notices/0", "/notices/-1", "/notices/abc", "/notices/999/activity"} {
		for _, accept := range []string{"application/activity+json", "text/html"} {
			if w := f.do("GET", p, "", "Accept", accept); w.Code != 404 {
				t.Errorf("GET %s (%s): %d", p, accept, w.Code)
			}
		}
	}

	// The project's status.
	w = f.do("GET", "/api/v1/projects/xz", "")
	var pv ProjectView
	if err := json.Unmarshal(w.Body.Bytes(), &pv); err != nil {
		t.Fatal(err)
	}
	if pv.Status != "no maintainer named yet; hiatus until 2024-07-01" || pv.Notices != 1 || pv.Followers != 0 {
		t.Errorf("project view = %+v", pv)
	}
	if w := f.do("GET", "/api/v1/projects/zlib", ""); w.Code != 404 {
		t.Errorf("unknown project: %d", w.Code)
	}
	if w := f.do("GET", "/users/xz", "", "Accept", "text/html"); !strings.Contains(w.Body.String(), `<td class="status">no maintainer named yet; hiatus until 2024-07-01</td>`) {
		t.Error("project page does not show the hiatus")
	}
	actor := decodeJSON(t, f.do("GET", "/users/xz", "", "Accept", "application/activity+json"))
	if fields, _ := actor["attachment"].([]any); len(fields) == 0 || fields[0].(map[string]any)["value"] != "no maintainer named yet; hiatus until 2024-07-01" {
		t.Errorf("actor status field = %v", actor["attachment"])
	}

	// A return ends it.
	f.postNotice("xz", `{"kind":"return","text":"Back."}`)
	if pv := f.projectView("xz"); pv.Status != "no maintainer named yet" || pv.Notices != 2 {
		t.Errorf("after the return: %+v", pv)
	}
}

func (f *fixture) projectView(name string) ProjectView {
	f.t.Helper()
	w := f.do("GET", "/api/v1/projects/"+name, "")
	var pv ProjectView
	if err := json.Unmarshal(w.Body.Bytes(), &pv); err != nil {
		f.t.Fatal(err)
	}
	return pv
}

func rawMember(t *testing.T, doc []byte, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}

func TestCollections(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	ctx := context.Background()

	outbox := decodeJSON(t, f.do("GET", "/users/xz/outbox", "", "Accept", "application/activity+json"))
	want := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollection",
		"id": base + "/users/xz/outbox", "totalItems": 0.0, "first": base + "/users/xz/outbox?page=true"}
	if !reflect.DeepEqual(outbox, want) {
		t.Errorf("empty outbox = %v", outbox)
	}

	v1 := f.postNotice("xz", `{"kind":"call-for-stewards","scope":["commit"],"term":"6m","text":"New maintainers.","role":"reviewer","public":true}`)
	v2 := f.postNotice("xz", `{"kind":"scrutiny","text":"Review with care.","until":"2024-07-01"}`)
	outbox = decodeJSON(t, f.do("GET", "/users/xz/outbox", "", "Accept", "application/activity+json"))
	if outbox["totalItems"] != 2.0 {
		t.Errorf("outbox totalItems = %v, want 2", outbox["totalItems"])
	}
	w := f.do("GET", "/users/xz/outbox?page=true", "", "Accept", "application/activity+json")
	if w.Header().Get("Content-Type") != "application/activity+json" {
		t.Errorf("page Content-Type %q", w.Header().Get("Content-Type"))
	}
	page := decodeJSON(t, w)
	if page["type"] != "OrderedCollectionPage" || page["partOf"] != base+"/users/xz/outbox" || page["id"] != base+"/users/xz/outbox?page=true" {
		t.Errorf("page = %v", page)
	}
	if _, ok := page["next"]; ok {
		t.Errorf("a page with 2 items has next: %v", page["next"])
	}
	var items []json.RawMessage
	if err := json.Unmarshal(rawMember(t, w.Body.Bytes(), "orderedItems"), &items); err != nil || len(items) != 2 {
		t.Fatalf("orderedItems: %d, %v", len(items), err)
	}
	for i, v := range []NoticeView{v2, v1} { // newest first
		var create map[string]any
		json.Unmarshal(items[i], &create)
		if create["type"] != "Create" || create["id"] != v.URL+"/activity" {
			t.Errorf("item %d = %v, want the Create of %s", i, create["id"], v.URL)
		}
		stored, _ := f.store.Notice(ctx, v.ID)
		if got := rawMember(t, items[i], "object"); !bytes.Equal(got, stored.Document) {
			t.Errorf("item %d embeds a note that differs from the stored one", i)
		}
		if to, _ := create["to"].([]any); len(to) != 1 || to[0] != "https://www.w3.org/ns/activitystreams#Public" {
			t.Errorf("item %d to = %v", i, create["to"])
		}
	}

	followers := decodeJSON(t, f.do("GET", "/users/xz/followers", "", "Accept", "application/activity+json"))
	if followers["totalItems"] != 0.0 || followers["type"] != "OrderedCollection" || followers["id"] != base+"/users/xz/followers" {
		t.Errorf("followers = %v", followers)
	}
	for i, actor := range []string{"https://mastodon.example/users/alice", "https://gts.example/users/bob"} {
		if err := f.store.AddFollower(ctx, store.Follower{Local: "xz", Actor: actor, Inbox: actor + "/inbox", FollowID: actor + "/follow/" + strconv.Itoa(i), Created: f.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	followers = decodeJSON(t, f.do("GET", "/users/xz/followers", "", "Accept", "application/activity+json"))
	if followers["totalItems"] != 2.0 {
		t.Errorf("followers totalItems = %v, want 2", followers["totalItems"])
	}
	if _, ok := followers["orderedItems"]; ok {
		t.Error("followers collection lists the followers")
	}
	if pv := f.projectView("xz"); pv.Followers != 2 {
		t.Errorf("project followers = %d", pv.Followers)
	}
	following := decodeJSON(t, f.do("GET", "/users/xz/following", "", "Accept", "application/activity+json"))
	if following["totalItems"] != 0.0 {
		t.Errorf("following = %v", following)
	}
	for _, p := range []string{"/users/zlib/outbox", "/users/zlib/followers", "/users/zlib/following", "/users/zlib/feed.atom"} {
		if w := f.do("GET", p, ""); w.Code != 404 {
			t.Errorf("GET %s: %d", p, w.Code)
		}
	}
	// A notice queued to the followers' inboxes.
	v3 := f.postNotice("xz", `{"kind":"call-for-stewards","scope":["commit"],"term":"6m","text":"New mailing list.","role":"list admin","public":true}`)
	if v3.Queued != 2 {
		t.Errorf("queued %d deliveries, want 2", v3.Queued)
	}
}

func TestOutboxPaging(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	var ids []int64
	for i := 0; i < pageSize+1; i++ {
		ids = append(ids, f.postNotice("xz", `{"kind":"call-for-stewards","scope":["commit"],"term":"6m","role":"reviewer","public":true,"text":"Notice `+strconv.Itoa(i)+`"}`).ID)
	}
	w := f.do("GET", "/users/xz/outbox?page=true", "", "Accept", "application/activity+json")
	page := decodeJSON(t, w)
	if items, _ := page["orderedItems"].([]any); len(items) != pageSize {
		t.Fatalf("first page has %d items, want %d", len(items), pageSize)
	}
	next, _ := page["next"].(string)
	wantNext := base + "/users/xz/outbox?page=true&before=" + strconv.FormatInt(ids[1], 10)
	if next != wantNext {
		t.Fatalf("next = %q, want %q", next, wantNext)
	}
	w = f.do("GET", strings.TrimPrefix(next, base), "", "Accept", "application/activity+json")
	page = decodeJSON(t, w)
	items, _ := page["orderedItems"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != base+"/notices/"+strconv.FormatInt(ids[0], 10)+"/activity" {
		t.Errorf("second page = %v", page["orderedItems"])
	}
	if _, ok := page["next"]; ok {
		t.Errorf("last page has next")
	}
}

type parsedFeed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Links   []struct {
		Rel  string `xml:"rel,attr"`
		Type string `xml:"type,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Author struct {
		Name string `xml:"name"`
		URI  string `xml:"uri"`
	} `xml:"author"`
	Entries []struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Published string `xml:"published"`
		Link      struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

func TestFeed(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	v := f.postNotice("xz", `{"kind":"hiatus","text":"Away & <gone>.","until":"2024-07-01"}`)
	w := f.do("GET", "/users/xz/feed.atom", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("feed: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	var feed parsedFeed
	if err := xml.Unmarshal(w.Body.Bytes(), &feed); err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, w.Body)
	}
	if feed.ID != base+"/users/xz/feed.atom" || feed.Title != "XZ Utils — notices" || feed.Updated != "2024-06-15T12:00:00Z" ||
		feed.Author.Name != "XZ Utils" || feed.Author.URI != base+"/users/xz" {
		t.Errorf("feed head = %+v", feed)
	}
	if len(feed.Links) != 2 || feed.Links[0].Rel != "self" || feed.Links[0].Href != base+"/users/xz/feed.atom" || feed.Links[1].Href != base+"/users/xz" {
		t.Errorf("feed links = %+v", feed.Links)
	}
	if len(feed.Entries) != 1 {
		t.Fatalf("%d entries, want 1", len(feed.Entries))
	}
	e := feed.Entries[0]
	if e.ID != v.URL || e.Link.Href != v.URL || e.Title != "Hiatus — XZ Utils" || e.Published != "2024-06-15T12:00:00Z" || e.Content.Type != "html" {
		t.Errorf("entry = %+v", e)
	}
	if !strings.Contains(e.Content.Body, "<p>Away &amp; &lt;gone&gt;.</p>") {
		t.Errorf("entry content = %q", e.Content.Body)
	}
}

func TestNodeInfo(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	f.createProject(`{"name":"zlib"}`)
	f.postNotice("xz", `{"kind":"call-for-stewards","scope":["commit"],"term":"6m","text":"x","role":"reviewer","public":true}`)
	f.postNotice("zlib", `{"kind":"call-for-stewards","scope":["commit"],"term":"6m","text":"y","role":"reviewer","public":true}`)
	f.postNotice("zlib", `{"kind":"hiatus","text":"z"}`)

	w := f.do("GET", "/.well-known/nodeinfo", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("/.well-known/nodeinfo: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	var links struct {
		Links []federation.WebFingerLink `json:"links"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &links); err != nil {
		t.Fatal(err)
	}
	wantLinks := []federation.WebFingerLink{
		{Rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", Href: base + "/nodeinfo/2.1"},
		{Rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", Href: base + "/nodeinfo/2.0"},
		{Rel: "https://www.w3.org/ns/activitystreams#Application", Href: base + "/actor"},
	}
	if !reflect.DeepEqual(links.Links, wantLinks) {
		t.Errorf("links = %+v", links.Links)
	}
	for _, version := range []string{"2.0", "2.1"} {
		w := f.do("GET", "/nodeinfo/"+version, "")
		if w.Code != 200 {
			t.Fatalf("/nodeinfo/%s: %d", version, w.Code)
		}
		if mt, _, err := mime.ParseMediaType(w.Header().Get("Content-Type")); err != nil || mt != "application/json" {
			t.Errorf("/nodeinfo/%s Content-Type %q", version, w.Header().Get("Content-Type"))
		}
		var doc federation.NodeInfo
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Version != version || doc.Software.Name != "baton" || doc.Software.Version != "0.1.0-test" ||
			!reflect.DeepEqual(doc.Protocols, []string{"activitypub"}) || doc.Usage.LocalPosts != 3 || doc.Usage.Users.Total != 2 ||
			doc.OpenRegistrations || doc.Metadata["nodeName"] != "notices.example.org" {
			t.Errorf("/nodeinfo/%s = %+v", version, doc)
		}
	}
	for _, v := range []string{"3.0", "1.0", "2", "x"} {
		if w := f.do("GET", "/nodeinfo/"+v, ""); w.Code != 404 {
			t.Errorf("/nodeinfo/%s: %d, want 404", v, w.Code)
		}
	}
}

func TestPagesEscapeDisplayName(t *testing.T) {
	f := newFixture(t)
	const evil = `<script>alert(1)</script>`
	const escaped = `&lt;script&gt;alert(1)&lt;/script&gt;`
	f.createProject(`{"name":"evil","display_name":"<script>alert(1)</script>","summary":"<img src=x onerror=alert(2)>"}`)
	v := f.postNotice("evil", `{"kind":"hiatus","text":"<script>alert(3)</script>"}`)

	pages := []string{"/", "/users/evil", "/notices/" + strconv.FormatInt(v.ID, 10), "/tags/evil", "/tags/maintainerhiatus"}
	for _, p := range pages {
		w := f.do("GET", p, "", "Accept", "text/html")
		if w.Code != 200 {
			t.Errorf("GET %s: %d", p, w.Code)
			continue
		}
		body := w.Body.String()
		for _, bad := range []string{"<script>", "<img src=x"} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s: page contains %q unescaped", p, bad)
			}
		}
		if !strings.Contains(body, escaped) {
			t.Errorf("GET %s: page lacks the escaped display name", p)
		}
	}
	// The actor's summary is HTML: it must carry the text escaped.
	actor := decodeJSON(t, f.do("GET", "/users/evil", "", "Accept", "application/activity+json"))
	if s, _ := actor["summary"].(string); strings.Contains(s, "<img") || strings.Contains(s, "<script>") || !strings.Contains(s, escaped) {
		t.Errorf("actor summary = %q", s)
	}
	if actor["name"] != evil { // name is plain text: kept as it is, receivers escape it
		t.Errorf("actor name = %q", actor["name"])
	}
	// The note's HTML content.
	note := decodeJSON(t, f.do("GET", "/notices/"+strconv.FormatInt(v.ID, 10), "", "Accept", "application/activity+json"))
	if c, _ := note["content"].(string); strings.Contains(c, "<script>") {
		t.Errorf("note content = %q", c)
	}
	// The feed: the HTML content must not carry a script once the XML is read.
	var feed parsedFeed
	if err := xml.Unmarshal(f.do("GET", "/users/evil/feed.atom", "").Body.Bytes(), &feed); err != nil {
		t.Fatal(err)
	}
	if feed.Title != evil+" — notices" {
		t.Errorf("feed title = %q", feed.Title)
	}
	if len(feed.Entries) != 1 || strings.Contains(feed.Entries[0].Content.Body, "<script>") {
		t.Errorf("feed entries = %+v", feed.Entries)
	}
}

func TestTagPage(t *testing.T) {
	f := newFixture(t)
	f.createProject(`{"name":"open-ssl","display_name":"OpenSSL"}`)
	f.createProject(xzProject)
	a := f.postNotice("open-ssl", `{"kind":"hiatus","text":"Away."}`)
	b := f.postNotice("xz", `{"kind":"call-for-stewards","scope":["commit"],"term":"6m","text":"New people.","role":"reviewer","public":true}`)
	tests := []struct {
		tag     string
		has     []int64
		hasNone []int64
	}{
		{"open_ssl", []int64{a.ID}, []int64{b.ID}},
		{"Open_SSL", []int64{a.ID}, []int64{b.ID}},
		{"xz", []int64{b.ID}, []int64{a.ID}},
		{"maintainerhiatus", []int64{a.ID}, []int64{b.ID}},
		{"CallForStewards", []int64{b.ID}, []int64{a.ID}},
		{"nothing", nil, []int64{a.ID, b.ID}},
	}
	for _, tt := range tests {
		body := f.do("GET", "/tags/"+tt.tag, "").Body.String()
		for _, id := range tt.has {
			if !strings.Contains(body, `href="`+base+"/notices/"+strconv.FormatInt(id, 10)+`"`) {
				t.Errorf("#%s lacks notice %d", tt.tag, id)
			}
		}
		for _, id := range tt.hasNone {
			if strings.Contains(body, `href="`+base+"/notices/"+strconv.FormatInt(id, 10)+`"`) {
				t.Errorf("#%s shows notice %d", tt.tag, id)
			}
		}
	}
}

func TestInboxRoutes(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/inbox", "/actor/inbox", "/users/xz/inbox"} {
		if w := f.do("POST", p, `{}`, "Content-Type", "application/activity+json"); w.Code != http.StatusAccepted {
			t.Errorf("POST %s: %d", p, w.Code)
		}
	}
	if *f.inbox != 3 {
		t.Errorf("inbox handler saw %d requests, want 3", *f.inbox)
	}
}

func TestMiscRoutes(t *testing.T) {
	f := newFixture(t)
	if w := f.do("GET", "/healthz", ""); w.Code != 200 || w.Body.String() != "ok\n" {
		t.Errorf("/healthz: %d %q", w.Code, w.Body)
	}
	w := f.do("GET", "/.well-known/host-meta", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `template="https://notices.example.org/.well-known/webfinger?resource={uri}"`) {
		t.Errorf("host-meta: %d %s", w.Code, w.Body)
	}
	if w := f.do("GET", "/static/style.css", ""); w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Errorf("style: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w := f.do("GET", "/metrics", ""); w.Code != 200 {
		t.Errorf("/metrics: %d", w.Code)
	}
	home := f.do("GET", "/", "")
	if home.Code != 200 || !strings.Contains(home.Body.String(), "No projects yet.") {
		t.Errorf("home: %d", home.Code)
	}
	if w := f.do("GET", "/nothing-here", ""); w.Code != 404 {
		t.Errorf("/nothing-here: %d", w.Code)
	}
}

// Guessing the admin token is slowed down: after ten wrong tokens from one address within a minute,
// every admin request from it waits, the right token included; other addresses are not affected, and
// the wait ends with the minute.
func TestAdminTokenGuessingIsLimited(t *testing.T) {
	f := newFixture(t)
	from := func(addr, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", base+"/api/v1/projects", strings.NewReader(`{"name":"zlib"}`))
		req.RemoteAddr = addr + ":40000"
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, req)
		return w
	}
	for i := range 10 {
		if w := from("198.51.100.7", "guess-"+strconv.Itoa(i)); w.Code != 403 {
			t.Fatalf("guess %d: %d, want 403", i, w.Code)
		}
	}
	w := from("198.51.100.7", adminToken)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after ten wrong tokens: %d (Retry-After %q), want 429 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if w := from("198.51.100.8", adminToken); w.Code == http.StatusTooManyRequests {
		t.Errorf("another address was held back too")
	}
	f.clock.Advance(adminWindow)
	if w := from("198.51.100.7", adminToken); w.Code == http.StatusTooManyRequests {
		t.Errorf("still held back after the window: %d", w.Code)
	}
}

// Mastodon and GoToSocial fetch every account's featured collection (and featured tags): each actor
// names both, and both answer, empty or with the project's hashtag.
func TestFeaturedCollections(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	w := f.do("GET", "/users/xz", "", "Accept", "application/activity+json")
	var actor struct {
		Featured     string `json:"featured"`
		FeaturedTags string `json:"featuredTags"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &actor); err != nil || actor.Featured != base+"/users/xz/featured" || actor.FeaturedTags != base+"/users/xz/featured_tags" {
		t.Fatalf("actor featured %q, featuredTags %q (%v)", actor.Featured, actor.FeaturedTags, err)
	}
	for _, tc := range []struct{ path, want string }{
		{"/users/xz/featured", `"orderedItems":[]`},
		{"/users/xz/featured_tags", `"name":"#xz"`},
		{"/actor/featured", `"totalItems":0`},
		{"/actor/featured_tags", `"items":[]`},
	} {
		w := f.do("GET", tc.path, "", "Accept", "application/activity+json")
		if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Type"), "activity+json") || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("GET %s: %d %s %s, want it to hold %s", tc.path, w.Code, w.Header().Get("Content-Type"), w.Body, tc.want)
		}
	}
	if w := f.do("GET", "/users/nobody/featured", "", "Accept", "application/activity+json"); w.Code != http.StatusNotFound {
		t.Errorf("an unknown actor's featured collection: %d", w.Code)
	}
}

// Every actor has a picture and a banner of its own, drawn from its name: real PNGs of the right size.
func TestActorPictures(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	w := f.do("GET", "/users/xz", "", "Accept", "application/activity+json")
	var actor struct {
		Icon, Image struct{ Type, MediaType, URL string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &actor); err != nil || actor.Icon.URL != base+"/users/xz/avatar.png" || actor.Image.MediaType != "image/png" {
		t.Fatalf("actor icon %+v, image %+v (%v)", actor.Icon, actor.Image, err)
	}
	for _, tc := range []struct {
		path          string
		width, height int
	}{{"/users/xz/avatar.png", 400, 400}, {"/users/xz/header.png", 1500, 500}} {
		w := f.do("GET", tc.path, "")
		img, err := png.Decode(w.Body)
		if w.Code != 200 || w.Header().Get("Content-Type") != "image/png" || err != nil {
			t.Fatalf("GET %s: %d %s %v", tc.path, w.Code, w.Header().Get("Content-Type"), err)
		}
		if b := img.Bounds(); b.Dx() != tc.width || b.Dy() != tc.height {
			t.Errorf("%s is %dx%d, want %dx%d", tc.path, b.Dx(), b.Dy(), tc.width, tc.height)
		}
		// The name is drawn: a good part of the picture differs from its background.
		drawn, bg := 0, img.At(0, 0)
		for y := 0; y < tc.height; y += 4 {
			for x := 0; x < tc.width; x += 4 {
				if img.At(x, y) != bg {
					drawn++
				}
			}
		}
		if share := float64(drawn) / float64(tc.width*tc.height/16); share < 0.02 {
			t.Errorf("%s looks blank: %.1f%% drawn", tc.path, 100*share)
		}
	}
	if got := initials("XZ Utils"); got != "XU" {
		t.Errorf("initials(XZ Utils) = %q", got)
	}
	if got := initials("lasse"); got != "L" {
		t.Errorf("initials(lasse) = %q", got)
	}
}

// The admin's notice for a project without maintainers cannot be dated before the project's record,
// and what the page says of such a project is what check says.
func TestAdminNoticeAndCheckAgree(t *testing.T) {
	f := newFixture(t)
	f.createProject(xzProject)
	w := f.admin("POST", "/api/v1/projects/xz/notices", `{"kind":"hiatus","text":"Away.","since":"2024-01-01"}`)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(errorMessage(t, w), "before the start of the project's record") {
		t.Errorf("an admin notice dated before the record: %d %s", w.Code, w.Body)
	}
	f.postNotice("xz", `{"kind":"scrutiny","text":"Review releases.","until":"2024-09-01"}`)
	v := f.stateQuery("")
	page := f.do("GET", "/users/xz", "", "Accept", "text/html").Body.String()
	if v.Code != notice.ExitScrutiny || !strings.Contains(page, "baton check exits 2") || !strings.Contains(page, "scrutiny until 2024-09-01") {
		t.Errorf("check exits %d %q; the page says:\n%s", v.Code, v.Reasons, page)
	}
}
