package federation

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// How long a person's name is kept, and how soon one that could not be fetched is tried again.
const (
	nameTTL   = 24 * time.Hour
	nameRetry = 10 * time.Minute
	// nameWait bounds how long a name is waited for: a page or a post names the person by their
	// handle rather than wait longer.
	nameWait = 5 * time.Second
	// maxNames and maxNameRunes bound what other instances can make this one keep: the names come
	// from actors their notices point at.
	maxNames     = 10000
	maxNameRunes = 100
)

// Names are the names people read for people on other instances, by actor id: the name their actor
// gives, else their handle (name@host). Actors are fetched at their origin through the resolver, as
// verification fetches them, and names kept a day; while one cannot be fetched, the handle its id
// suggests stands in. A Names is safe for concurrent use; one serves a whole instance.
type Names struct {
	resolver *Resolver
	now      func() time.Time
	m        sync.Map // actor id -> cachedName
	n        atomic.Int64
}

// NewNames makes a cache of remote people's names that fetches through r; now is the clock (nil:
// time.Now).
func NewNames(r *Resolver, now func() time.Time) *Names {
	if now == nil {
		now = time.Now
	}
	return &Names{resolver: r, now: now}
}

type cachedName struct {
	name  string
	until time.Time
}

// Of is the name people read for the person whose actor id is id (see Names). A nil Names, or one
// without a resolver, gives the handle.
func (c *Names) Of(ctx context.Context, id string) string {
	if c == nil || c.resolver == nil {
		return HandleOf(id)
	}
	if v, ok := c.m.Load(id); ok && c.now().Before(v.(cachedName).until) {
		return v.(cachedName).name
	}
	name, until := HandleOf(id), c.now().Add(nameRetry)
	if u, err := url.Parse(id); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		fetchCtx, cancel := context.WithTimeout(ctx, nameWait)
		body, err := c.resolver.Fetch(fetchCtx, id)
		cancel()
		var doc struct {
			ID                string `json:"id"`
			Name              string `json:"name"`
			PreferredUsername string `json:"preferredUsername"`
		}
		if err == nil && json.Unmarshal(body, &doc) == nil && doc.ID == id {
			switch {
			case strings.TrimSpace(doc.Name) != "":
				name = clipName(strings.TrimSpace(doc.Name))
			case doc.PreferredUsername != "":
				name = clipName(doc.PreferredUsername) + "@" + u.Host
			}
			until = c.now().Add(nameTTL)
		}
	}
	if _, known := c.m.Swap(id, cachedName{name: name, until: until}); !known && c.n.Add(1) > maxNames {
		c.m.Clear() // a bound, not an eviction policy: names are fetched again as needed
		c.n.Store(0)
	}
	return name
}

// clipName shortens a name an actor gives to what a page shows.
func clipName(name string) string {
	if r := []rune(name); len(r) > maxNameRunes {
		return string(r[:maxNameRunes]) + "…"
	}
	return name
}

// HandleOf is the handle an actor id suggests: "https://host/users/jia" is jia@host.
func HandleOf(id string) string {
	u, err := url.Parse(id)
	if err != nil || u.Host == "" {
		return id
	}
	path := strings.TrimSuffix(u.Path, "/")
	last := path[strings.LastIndex(path, "/")+1:]
	if last == "" {
		return u.Host
	}
	return strings.TrimPrefix(last, "@") + "@" + u.Host
}
