package inbox

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseActivity: no body from the network makes the parser or the checks after it panic; what the
// parser accepts has the fields the inbox relies on, and what the checks pass has short ids and an id
// on its actor's origin.
func FuzzParseActivity(f *testing.F) {
	f.Add([]byte(`{"id":"https://a.example/1","type":"Follow","actor":"https://a.example/u","object":"https://b.example/users/xz"}`))
	f.Add([]byte(`{"id":"x","type":["Undo"],"actor":{"id":"https://a.example/u"},"object":{"type":"Follow","actor":"https://a.example/u","object":{"id":"o"}}}`))
	f.Add([]byte(`{"id":1,"type":null,"actor":[],"object":[1,2]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"id":"HTTPS://A.example:443/1","type":"Delete","actor":"https://a.example/u","object":"https://a.example/u"}`))
	f.Add([]byte(`{"id":"https://b.example/u#delete","type":"Delete","actor":"https://a.example/u","object":"https://b.example/u"}`))
	f.Add([]byte(`{"id":"https://a.example:8443/1","type":"Like","actor":"https://a.example/u","object":"x"}`))
	f.Add([]byte(`{"id":"https://u@a.example/1","type":"Like","actor":"https://a.example/u"}`))
	f.Add([]byte(`{"id":"https://a.example/` + strings.Repeat("x", MaxIDBytes) + `","type":"Follow","actor":"https://a.example/u"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := parseActivity(body)
		if err != nil {
			return
		}
		if a.ID == "" || a.Type == "" || a.Actor == "" {
			t.Fatalf("accepted an activity without id, type or actor: %+v", a)
		}
		if !json.Valid(a.Raw) {
			t.Fatalf("accepted invalid JSON")
		}
		v, ok := checkActivity(a)
		if !ok {
			if v.status != 400 || v.reason == "" {
				t.Fatalf("refused with %d %q", v.status, v.reason)
			}
			return
		}
		for _, s := range []string{a.ID, a.Actor, a.Object.ID, a.Object.Actor, a.Object.Object} {
			if len(s) > MaxIDBytes {
				t.Fatalf("passed an id of %d bytes", len(s))
			}
		}
		if o := origin(a.ID); o == "" || o != origin(a.Actor) {
			t.Fatalf("passed id %q of actor %q", a.ID, a.Actor)
		}
	})
}

func TestOrigin(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://a.example/users/x", "https://a.example"},
		{"HTTPS://A.Example:443/users/x#main-key", "https://a.example"},
		{"http://a.example:80/x", "http://a.example"},
		{"http://a.example:443/x", "http://a.example:443"},
		{"https://a.example:8443/x", "https://a.example:8443"},
		{"http://127.0.0.1:8080/x", "http://127.0.0.1:8080"},
		{"https://[::1]:443/x", "https://[::1]"},
		{"https://user@a.example/x", ""},
		{"urn:uuid:1", ""},
		{"/users/x", ""},
		{"ftp://a.example/x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := origin(tt.url); got != tt.want {
			t.Errorf("origin(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestParseActivity(t *testing.T) {
	tests := []struct {
		name, body          string
		wantErr             bool
		wantType, wantActor string
		wantObject          object
	}{
		{name: "follow by id", body: `{"id":"i","type":"Follow","actor":"https://a/u","object":"https://b/users/xz"}`,
			wantType: "Follow", wantActor: "https://a/u", wantObject: object{ID: "https://b/users/xz"}},
		{name: "embedded actor and undo", body: `{"id":"i","type":"Undo","actor":{"id":"https://a/u"},"object":{"id":"f","type":"Follow","actor":"https://a/u","object":"https://b/users/xz"}}`,
			wantType: "Undo", wantActor: "https://a/u", wantObject: object{ID: "f", Type: "Follow", Actor: "https://a/u", Object: "https://b/users/xz"}},
		{name: "type array", body: `{"id":"i","type":["Delete","Extra"],"actor":"https://a/u","object":"https://a/u"}`,
			wantType: "Delete", wantActor: "https://a/u", wantObject: object{ID: "https://a/u"}},
		{name: "no id", body: `{"type":"Follow","actor":"a"}`, wantErr: true},
		{name: "no type", body: `{"id":"i","actor":"a"}`, wantErr: true},
		{name: "no actor", body: `{"id":"i","type":"Follow"}`, wantErr: true},
		{name: "not an object", body: `["Follow"]`, wantErr: true},
		{name: "not JSON", body: `Follow me`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := parseActivity([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			a.Object.Raw = nil
			if a.Type != tt.wantType || a.Actor != tt.wantActor || a.Object.ID != tt.wantObject.ID ||
				a.Object.Type != tt.wantObject.Type || a.Object.Actor != tt.wantObject.Actor || a.Object.Object != tt.wantObject.Object {
				t.Fatalf("got %+v", a)
			}
			if string(a.Raw) != tt.body {
				t.Fatalf("the raw activity is not kept as it came")
			}
		})
	}
}
