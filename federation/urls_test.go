package federation

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const base = "https://notices.example.org"

func testURLs(t *testing.T) URLs {
	t.Helper()
	u, err := NewURLs(base)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestNewURLs(t *testing.T) {
	tests := []struct {
		in   string
		want string // Base.String(); "" when NewURLs must refuse
	}{
		{"https://notices.example.org", "https://notices.example.org"},
		{"https://notices.example.org/", "https://notices.example.org"},
		{"https://notices.example.org//", "https://notices.example.org"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
		{"https://notices.example.org/baton", ""},
		{"https://notices.example.org/baton/", ""},
		{"https://notices.example.org/?x=1", ""},
		{"https://notices.example.org?x=1", ""},
		{"ftp://notices.example.org", ""},
		{"ws://notices.example.org", ""},
		{"notices.example.org", ""},
		{"//notices.example.org", ""},
		{"https://", ""},
		{"", ""},
		{"https://notices.example.org:bad", ""},
		{"mailto:a@notices.example.org", ""},
	}
	for _, tt := range tests {
		u, err := NewURLs(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NewURLs(%q) = %v, want an error", tt.in, u.Base)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewURLs(%q): %v", tt.in, err)
			continue
		}
		if got := u.Base.String(); got != tt.want {
			t.Errorf("NewURLs(%q).Base = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewURLsRejectsFragmentsAndUserinfo(t *testing.T) {
	for _, in := range []string{"https://notices.example.org#x", "https://notices.example.org?", "https://user:pw@notices.example.org"} {
		if u, err := NewURLs(in); err == nil {
			t.Errorf("NewURLs(%q) = %v (Actor(xz) = %q), want an error", in, u.Base, u.Actor("xz"))
		}
	}
}

func TestURLsIDs(t *testing.T) {
	u := testURLs(t)
	tests := []struct{ got, want string }{
		{u.Home(), base + "/"},
		{u.InstanceActor(), base + "/actor"},
		{u.SharedInbox(), base + "/inbox"},
		{u.Actor("xz"), base + "/users/xz"},
		{u.MainKey("xz"), base + "/users/xz#main-key"},
		{u.MainKey(""), base + "/actor#main-key"},
		{u.ProofKey("xz"), base + "/users/xz#ed25519-key"},
		{u.Inbox("xz"), base + "/users/xz/inbox"},
		{u.Inbox(""), base + "/actor/inbox"},
		{u.Outbox("xz"), base + "/users/xz/outbox"},
		{u.Outbox(""), base + "/actor/outbox"},
		{u.Followers("xz"), base + "/users/xz/followers"},
		{u.Followers(""), base + "/actor/followers"},
		{u.Following("xz"), base + "/users/xz/following"},
		{u.Following(""), base + "/actor/following"},
		{u.Feed("xz"), base + "/users/xz/feed.atom"},
		{u.Notice(42), base + "/notices/42"},
		{u.NoticeActivity(42), base + "/notices/42/activity"},
		{u.Tag("MaintainerHiatus"), base + "/tags/maintainerhiatus"},
		{u.Tag("open_ssl"), base + "/tags/open_ssl"},
		{u.Host(), "notices.example.org"},
		{u.AcctHost(), "notices.example.org"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}

	withPort, err := NewURLs("http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	if got := withPort.Host(); got != "127.0.0.1" {
		t.Errorf("Host() = %q, want 127.0.0.1", got)
	}
	if got := withPort.AcctHost(); got != "127.0.0.1:8080" {
		t.Errorf("AcctHost() = %q, want 127.0.0.1:8080", got)
	}
	if got := withPort.Actor("xz"); got != "http://127.0.0.1:8080/users/xz" {
		t.Errorf("Actor(xz) = %q", got)
	}
}

func TestLocalActorName(t *testing.T) {
	u := testURLs(t)
	for _, name := range []string{"xz", "open-ssl", "lib_png", "7zip", strings.Repeat("a", 64)} {
		if got := u.LocalActorName(u.Actor(name)); got != name {
			t.Errorf("LocalActorName(Actor(%q)) = %q", name, got)
		}
	}
	tests := []struct {
		id   string
		want string
	}{
		{base + "/users/xz", "xz"},
		{base + "/users/x%2Dz", "x-z"},
		{base + "/users/", ""},
		{base + "/users", ""},
		{base + "/users/xz/", ""},
		{base + "/users/xz/outbox", ""},
		{base + "/users/xz/inbox", ""},
		{base + "/users/xz#main-key", ""},
		{base + "/users/xz?x=1", ""},
		{base + "/users/%zz", ""},
		{base + "/actor", ""},
		{base + "/notices/1", ""},
		{"https://other.example/users/xz", ""},
		{"http://notices.example.org/users/xz", ""},
		{"https://notices.example.org.evil.example/users/xz", ""},
		{"https://notices.example.org:8443/users/xz", ""},
		{"/users/xz", ""},
		{"xz", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := u.LocalActorName(tt.id); got != tt.want {
			t.Errorf("LocalActorName(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestWantsActivityJSON(t *testing.T) {
	tests := []struct {
		name   string
		accept string
		want   bool
	}{
		{"Mastodon", "application/activity+json, application/ld+json", true},
		{"Mastodon signed fetch", `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams", text/html;q=0.1`, true},
		{"GoToSocial", `application/ld+json; profile="https://www.w3.org/ns/activitystreams",application/activity+json`, true},
		{"GoToSocial ld only", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{"activity+json alone", "application/activity+json", true},
		{"ld+json alone", "application/ld+json", true},
		{"upper case", "Application/Activity+JSON", true},
		{"with q", "text/html;q=0.9, application/activity+json;q=0.8", true},
		{"Baton's own", Accept, true},
		{"Firefox", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
		{"Chrome", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7", false},
		{"curl", "*/*", false},
		{"none", "", false},
		{"plain json", "application/json", false},
		{"jrd", "application/jrd+json, application/json", false},
		{"garbage", ";;;", false},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest(http.MethodGet, base+"/users/xz", nil)
		if tt.accept != "" {
			r.Header.Set("Accept", tt.accept)
		}
		if got := WantsActivityJSON(r); got != tt.want {
			t.Errorf("%s: WantsActivityJSON(Accept: %q) = %v, want %v", tt.name, tt.accept, got, tt.want)
		}
	}
}

func TestIsActivityMediaType(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"application/activity+json", true},
		{" application/activity+json ", true},
		{"application/activity+json; charset=utf-8", true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{"application/ld+json", true},
		{ContentType, true},
		{LDContentType, true},
		{"application/json", false},
		{"text/html", false},
		{"application/jrd+json", false},
		{"application/activity+json+x", false},
		{"", false},
		{"application/", false},
	}
	for _, tt := range tests {
		if got := IsActivityMediaType(tt.in); got != tt.want {
			t.Errorf("IsActivityMediaType(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseAcct(t *testing.T) {
	tests := []struct {
		in         string
		name, host string
		ok         bool
	}{
		{"acct:xz@notices.example.org", "xz", "notices.example.org", true},
		{"acct:@xz@notices.example.org", "xz", "notices.example.org", true},
		{"acct:XZ@Notices.Example.ORG", "xz", "notices.example.org", true},
		{"acct:xz@127.0.0.1:8080", "xz", "127.0.0.1:8080", true},
		{"acct:notices.example.org@notices.example.org", "notices.example.org", "notices.example.org", true},
		{"xz@notices.example.org", "", "", false},
		{"@xz@notices.example.org", "", "", false},
		{"https://notices.example.org/users/xz", "", "", false},
		{"acct:xz", "", "", false},
		{"acct:xz@", "", "", false},
		{"acct:@notices.example.org", "", "", false},
		{"acct:", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		name, host, err := ParseAcct(tt.in)
		if tt.ok != (err == nil) || name != tt.name || host != tt.host {
			t.Errorf("ParseAcct(%q) = %q, %q, %v; want %q, %q, ok=%v", tt.in, name, host, err, tt.name, tt.host, tt.ok)
		}
		if err != nil && err.Error() != `resource "`+tt.in+`": want acct:NAME@HOST` {
			t.Errorf("ParseAcct(%q) error = %q", tt.in, err)
		}
	}
}

// The host of a handle is where its lookup goes: anything that a URL would read as something else
// (userinfo, a path, a query) is refused, with the host named.
func TestParseAcctHost(t *testing.T) {
	for _, host := range []string{"[::1]:8443", "[2001:db8::1]", "10.0.0.1", "a-b.example", "xn--bcher-kva.example", "h:65535", "_srv.example"} {
		if _, got, err := ParseAcct("acct:xz@" + host); err != nil || got != strings.ToLower(host) {
			t.Errorf("ParseAcct(acct:xz@%s) = %q, %v", host, got, err)
		}
	}
	for _, host := range []string{
		"evil.example@victim.example", "host/path", "host?q=1", "host#f", "host:0", "host:99999", "host:", "host:+1",
		"bücher.example", "[fe80::1%eth0]", "[0]", "[10.0.0.1]", "::1", "a..b", ".a", "a b", `host\x`, "[::1",
	} {
		_, _, err := ParseAcct("acct:xz@" + host)
		if err == nil {
			t.Errorf("ParseAcct(acct:xz@%s) accepted the host", host)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q is not a host", host)) {
			t.Errorf("ParseAcct(acct:xz@%s) error = %q, want it to name the host", host, err)
		}
	}
}

func TestWebFingerFor(t *testing.T) {
	u := testURLs(t)
	got := u.WebFingerFor("xz", u.Actor("xz"))
	want := WebFinger{
		Subject: "acct:xz@notices.example.org",
		Aliases: []string{base + "/users/xz"},
		Links: []WebFingerLink{
			{Rel: "self", Type: "application/activity+json", Href: base + "/users/xz"},
			{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: base + "/users/xz"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WebFingerFor = %+v\nwant %+v", got, want)
	}
	raw, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	const wantJSON = `{"subject":"acct:xz@notices.example.org","aliases":["https://notices.example.org/users/xz"],"links":[{"rel":"self","type":"application/activity+json","href":"https://notices.example.org/users/xz"},{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"https://notices.example.org/users/xz"}]}`
	if string(raw) != wantJSON {
		t.Errorf("JSON:\n got %s\nwant %s", raw, wantJSON)
	}

	withPort, _ := NewURLs("http://127.0.0.1:8080")
	if got := withPort.WebFingerFor("xz", withPort.Actor("xz")).Subject; got != "acct:xz@127.0.0.1:8080" {
		t.Errorf("subject with a port = %q", got)
	}
}

func TestNodeInfoDocument(t *testing.T) {
	for _, version := range []string{"2.0", "2.1"} {
		doc := NodeInfoDocument(version, "0.1.0", "notices.example.org", 3, 17)
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"version":           version,
			"software":          map[string]any{"name": "baton", "version": "0.1.0"},
			"protocols":         []any{"activitypub"},
			"services":          map[string]any{"inbound": []any{}, "outbound": []any{"atom1.0"}},
			"openRegistrations": false,
			"usage": map[string]any{
				"users":      map[string]any{"total": 3.0, "activeMonth": 3.0, "activeHalfyear": 3.0},
				"localPosts": 17.0,
			},
			"metadata": map[string]any{
				"nodeName":        "notices.example.org",
				"nodeDescription": "Signed notices about who looks after software projects.",
			},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("NodeInfo %s:\n got %v\nwant %v", version, got, want)
		}
	}
}

func TestNodeInfoLinks(t *testing.T) {
	u := testURLs(t)
	raw, err := json.Marshal(u.NodeInfoLinks())
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"links":[` +
		`{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.1","href":"https://notices.example.org/nodeinfo/2.1"},` +
		`{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"https://notices.example.org/nodeinfo/2.0"},` +
		`{"rel":"https://www.w3.org/ns/activitystreams#Application","href":"https://notices.example.org/actor"}]}`
	if string(raw) != want {
		t.Errorf("NodeInfoLinks:\n got %s\nwant %s", raw, want)
	}
}
