package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Holds says who is using a store, so that nothing moves an instance's state while the instance serves
// from it. `baton serve` holds its store while it runs; `baton migrate` and `baton token rotate` hold
// theirs alone. Replicas sharing a backend by design (Redis) hold it beside each other; a backend one
// process serves from (SQLite) takes one holder at a time.
type Holds interface {
	// Hold claims the store for h, or answers a *HeldError naming who holds it. A serving hold
	// (h.Serving) is refused while a hold for a command that needs the store alone is there, and, on a
	// backend that is not shared by replicas, while any hold is; any other hold is refused while any
	// hold is there.
	Hold(ctx context.Context, h Holder) (Hold, error)
}

// Hold is a claim on a store, until Release.
type Hold interface {
	// Keep keeps the claim from lapsing, until ctx ends. A backend whose claims lapse when their
	// process dies without them being kept (Redis: after HoldTTL) refreshes the claim, and takes it
	// again if it lapsed meanwhile; it returns a *HeldError if someone else took the store by then.
	// Where the claim ends with the process (SQLite), Keep just waits for ctx.
	Keep(ctx context.Context) error
	// Release gives the claim up.
	Release(ctx context.Context) error
}

// HoldTTL is how long a claim on a shared store outlives a process that stopped keeping it (it
// crashed): after it, a migrate may take the store. Keep refreshes a claim three times within it.
const HoldTTL = 30 * time.Second

// Holder is who holds a store.
type Holder struct {
	Command string    `json:"command"` // "serve", "migrate", "token rotate"
	Serving bool      `json:"serving"` // a serving instance (a replica, on a shared store)
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Listen  string    `json:"listen,omitempty"` // where a serving instance listens
	Since   time.Time `json:"since"`
}

// String names a holder for an operator: "baton serve (pid 4242 on web1, listening on 127.0.0.1:8080,
// since 2026-03-01 10:00:00 UTC)".
func (h Holder) String() string {
	if h.Command == "" {
		return "another process, which has not said which yet"
	}
	var parts []string
	if h.PID != 0 {
		parts = append(parts, fmt.Sprintf("pid %d on %s", h.PID, h.Host))
	}
	if h.Listen != "" {
		parts = append(parts, "listening on "+h.Listen)
	}
	if !h.Since.IsZero() {
		parts = append(parts, "since "+h.Since.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	return fmt.Sprintf("baton %s (%s)", h.Command, strings.Join(parts, ", "))
}

// ErrHeld is what a *HeldError is.
var ErrHeld = errors.New("held by another process")

// HeldError is Hold's answer when someone else holds the store.
type HeldError struct{ By Holder }

func (e *HeldError) Error() string        { return "in use by " + e.By.String() }
func (e *HeldError) Is(target error) bool { return target == ErrHeld }
