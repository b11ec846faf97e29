package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"baton/federation"
	"baton/outbox"
	"baton/store"
)

// deliveryFixture is a fixture whose handler also serves the delivery status route.
func deliveryFixture(t *testing.T) (*fixture, *Server) {
	t.Helper()
	f := newFixture(t)
	urls, err := federation.NewURLs(base)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := New(Options{Store: f.store, URLs: urls, Outbox: outbox.New(outbox.Options{Store: f.store, URLs: urls, Now: f.clock.Now, Log: log}),
		Now: f.clock.Now, Log: log, AdminTokenHash: HashToken(adminToken)})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/notices/{id}/delivery", srv.admin(srv.noticeDelivery))
	mux.Handle("/", f.handler)
	f.handler = mux
	return f, srv
}

func deliveryOf(t *testing.T, f *fixture, id string) DeliveryView {
	t.Helper()
	w := f.admin("GET", "/api/v1/notices/"+id+"/delivery", "")
	if w.Code != http.StatusOK {
		t.Fatalf("delivery of %s: %d %s", id, w.Code, w.Body)
	}
	var v DeliveryView
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDeliveryStatusAPI(t *testing.T) {
	f, _ := deliveryFixture(t)
	f.createProject(`{"name":"xz"}`)
	for _, host := range []string{"a.example", "b.example", "c.example"} {
		err := f.store.AddFollower(t.Context(), store.Follower{Local: "xz", Actor: "https://" + host + "/users/u",
			Inbox: "https://" + host + "/users/u/inbox", SharedInbox: "https://" + host + "/inbox", FollowID: "https://" + host + "/f"})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A notice published before: its deliveries are not the next one's.
	f.postNotice("xz", `{"kind":"return","text":"Back."}`)
	if ds, err := f.store.Claim(t.Context(), time.Now(), 100, time.Hour); err != nil || len(ds) < 3 {
		t.Fatalf("claim the first notice's deliveries: %d, %v", len(ds), err)
	} else {
		for _, d := range ds {
			f.store.Complete(t.Context(), d.ID)
		}
	}
	v := f.postNotice("xz", `{"kind":"hiatus","text":"Away for a while."}`)
	id := v.URL[strings.LastIndex(v.URL, "/")+1:]

	t.Run("Token", func(t *testing.T) {
		if w := f.do("GET", "/api/v1/notices/"+id+"/delivery", ""); w.Code != http.StatusUnauthorized {
			t.Errorf("without a token: %d, want 401", w.Code)
		}
		if w := f.do("GET", "/api/v1/notices/"+id+"/delivery", "", "Authorization", "Bearer wrong-token"); w.Code != http.StatusForbidden {
			t.Errorf("with a wrong token: %d, want 403", w.Code)
		}
	})
	t.Run("Unknown", func(t *testing.T) {
		for _, id := range []string{"999", "0", "x"} {
			if w := f.admin("GET", "/api/v1/notices/"+id+"/delivery", ""); w.Code != http.StatusNotFound {
				t.Errorf("notice %s: %d, want 404", id, w.Code)
			}
		}
	})
	t.Run("Numbers", func(t *testing.T) {
		got := deliveryOf(t, f, id)
		want := DeliveryCounts{Queued: 3, Total: 3}
		if got.DeliveryCounts != want || got.Create != want || got.Updates != (DeliveryCounts{}) || len(got.Hosts) != 0 || got.Notice != v.URL {
			t.Fatalf("freshly published: %+v", got)
		}
		ds, err := f.store.Claim(t.Context(), time.Now(), 100, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]int64{} // the Create's deliveries; the actor's Update goes too
		for _, d := range ds {
			if d.Activity.ID == v.URL+"/activity" {
				by[d.Inbox] = d.ID
			}
		}
		if len(by) != 3 {
			t.Fatalf("claimed %d deliveries of the Create, want 3", len(by))
		}
		f.store.Complete(t.Context(), by["https://a.example/inbox"])
		f.store.Retry(t.Context(), by["https://b.example/inbox"], time.Now().Add(time.Hour), "503 Service Unavailable")
		f.store.Fail(t.Context(), by["https://c.example/inbox"], "410 Gone")
		got = deliveryOf(t, f, id)
		want = DeliveryCounts{Queued: 1, Delivered: 1, Retrying: 1, Failed: 1, Total: 3}
		if got.DeliveryCounts != want || got.Create != want {
			t.Fatalf("after one of each: %+v", got)
		}
		wantHosts := []HostDeliveryView{{Host: "b.example", Retrying: 1, LastError: "503 Service Unavailable"},
			{Host: "c.example", Failed: 1, LastError: "410 Gone"}}
		if len(got.Hosts) != 2 || got.Hosts[0] != wantHosts[0] || got.Hosts[1] != wantHosts[1] {
			t.Fatalf("hosts %+v, want %+v", got.Hosts, wantHosts)
		}
		// An Update of the notice counts under Updates, and in the sums.
		n, err := f.store.Notice(t.Context(), mustAtoi(t, id))
		if err != nil {
			t.Fatal(err)
		}
		up := store.Activity{ID: v.URL + "#updates/1718452800000000000", Signer: "xz", Body: []byte(`{}`)}
		if _, err := f.store.UpdateNotice(t.Context(), n.ID, n.Document, up, store.AnyRevision); err != nil {
			t.Fatal(err)
		}
		got = deliveryOf(t, f, id)
		if got.Updates != (DeliveryCounts{Queued: 3, Total: 3}) || got.Total != 6 || got.Queued != 4 || got.Done() {
			t.Fatalf("with an Update: %+v", got)
		}
	})
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDeliveryOnTheNoticePage(t *testing.T) {
	f, srv := deliveryFixture(t)
	f.createProject(`{"name":"xz"}`)
	v := f.postNotice("xz", `{"kind":"return","text":"Back."}`)
	n, err := f.store.Notice(t.Context(), mustAtoi(t, v.URL[strings.LastIndex(v.URL, "/")+1:]))
	if err != nil {
		t.Fatal(err)
	}
	page := func(headers ...string) (*DeliveryView, http.Header) {
		r := httptest.NewRequest("GET", v.URL, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		return srv.pageDelivery(w, r, n, srv.isAdmin(r)), w.Header()
	}
	if d, _ := page(); d != nil {
		t.Errorf("without a token the page got %+v", d)
	}
	if d, _ := page("Authorization", "Bearer wrong"); d != nil {
		t.Errorf("with a wrong token the page got %+v", d)
	}
	d, h := page("Authorization", "Bearer "+adminToken)
	if d == nil || d.Total != 0 || !d.Done() {
		t.Fatalf("with the admin token: %+v", d)
	}
	if h.Get("Cache-Control") != "private, no-store" {
		t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
	}

	var buf strings.Builder
	view := DeliveryView{DeliveryCounts: DeliveryCounts{Queued: 1, Delivered: 5, Retrying: 1, Failed: 1, Total: 7},
		Hosts: []HostDeliveryView{{Host: "b.example", Retrying: 1, LastError: "<503>"}}}
	if err := pages.ExecuteTemplate(&buf, "notice-delivery", view); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h2>Delivery</h2>", "5 of 7 delivered, 1 queued (1 retrying), 1 given up.", "<td>b.example</td>", "&lt;503&gt;"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the Delivery section lacks %q:\n%s", want, buf.String())
		}
	}
	// The notice page itself renders as before.
	if w := f.do("GET", "/notices/"+strings.TrimPrefix(v.URL, base+"/notices/"), ""); w.Code != http.StatusOK || strings.Contains(w.Body.String(), "<h2>Delivery</h2>") {
		t.Errorf("notice page: %d", w.Code)
	}
}
