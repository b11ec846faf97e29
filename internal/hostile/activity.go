package hostile

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"strings"
)

// Actor is an account on a Peer, and the key it signs with.
type Actor struct {
	ID          string // PEER/users/NAME
	KeyID       string // ID#main-key, as Mastodon names keys
	Inbox       string // ID/inbox
	SharedInbox string // PEER/inbox
	Key         *rsa.PrivateKey
}

// document is the actor as its server publishes it.
func (a *Actor) document(name, publicKeyPEM string) map[string]any {
	return map[string]any{
		"@context":          []string{ASContext, "https://w3id.org/security/v1"},
		"id":                a.ID,
		"type":              "Person",
		"preferredUsername": name,
		"inbox":             a.Inbox,
		"endpoints":         map[string]string{"sharedInbox": a.SharedInbox},
		"publicKey":         map[string]string{"id": a.KeyID, "owner": a.ID, "publicKeyPem": publicKeyPEM},
	}
}

// NewID is a fresh id in the actor's own namespace.
func (a *Actor) NewID(kind string) string { return a.ID + "/" + kind + "/" + randomHex(8) }

// Activity is an activity by the actor: {"@context", "id", "type", "actor", "object"}.
func (a *Actor) Activity(typ, id string, object any) map[string]any {
	return map[string]any{"@context": ASContext, "id": id, "type": typ, "actor": a.ID, "object": object}
}

// Follow is a Follow of object (an actor id) with a fresh id of the actor's.
func (a *Actor) Follow(object string) map[string]any {
	return a.Activity("Follow", a.NewID("follows"), object)
}

// Body is doc as JSON.
func Body(doc map[string]any) []byte {
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}

// Padded is doc as JSON of exactly size bytes, filled out with a "padding" member: what a sender
// sends to make each activity cost the receiver as much as it accepts.
func Padded(doc map[string]any, size int) []byte {
	out := make(map[string]any, len(doc)+1)
	for k, v := range doc {
		out[k] = v
	}
	out["padding"] = ""
	n := size - len(Body(out))
	if n < 0 {
		panic(fmt.Sprintf("hostile: the document is %d bytes already, more than %d", size-n, size))
	}
	out["padding"] = strings.Repeat("a", n)
	return Body(out)
}

// LongURL is prefix followed by path segments, size bytes in all: an id or URL that is valid and
// absurd.
func LongURL(prefix string, size int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < size {
		b.WriteString("/")
		b.WriteString(strings.Repeat("x", min(63, size-b.Len())))
	}
	return b.String()[:max(size, len(prefix))]
}
