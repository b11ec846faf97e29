package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"baton/web"
)

// deliveryServer answers GET /api/v1/notices/5/delivery with each of views in turn, then the last
// again, and counts the requests.
func deliveryServer(t *testing.T, views ...web.DeliveryView) (*httptest.Server, *int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "this needs the admin token"})
			return
		}
		if r.URL.Path != "/api/v1/notices/5/delivery" {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"error": "notice not found"})
			return
		}
		mu.Lock()
		v := views[min(n, len(views)-1)]
		n++
		mu.Unlock()
		json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func deliveryAt(delivered, failed, total int) web.DeliveryView {
	queued := total - delivered - failed
	v := web.DeliveryView{Notice: "https://n.example/notices/5",
		DeliveryCounts: web.DeliveryCounts{Queued: queued, Delivered: delivered, Failed: failed, Total: total}}
	v.Create = v.DeliveryCounts
	if failed > 0 {
		v.Hosts = []web.HostDeliveryView{{Host: "gone.example", Failed: failed, LastError: "410 Gone"}}
	}
	return v
}

func TestNoticeStatusFollowsUntilDone(t *testing.T) {
	srv, calls := deliveryServer(t, deliveryAt(0, 0, 20), deliveryAt(3, 0, 20), deliveryAt(3, 0, 20), deliveryAt(11, 1, 20), deliveryAt(19, 1, 20))
	var out, errOut bytes.Buffer
	code := run([]string{"notice", "status", "https://n.example/notices/5", "--server", srv.URL, "--token", "tok", "--interval", "1ms"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if *calls != 5 {
		t.Errorf("%d requests, want 5 (until nothing was left)", *calls)
	}
	// Not a terminal: a line at each tenth reached, no bar.
	wantLines := "notice status: 2/20 deliveries done (10%)\nnotice status: 4/20 deliveries done (20%)\n" +
		"notice status: 6/20 deliveries done (30%)\n" +
		"notice status: 8/20 deliveries done (40%)\nnotice status: 10/20 deliveries done (50%)\n" +
		"notice status: 12/20 deliveries done (60%)\nnotice status: 14/20 deliveries done (70%)\n" +
		"notice status: 16/20 deliveries done (80%)\nnotice status: 18/20 deliveries done (90%)\n" +
		"notice status: 20/20 deliveries done (100%)\n"
	if errOut.String() != wantLines {
		t.Errorf("progress:\n%s\nwant\n%s", errOut.String(), wantLines)
	}
	for _, want := range []string{"https://n.example/notices/5: 19 of 20 delivered, 0 queued (0 retrying), 1 given up",
		"  gone.example: 1 given up: 410 Gone", "nothing is left to deliver"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

func TestNoticeStatusOnceAndJSON(t *testing.T) {
	srv, calls := deliveryServer(t, deliveryAt(3, 0, 20), deliveryAt(20, 0, 20))
	var out, errOut bytes.Buffer
	if code := run([]string{"notice", "status", "5", "--once", "--json", "--server", srv.URL, "--token", "tok"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if *calls != 1 || errOut.Len() != 0 {
		t.Errorf("--once: %d requests, stderr %q", *calls, errOut.String())
	}
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("--json printed %q: %v", out.String(), err)
	}
	for k, want := range map[string]float64{"queued": 17, "delivered": 3, "retrying": 0, "failed": 0, "total": 20} {
		if v[k] != want {
			t.Errorf("%s = %v, want %v", k, v[k], want)
		}
	}
	if _, ok := v["hosts"]; !ok {
		t.Errorf("no hosts in %s", out.String())
	}
}

func TestNoticeStatusErrors(t *testing.T) {
	srv, _ := deliveryServer(t, deliveryAt(0, 0, 1))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"notice", "status", "5", "--server", srv.URL, "--token", "wrong"}, "admin token"},
		{[]string{"notice", "status", "6", "--server", srv.URL, "--token", "tok"}, "not found"},
		{[]string{"notice", "status", "--server", srv.URL, "--token", "tok"}, "want the notice's id"},
	} {
		var out, errOut bytes.Buffer
		if code := run(c.args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q, want 1 and %q", c.args, code, errOut.String(), c.want)
		}
	}
}
