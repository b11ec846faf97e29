package federation

import (
	"testing"
	"time"
)

// A peer's Retry-After is read as seconds or an HTTP date; anything else, or anything absurd, never
// panics and never asks for a negative wait.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "-5", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "soon", " 30 "} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d := retryAfter(v, now); d < 0 {
			t.Fatalf("Retry-After %q gives a negative wait %s", v, d)
		}
	})
}
