package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// A state query's ?at=, ?hindsight= and ?signer= come from anyone: any values are read or answered
// 400, never a panic, and what is read is never the zero time.
func FuzzStateQuery(f *testing.F) {
	for _, q := range [][3]string{{"", "", ""}, {"2024-02-24", "1", "3690C240CE51B4670D30AD1C38EE757D69184620"},
		{"0001-01-01", "true", "0x12"}, {"2024-02-24T12:00:00Z", "maybe", "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"}, {"x", "0", "nothex"}} {
		f.Add(q[0], q[1], q[2])
	}
	s := &Server{now: func() time.Time { return time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC) }}
	f.Fuzz(func(t *testing.T, at, hindsight, signer string) {
		v := url.Values{"at": {at}, "hindsight": {hindsight}, "signer": {signer}}
		r := httptest.NewRequest("GET", "/api/v1/projects/xz/state?"+v.Encode(), nil)
		w := httptest.NewRecorder()
		q, ok := s.stateQuery(w, r)
		switch {
		case !ok && w.Code != http.StatusBadRequest:
			t.Fatalf("refused with %d, want 400", w.Code)
		case ok && q.view.At.IsZero():
			t.Fatalf("?at=%q read as the zero time", at)
		}
	})
}
