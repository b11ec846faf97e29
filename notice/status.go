package notice

import (
	"strings"
	"time"
)

// Event is a published notice as the project's status sees it.
type Event struct {
	Kind      Kind
	Published time.Time
	Since     time.Time // zero: from Published
	Until     time.Time // zero: open-ended
}

func (e Event) start() time.Time {
	if e.Since.IsZero() {
		return e.Published
	}
	return e.Since
}

// active reports whether e is in effect at t.
func (e Event) active(t time.Time) bool {
	return !t.Before(e.start()) && (e.Until.IsZero() || t.Before(e.Until))
}

// Status says in a few words how a project stands at t, from its public notices in the order they
// were published: "normal", "hiatus until 2023-03-01", "scrutiny until 2024-01-19". A return ends
// an earlier hiatus; when both a hiatus and a scrutiny window are in effect, the hiatus is named first.
//
// Status reads bare events, without authors or proofs, for the project's profile field. Fold derives
// the full state, with trust, from signed notices.
func Status(events []Event, at time.Time) string {
	var hiatus, scrutiny *Event
	for i := range events {
		e := &events[i]
		switch e.Kind {
		case Hiatus:
			hiatus = e
		case Return:
			if hiatus != nil && !e.start().After(at) {
				hiatus = nil
			}
		case Scrutiny:
			scrutiny = e
		}
	}
	var parts []string
	if hiatus != nil && hiatus.active(at) {
		parts = append(parts, "hiatus"+untilText(hiatus.Until))
	}
	if scrutiny != nil && scrutiny.active(at) {
		parts = append(parts, "scrutiny"+untilText(scrutiny.Until))
	}
	if len(parts) == 0 {
		return "normal"
	}
	return strings.Join(parts, "; ")
}

func untilText(t time.Time) string {
	if t.IsZero() {
		return " (open-ended)"
	}
	return " until " + t.Format(Date)
}
