package federation

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestAcceptDocumentTrimsFollow: the Accept embeds the Follow's id, type, actor and object only,
// with an embedded actor or object given by its id, however much else the Follow carried.
func TestAcceptDocumentTrimsFollow(t *testing.T) {
	u, err := NewURLs("https://notices.example.org")
	if err != nil {
		t.Fatal(err)
	}
	follow := json.RawMessage(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://m.example/users/a#follows/1",` +
		`"type":"Follow","actor":{"id":"https://m.example/users/a","type":"Person"},"object":"https://notices.example.org/users/xz",` +
		`"padding":"` + strings.Repeat("a", 1<<20) + `"}`)
	doc, err := u.AcceptDocument("xz", "https://notices.example.org/users/xz#accepts/1", follow, "https://m.example/users/a")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc) > 1024 {
		t.Errorf("the Accept is %d bytes", len(doc))
	}
	var accept struct {
		Type, Actor string
		Object      map[string]any
	}
	if err := json.Unmarshal(doc, &accept); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": "https://m.example/users/a#follows/1", "type": "Follow",
		"actor": "https://m.example/users/a", "object": "https://notices.example.org/users/xz"}
	if accept.Type != "Accept" || accept.Actor != "https://notices.example.org/users/xz" || !reflect.DeepEqual(accept.Object, want) {
		t.Errorf("Accept %s by %s of %.200v, want of %v", accept.Type, accept.Actor, accept.Object, want)
	}
	for _, bad := range []string{`null`, `{}`, `{"type":"Follow"}`, `"https://m.example/f/1"`} {
		if _, err := u.AcceptDocument("xz", "https://notices.example.org/users/xz#accepts/2", json.RawMessage(bad), "https://m.example/users/a"); err == nil {
			t.Errorf("AcceptDocument(%s) made an Accept", bad)
		}
	}
}
