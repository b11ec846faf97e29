package inbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"baton/federation"
)

// MaxIDBytes is the longest id or URL an incoming activity may carry (its id, its actor, its
// object's ids) and the longest inbox a follower may name. Real ids are a few hundred bytes at most;
// each one is kept (seen ids for SeenFor, a follower's for as long as it follows), so a longer one is
// only a way to fill the disk.
const MaxIDBytes = 2048

// activity is the envelope of an incoming activity, read with encoding/json on the raw bytes: go-ap
// turns unknown types into nil and drops the Public addressing, and the inbox must see all of it.
type activity struct {
	Raw    json.RawMessage // the activity as it came: an Accept embeds the Follow verbatim
	ID     string
	Type   string
	Actor  string
	Object object
}

// object is an activity's object: an id, or an embedded object whose raw bytes are kept (an Accept
// embeds the Follow exactly as it came).
type object struct {
	Raw    json.RawMessage
	ID     string
	Type   string
	Actor  string // for an embedded activity (Undo{Follow})
	Object string // the embedded activity's object id
	// Read in the same pass, so that a Note that is neither a reply to a call nor a call is not read
	// again to learn it.
	InReplyTo  json.RawMessage
	NoticeKind json.RawMessage
}

// parseActivity reads an incoming activity and says what is missing.
func parseActivity(body []byte) (activity, error) {
	var doc struct {
		ID     string          `json:"id"`
		Type   json.RawMessage `json:"type"`
		Actor  json.RawMessage `json:"actor"`
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return activity{}, fmt.Errorf("body is not a JSON object: %w", err)
	}
	a := activity{Raw: body, ID: doc.ID, Type: federation.FirstType(doc.Type), Actor: federation.ReferenceID(doc.Actor)}
	switch {
	case a.ID == "":
		return activity{}, errors.New("activity has no id")
	case a.Type == "":
		return activity{}, errors.New("activity has no type")
	case a.Actor == "":
		return activity{}, errors.New("activity has no actor")
	}
	a.Object = parseObject(doc.Object)
	return a, nil
}

func parseObject(raw json.RawMessage) object {
	o := object{Raw: raw}
	if first := firstByte(raw); first == '"' {
		json.Unmarshal(raw, &o.ID)
		return o
	} else if first != '{' {
		return o
	}
	var doc struct {
		ID         string          `json:"id"`
		Type       json.RawMessage `json:"type"`
		Actor      json.RawMessage `json:"actor"`
		Object     json.RawMessage `json:"object"`
		InReplyTo  json.RawMessage `json:"inReplyTo"`
		NoticeKind json.RawMessage `json:"noticeKind"`
	}
	if json.Unmarshal(raw, &doc) == nil {
		o.ID, o.Type, o.Actor, o.Object = doc.ID, federation.FirstType(doc.Type), federation.ReferenceID(doc.Actor), federation.ReferenceID(doc.Object)
		o.InReplyTo, o.NoticeKind = doc.InReplyTo, doc.NoticeKind
	}
	return o
}

// firstByte is the first byte of a JSON value that is not white space; 0 when there is none.
func firstByte(raw []byte) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c
	}
	return 0
}

// checkActivity refuses an activity whose ids are too long to keep, or whose id is not on its
// actor's origin. Ids are remembered once handled: were any actor free to send any id, it could send
// another server's next id first (an upstream's next /notices/N/activity, Mastodon's ACTOR#delete),
// and the real activity would then be ignored as a repeat.
func checkActivity(a activity) (verdict, bool) {
	for _, f := range []struct{ name, value string }{
		{"id", a.ID}, {"actor", a.Actor}, {"object", a.Object.ID}, {"object.actor", a.Object.Actor}, {"object.object", a.Object.Object},
	} {
		if len(f.value) > MaxIDBytes {
			return rejected(http.StatusBadRequest, "too_long", "%s is longer than %d bytes", f.name, MaxIDBytes), false
		}
	}
	actorOrigin := origin(a.Actor)
	if actorOrigin == "" {
		return rejected(http.StatusBadRequest, "malformed", "actor %q is not an http(s) URL", a.Actor), false
	}
	if origin(a.ID) != actorOrigin {
		return rejected(http.StatusBadRequest, "foreign_id", "activity id %q is not on its actor's origin %s", a.ID, actorOrigin), false
	}
	return verdict{}, true
}

// origin is an http(s) URL's scheme, host and port, in lower case and without the scheme's default
// port; "" for anything else.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme + "://" + strings.ToLower(withoutDefaultPort(u.Host, scheme))
}

// hostOf is the host (and port) of an actor id, as rate limits count it.
func hostOf(actor string) string {
	_, host, _ := strings.Cut(origin(actor), "://")
	return host
}
