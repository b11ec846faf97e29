package inbox

import (
	"encoding/json"
	"errors"
	"fmt"

	"baton/federation"
)

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
	if json.Unmarshal(raw, &o.ID) == nil {
		return o
	}
	var doc struct {
		ID     string          `json:"id"`
		Type   json.RawMessage `json:"type"`
		Actor  json.RawMessage `json:"actor"`
		Object json.RawMessage `json:"object"`
	}
	if json.Unmarshal(raw, &doc) == nil {
		o.ID, o.Type, o.Actor, o.Object = doc.ID, federation.FirstType(doc.Type), federation.ReferenceID(doc.Actor), federation.ReferenceID(doc.Object)
	}
	return o
}
