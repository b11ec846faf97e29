package upstream

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
	// maxNames and maxNameRunes bound what upstreams can make this instance keep: the names come from
	// actors an upstream's notices point at.
	maxNames     = 10000
	maxNameRunes = 100
)

// nameCache keeps the names of the people upstream notices concern, by actor id.
type nameCache struct {
	m sync.Map // actor id -> cachedName
	n atomic.Int64
}

type cachedName struct {
	name  string
	until time.Time
}

// PersonName is the name people read for a person of an upstream, by actor id: the name their actor
// gives, else their handle (name@host). Actors are fetched at their origin, as verification fetches
// them, and names kept a day; while one cannot be fetched, the handle its id suggests stands in.
func (w *Watcher) PersonName(ctx context.Context, id string) string {
	if c, ok := w.names.m.Load(id); ok && w.now().Before(c.(cachedName).until) {
		return c.(cachedName).name
	}
	if local := w.urls.LocalActorName(id); local != "" {
		if a, err := w.store.Actor(ctx, local); err == nil {
			return a.ShownName()
		}
	}
	name, until := handleOf(id), w.now().Add(nameRetry)
	if u, err := url.Parse(id); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && w.resolver != nil {
		fetchCtx, cancel := context.WithTimeout(ctx, nameWait)
		body, err := w.resolver.Fetch(fetchCtx, id)
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
			until = w.now().Add(nameTTL)
		}
	}
	if _, known := w.names.m.Swap(id, cachedName{name: name, until: until}); !known && w.names.n.Add(1) > maxNames {
		w.names.m.Clear() // a bound, not an eviction policy: names are fetched again as needed
		w.names.n.Store(0)
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

// handleOf is the handle an actor id suggests: "https://host/users/jia" is jia@host.
func handleOf(id string) string {
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
