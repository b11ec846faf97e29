package proof

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// object is a JSON object held as raw member values. Documents are never
// decoded into Go structs, so members this package knows nothing about travel
// through Sign unchanged and are hashed exactly as the sender wrote them.
type object map[string]json.RawMessage

// parseDocument returns the members of data, which must be one JSON object
// within I-JSON (RFC 7493), the subset JCS can canonicalise.
func parseDocument(data []byte) (object, error) {
	// jcs.Transform is the strictest parser at hand: it rejects duplicate
	// member names (at any depth), invalid UTF-8, lone surrogates and numbers
	// a float64 cannot hold. Running it over the whole input first means
	// encoding/json, which silently keeps the last of two duplicate names,
	// never sees input on which two parsers could disagree about what was
	// signed.
	if _, err := jcs.Transform(data); err != nil {
		return nil, fmt.Errorf("document is not valid I-JSON: %w", err)
	}
	o, err := decodeObject(data)
	if err != nil {
		return nil, fmt.Errorf("document is %w", err)
	}
	return o, nil
}

// decodeObject returns the members of raw, a JSON value already known to be
// well formed, or an error if it is not an object.
func decodeObject(raw []byte) (object, error) {
	// encoding/json would happily decode "null" into a nil map, so the kind
	// of value is checked by hand.
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var o object
	if err := json.Unmarshal(trimmed, &o); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	return o, nil
}

// without returns a copy of o lacking the named member.
func (o object) without(name string) object {
	c := make(object, len(o))
	for k, v := range o {
		if k != name {
			c[k] = v
		}
	}
	return c
}

// encodeJSON marshals v compactly. HTML escaping is off because ActivityPub
// content is HTML: "<p>" should stay readable rather than become "\u003cp\u003e".
// Either spelling canonicalises to the same JCS bytes.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// jsonString encodes s as a JSON string value.
func jsonString(s string) json.RawMessage {
	// Encoding a Go string cannot fail; invalid UTF-8 would be replaced by
	// U+FFFD, which is why Sign rejects it before it gets here.
	b, _ := encodeJSON(s)
	return b
}

// stringMember returns the value of member name, which must be a JSON string
// if present. present is false when the member is absent.
func (o object) stringMember(name string) (value string, present bool, err error) {
	raw, ok := o[name]
	if !ok {
		return "", false, nil
	}
	// Checked by hand because encoding/json turns null into "" without error.
	if len(raw) == 0 || raw[0] != '"' {
		return "", true, fmt.Errorf("%s is not a JSON string", name)
	}
	if err := json.Unmarshal(raw, &value); err != nil {
		return "", true, fmt.Errorf("%s: %w", name, err)
	}
	return value, true, nil
}

// requiredString is stringMember for members that must be present and non-empty.
func (o object) requiredString(name string) (string, error) {
	value, present, err := o.stringMember(name)
	if err != nil {
		return "", err
	}
	if !present || value == "" {
		return "", fmt.Errorf("missing %s", name)
	}
	return value, nil
}

// timeMember returns member name parsed as an RFC 3339 date-time (the
// XML Schema dateTimeStamp that Data Integrity requires). present is false
// when the member is absent.
func (o object) timeMember(name string) (t time.Time, present bool, err error) {
	value, present, err := o.stringMember(name)
	if err != nil || !present {
		return time.Time{}, present, err
	}
	t, err = time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, true, fmt.Errorf("%s %s is not an RFC 3339 date-time", name, quoteForError(value))
	}
	return t, true, nil
}

// sameJSON reports whether a and b are the same JSON value, spelling aside.
func sameJSON(a, b json.RawMessage) bool {
	ca, errA := jcs.Transform(a)
	cb, errB := jcs.Transform(b)
	return errA == nil && errB == nil && bytes.Equal(ca, cb)
}

// quoteForError quotes a string taken from the input for an error message.
// Quoting keeps control characters out of logs, and the length cap stops a
// hostile document from writing megabytes into them.
func quoteForError(s string) string {
	const maxLen = 200
	if len(s) > maxLen {
		// Back up to a rune boundary so the quoted text stays valid UTF-8.
		cut := maxLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q…", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}
