// Package refusal is the one error type Baton refuses a request with: the HTTP status to answer, and a
// reason safe to show whoever sent it, with the cause kept apart for the log. The inbox, the web API,
// the ledger, the upstream watcher and HTTP signature checks all refuse with it, and the places that
// answer requests read it in one way.
package refusal

import (
	"errors"
	"fmt"
)

// Error is a refused request.
type Error struct {
	Status int    // the HTTP status to answer
	Reason string // what went wrong, in words safe to send back
	Err    error  // the cause, for the log; may be nil
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// New refuses with status and a reason.
func New(status int, format string, args ...any) *Error {
	return &Error{Status: status, Reason: fmt.Sprintf(format, args...)}
}

// As finds the refusal in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
