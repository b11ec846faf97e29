package federation

import (
	"crypto/ed25519"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"baton/federation/proof"
)

// URLs is the layout of an instance's ids and pages, from its public base URL. Every id Baton mints
// comes from here, so the layout is in one place (docs/federation.md lists it).
type URLs struct {
	Base *url.URL // scheme and host (with a port only in tests), no trailing slash
}

// NewURLs parses the public base URL.
func NewURLs(base string) (URLs, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return URLs{}, fmt.Errorf("base URL %q: %w", base, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
		return URLs{}, fmt.Errorf("base URL %q: want scheme://host[:port], with no path, query, fragment or user", base)
	}
	u.Path = ""
	return URLs{Base: u}, nil
}

func (u URLs) join(path string) string { return u.Base.String() + path }

// Host is the host that acct addresses carry: without a port, as Mastodon reads it. In tests with a
// port, AcctHost keeps it.
func (u URLs) Host() string { return u.Base.Hostname() }

// AcctHost is the host part of acct: addresses this instance answers WebFinger for, with the port
// when the base URL has one (a test setting: production runs on 443).
func (u URLs) AcctHost() string { return u.Base.Host }

// Home is the instance's front page.
func (u URLs) Home() string { return u.join("/") }

// InstanceActor is the instance's own actor, which signs fetches.
func (u URLs) InstanceActor() string { return u.join("/actor") }

// SharedInbox takes deliveries and follows for every local actor.
func (u URLs) SharedInbox() string { return u.join("/inbox") }

// Actor is a local actor's id (and its HTML page).
func (u URLs) Actor(name string) string { return u.join("/users/" + url.PathEscape(name)) }

// MainKey is the id of an actor's RSA key for HTTP signatures; an empty name is the instance actor.
func (u URLs) MainKey(name string) string { return u.actorOrInstance(name) + "#main-key" }

// ProofKey is the id of a project actor's Ed25519 key for object proofs.
func (u URLs) ProofKey(name string) string { return u.Actor(name) + "#ed25519-key" }

func (u URLs) actorOrInstance(name string) string {
	if name == "" {
		return u.InstanceActor()
	}
	return u.Actor(name)
}

// PersonKey is the id of one of a person's signing keys: the actor with the key's Multikey as
// fragment, so the id says which key it is.
func (u URLs) PersonKey(name string, key ed25519.PublicKey) string {
	return u.Actor(name) + "#" + proof.EncodeMultikey(key)
}

// Inbox is a local actor's own inbox.
func (u URLs) Inbox(name string) string { return u.actorOrInstance(name) + "/inbox" }

// Outbox is a local actor's outbox collection.
func (u URLs) Outbox(name string) string { return u.actorOrInstance(name) + "/outbox" }

// Followers is a local actor's followers collection.
func (u URLs) Followers(name string) string { return u.actorOrInstance(name) + "/followers" }

// Following is a local actor's following collection.
func (u URLs) Following(name string) string { return u.actorOrInstance(name) + "/following" }

// Avatar is a local actor's picture.
func (u URLs) Avatar(name string) string { return u.Actor(name) + "/avatar.png" }

// Header is a local actor's banner picture.
func (u URLs) Header(name string) string { return u.Actor(name) + "/header.png" }

// Featured is a local actor's featured (pinned) collection: empty, but there, since servers fetch it.
func (u URLs) Featured(name string) string { return u.actorOrInstance(name) + "/featured" }

// FeaturedTags is a local actor's featured hashtags.
func (u URLs) FeaturedTags(name string) string { return u.actorOrInstance(name) + "/featured_tags" }

// Feed is a project's Atom feed.
func (u URLs) Feed(name string) string { return u.Actor(name) + "/feed.atom" }

// Notice is a notice's id and page; it never changes and is never reused.
func (u URLs) Notice(id int64) string { return u.join(fmt.Sprintf("/notices/%d", id)) }

// LocalNoticeID is the number of a notice on this instance from its URL; 0 for any other URL.
func (u URLs) LocalNoticeID(notice string) int64 {
	rest, ok := strings.CutPrefix(notice, u.join("/notices/"))
	if !ok {
		return 0
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != rest {
		return 0
	}
	return id
}

// NoticeActivity is the id of the Create that published a notice.
func (u URLs) NoticeActivity(id int64) string { return u.Notice(id) + "/activity" }

// Tag is the page of a hashtag.
func (u URLs) Tag(name string) string {
	return u.join("/tags/" + url.PathEscape(strings.ToLower(name)))
}

// LocalActorName returns the name of the local actor id names, or "" when id is not one of this
// instance's actor ids.
func (u URLs) LocalActorName(id string) string {
	rest, ok := strings.CutPrefix(id, u.join("/users/"))
	if !ok || rest == "" || strings.ContainsAny(rest, "/#?") {
		return ""
	}
	name, err := url.PathUnescape(rest)
	if err != nil {
		return ""
	}
	return name
}
