package refusal

import (
	"errors"
	"fmt"
	"testing"
)

func TestRefusal(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.7:443: connection refused")
	e := &Error{Status: 503, Reason: "could not fetch the key", Err: cause}
	wrapped := fmt.Errorf("inbox: %w", e)
	got, ok := As(wrapped)
	if !ok || got.Status != 503 || got.Reason != "could not fetch the key" || !errors.Is(wrapped, cause) {
		t.Errorf("As(%v) = %+v, %v", wrapped, got, ok)
	}
	if e.Error() != "could not fetch the key: "+cause.Error() {
		t.Errorf("Error() = %q", e.Error())
	}
	if n := New(422, "notice %d is %s", 7, "revoked"); n.Reason != "notice 7 is revoked" || n.Error() != n.Reason {
		t.Errorf("New = %+v", n)
	}
	if _, ok := As(cause); ok {
		t.Errorf("a plain error read as a refusal")
	}
}
