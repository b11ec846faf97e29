package httpsign

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

type permanentKeyError struct{}

func (permanentKeyError) Error() string   { return "the owner's actor does not list the key" }
func (permanentKeyError) Temporary() bool { return false }
func (permanentKeyError) Reason() string  { return "the key is refused" }

// A key refused for good is answered 401, so the sender does not retry for days; one that could not
// be fetched is 503; the cause stays out of the reason either way.
func TestKeyErrorStatus(t *testing.T) {
	if e := keyError("https://x.example/k", permanentKeyError{}); e.Status != http.StatusUnauthorized || strings.Contains(e.Reason, "does not list") {
		t.Errorf("a refused key: %d %q", e.Status, e.Reason)
	}
	if e := keyError("https://x.example/k", errors.New("dial tcp 10.0.0.1:443: refused")); e.Status != http.StatusServiceUnavailable || strings.Contains(e.Reason, "10.0.0.1") {
		t.Errorf("an unreachable key: %d %q", e.Status, e.Reason)
	}
}
