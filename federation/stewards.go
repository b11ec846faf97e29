package federation

import (
	"context"
	"encoding/json"
	"fmt"
)

// MaxInstanceStewards bounds the stewards read from another instance's actor: an instance that lists
// endless stewards would have every one of them fetched.
const MaxInstanceStewards = 50

// InstanceStewards reads the stewards another Baton instance names on its instance actor
// (SCHEME://HOST/actor, its `stewards`): the ids on that instance's own origin, at most
// MaxInstanceStewards. Each is only a candidate: whether they are a steward is for their own actor
// to say (RemotePerson's StewardSince).
func (r *Resolver) InstanceStewards(ctx context.Context, host string) ([]string, error) {
	actor := r.schemeFor(host) + "://" + host + "/actor"
	body, err := r.Fetch(ctx, actor)
	if err != nil {
		return nil, fmt.Errorf("fetch the instance actor %s: %w", actor, err)
	}
	var doc struct {
		ID       string       `json:"id"`
		Stewards []StewardRef `json:"stewards"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.ID != actor {
		return nil, fmt.Errorf("%s is not the instance actor it should be", actor)
	}
	var ids []string
	for _, s := range doc.Stewards {
		if len(ids) == MaxInstanceStewards {
			break
		}
		if isHTTPURL(s.ID) && sameOrigin(s.ID, actor) {
			ids = append(ids, s.ID)
		}
	}
	return ids, nil
}

// Addressees reads a Note's `to`: one id or a list of them.
func Addressees(note []byte) []string {
	var n struct {
		To json.RawMessage `json:"to"`
	}
	if json.Unmarshal(note, &n) != nil {
		return nil
	}
	var list []string
	if json.Unmarshal(n.To, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(n.To, &one) == nil && one != "" {
		return []string{one}
	}
	return nil
}
