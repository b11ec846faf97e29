package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ReceivedCall is a call for stewards another Baton instance addressed to this instance's stewards,
// kept for them to read. It is kept among the settings, one each, so every backend keeps it alike and
// a move carries it.
type ReceivedCall struct {
	ID       string          `json:"id"`       // the call's Note id, on its origin
	Project  string          `json:"project"`  // the calling project's actor
	Host     string          `json:"host"`     // the calling instance
	Note     json.RawMessage `json:"note"`     // the signed Note, as verified
	Received time.Time       `json:"received"` // when it was first kept
}

const receivedCallPrefix = "received-call "

// PutReceivedCall keeps c, in place of an earlier copy of the same call (an Update).
func PutReceivedCall(ctx context.Context, s Settings, c ReceivedCall) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.PutSetting(ctx, receivedCallPrefix+c.ID, doc)
}

// ReceivedCallByID returns the kept copy of the call id, or ErrNotFound.
func ReceivedCallByID(ctx context.Context, s Settings, id string) (ReceivedCall, error) {
	doc, err := s.Setting(ctx, receivedCallPrefix+id)
	if err != nil {
		return ReceivedCall{}, err
	}
	var c ReceivedCall
	if err := json.Unmarshal(doc, &c); err != nil {
		return ReceivedCall{}, fmt.Errorf("received call %s: %w", id, err)
	}
	return c, nil
}

// ReceivedCalls returns every call kept, in the order of their ids.
func ReceivedCalls(ctx context.Context, s Settings) ([]ReceivedCall, error) {
	keys, err := s.SettingKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []ReceivedCall
	for _, k := range keys {
		id, ok := strings.CutPrefix(k, receivedCallPrefix)
		if !ok {
			continue
		}
		c, err := ReceivedCallByID(ctx, s, id)
		if errors.Is(err, ErrNotFound) {
			continue // removed since the keys were read
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// DeleteReceivedCall forgets the call id.
func DeleteReceivedCall(ctx context.Context, s Settings, id string) error {
	return s.DeleteSetting(ctx, receivedCallPrefix+id)
}
