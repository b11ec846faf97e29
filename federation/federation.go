// Package federation is Baton's wire: the ActivityStreams documents it sends (built with go-ap, with
// the terms go-ap drops added back here), content negotiation, WebFinger and NodeInfo documents, the
// HTTP client that signs what it sends and refuses private addresses, and the resolver that fetches and
// caches remote actors and keys. Its sub-packages sign requests (httpsign) and objects (proof).
//
// Everything that go-ap does not do, or does wrong, is handled in this package and nowhere else: see
// docs/federation.md for the dialect.
package federation

import (
	"mime"
	"net/http"
	"strings"
)

// Media types of ActivityPub documents.
const (
	ContentType   = "application/activity+json"
	LDContentType = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	// Accept is what Baton sends when it fetches an ActivityPub document.
	Accept = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	// JRDContentType is WebFinger's media type.
	JRDContentType = "application/jrd+json"
)

// JSON-LD contexts and well-known IRIs.
const (
	ActivityStreamsContext = "https://www.w3.org/ns/activitystreams"
	SecurityContext        = "https://w3id.org/security/v1"
	MultikeyContext        = "https://w3id.org/security/multikey/v1"
	DataIntegrityContext   = "https://w3id.org/security/data-integrity/v2"
	Public                 = "https://www.w3.org/ns/activitystreams#Public"
	// BatonNamespace is the namespace of Baton's own terms (docs/federation.md).
	BatonNamespace = "https://w3id.org/baton/ns#"
)

// WantsActivityJSON reports whether a GET asks for an ActivityPub document rather than a web page,
// as Mastodon (activity+json) and GoToSocial (ld+json with the ActivityStreams profile) ask.
func WantsActivityJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if IsActivityMediaType(part) {
			return true
		}
	}
	return false
}

// IsActivityMediaType reports whether a Content-Type or Accept entry names an ActivityPub document:
// application/activity+json, or application/ld+json (with or without the ActivityStreams profile).
func IsActivityMediaType(value string) bool {
	mt, _, err := mime.ParseMediaType(strings.TrimSpace(value))
	if err != nil {
		return false
	}
	return mt == "application/activity+json" || mt == "application/ld+json"
}
