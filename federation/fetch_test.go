package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Without private addresses allowed, nothing is fetched over plain http: anyone on the path could
// answer, so an http:// key could speak for an https:// actor. Not even after a redirect.
func TestClientRefusesPlainHTTP(t *testing.T) {
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		w.Header().Set("Content-Type", ContentType)
		w.Write([]byte(`{}`))
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/users/a", http.StatusFound)
	}))
	defer secure.Close()

	c := NewClient(ClientOptions{})
	if _, _, err := c.Get(context.Background(), "http://a.example/users/a", Accept, testSigner(t)); !errors.Is(err, ErrPlainHTTP) {
		t.Errorf("Get(http://…) = %v, want ErrPlainHTTP", err)
	}
	// The TLS server's own transport, which has no address guard, so that only the scheme is tested.
	c.http.Transport = secure.Client().Transport
	if _, _, err := c.Get(context.Background(), secure.URL+"/users/a", Accept, testSigner(t)); !errors.Is(err, ErrPlainHTTP) {
		t.Errorf("Get after a redirect to http = %v, want ErrPlainHTTP", err)
	}
	if n := plainHits.Load(); n != 0 {
		t.Errorf("the plain http server got %d requests", n)
	}

	// Where private addresses are allowed (tests, local setups), plain http is too.
	allowed := NewClient(ClientOptions{AllowPrivate: true})
	if _, _, err := allowed.Get(context.Background(), plain.URL+"/users/a", Accept, testSigner(t)); err != nil {
		t.Errorf("Get(http://…) with private addresses allowed: %v", err)
	}
}

// Only ActivityPub media types are read as ActivityPub documents: a JSON file anyone can place on a
// host is served as text/plain or application/json.
func TestClientContentType(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct := r.URL.Query().Get("ct"); ct != "none" {
			w.Header().Set("Content-Type", ct)
		} else {
			w.Header()["Content-Type"] = nil // no sniffing either
		}
		w.Write([]byte(`{"id":"x"}`))
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true})
	tests := []struct {
		contentType string
		ok          bool
	}{
		{"application/activity+json", true},
		{"application/activity+json; charset=utf-8", true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{"application/ld+json", true},
		{`application/ld+json; profile="https://example.org/other"`, true},
		{"Application/Activity+JSON", true},
		{"application/json", false},
		{"text/plain; charset=utf-8", false},
		{"text/html", false},
		{"application/jrd+json", false},
		{"none", false},
		{"garbage;;", false},
	}
	for _, tt := range tests {
		u := srv.URL + "/doc?ct=" + url.QueryEscape(tt.contentType)
		_, _, err := c.Get(context.Background(), u, Accept, testSigner(t))
		if tt.ok != (err == nil) {
			t.Errorf("Content-Type %q: %v, want ok=%v", tt.contentType, err, tt.ok)
			continue
		}
		var cte *ContentTypeError
		if !tt.ok && !errors.As(err, &cte) {
			t.Errorf("Content-Type %q: %v, want a *ContentTypeError", tt.contentType, err)
		}
		if !tt.ok && tt.contentType != "none" && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.contentType)) {
			t.Errorf("Content-Type %q: the error %q does not name it", tt.contentType, err)
		}
	}
}

// WebFinger answers in JRD whatever it is asked: that answer is read, since it only points at an
// actor that is then fetched and checked.
func TestClientContentTypeWebFinger(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", r.URL.Query().Get("ct"))
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true})
	for ct, ok := range map[string]bool{JRDContentType: true, "application/json": true, "text/plain": false} {
		for path, want := range map[string]bool{"/.well-known/webfinger": ok, "/users/a": false} {
			_, _, err := c.Get(context.Background(), srv.URL+path+"?ct="+url.QueryEscape(ct), Accept, testSigner(t))
			if want != (err == nil) {
				t.Errorf("%s as %s: %v, want ok=%v", path, ct, err, want)
			}
		}
	}
}

// blockingServer answers every request once release is closed, and records how many it held at
// once and how many it got in all.
type blockingServer struct {
	*httptest.Server
	release  chan struct{}
	inFlight atomic.Int32
	most     atomic.Int32
	hits     atomic.Int32
}

func newBlockingServer(t *testing.T, body func(path string) string) *blockingServer {
	s := &blockingServer{release: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
		}
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", ContentType)
		w.Write([]byte(body(r.URL.Path)))
	}))
	t.Cleanup(func() {
		s.open()
		s.Close()
	})
	return s
}

func (s *blockingServer) open() {
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

// Many callers asking at once for one document share one fetch, and each gets the body.
func TestClientCoalescesFetches(t *testing.T) {
	srv := newBlockingServer(t, func(string) string { return `{"id":"x"}` })
	c := NewClient(ClientOptions{AllowPrivate: true})
	const callers = 200
	var started, done sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			body, _, err := c.Get(context.Background(), srv.URL+"/users/a", Accept, testSigner(t))
			if err == nil && string(body) != `{"id":"x"}` {
				err = fmt.Errorf("body %q", body)
			}
			errs <- err
		}()
	}
	started.Wait()
	time.Sleep(300 * time.Millisecond) // every caller is waiting for the fetch by now
	srv.open()
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d callers made %d requests, want 1", callers, n)
	}
}

// A caller that gives up does not fail the others waiting for the same fetch.
func TestClientCoalescedCallerGivesUp(t *testing.T) {
	srv := newBlockingServer(t, func(string) string { return `{"id":"x"}` })
	c := NewClient(ClientOptions{AllowPrivate: true})
	impatient, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, _, err := c.Get(impatient, srv.URL+"/users/a", Accept, testSigner(t))
		first <- err
	}()
	for srv.hits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), srv.URL+"/users/a", Accept, testSigner(t))
		second <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller that gave up got %v, want context.Canceled", err)
	}
	srv.open()
	if err := <-second; err != nil {
		t.Errorf("the caller still waiting got %v", err)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// At most MaxFetchesPerHost fetches go to one host at once; past that, a fetch waits briefly and then
// fails with ErrFetchCapacity, so that the inbox can answer 503 at once.
func TestClientFetchCapacityPerHost(t *testing.T) {
	srv := newBlockingServer(t, func(string) string { return `{}` })
	c := NewClient(ClientOptions{AllowPrivate: true})
	c.slotWait = 100 * time.Millisecond
	const callers = 20
	errs := make(chan error, callers)
	for i := range callers {
		go func() {
			_, _, err := c.Get(context.Background(), fmt.Sprintf("%s/users/%d", srv.URL, i), Accept, testSigner(t))
			errs <- err
		}()
	}
	for range callers - MaxFetchesPerHost {
		if err := <-errs; !errors.Is(err, ErrFetchCapacity) {
			t.Errorf("a fetch past the cap: %v, want ErrFetchCapacity", err)
		} else if !strings.Contains(err.Error(), "fetch capacity exhausted") {
			t.Errorf("error %q does not say the capacity is exhausted", err)
		}
	}
	// The fetches within the cap may still be on their way to the server (a busy machine): let them
	// all arrive before it answers, so that the most at once is what the cap let through. With a
	// smaller cap they never do, and the check below fails.
	for deadline := time.Now().Add(10 * time.Second); srv.inFlight.Load() < MaxFetchesPerHost && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	srv.open()
	for range MaxFetchesPerHost {
		if err := <-errs; err != nil {
			t.Errorf("a fetch within the cap: %v", err)
		}
	}
	if most := srv.most.Load(); most != MaxFetchesPerHost {
		t.Errorf("%d fetches to one host at once, want %d", most, MaxFetchesPerHost)
	}
	if n := len(c.slots.hosts); n != 0 {
		t.Errorf("%d hosts still have slots, want none once every fetch ended", n)
	}
}

// The total cap holds across hosts.
func TestClientFetchCapacityTotal(t *testing.T) {
	var servers []*blockingServer
	for range 3 {
		servers = append(servers, newBlockingServer(t, func(string) string { return `{}` }))
	}
	c := NewClient(ClientOptions{AllowPrivate: true})
	c.slots = newFetchSlots(4, 6)
	c.slotWait = 100 * time.Millisecond
	errs := make(chan error, 12)
	for i := range 12 {
		go func() {
			srv := servers[i%3]
			_, _, err := c.Get(context.Background(), fmt.Sprintf("%s/users/%d", srv.URL, i), Accept, testSigner(t))
			errs <- err
		}()
	}
	for range 6 {
		if err := <-errs; !errors.Is(err, ErrFetchCapacity) {
			t.Errorf("a fetch past the total cap: %v, want ErrFetchCapacity", err)
		}
	}
	var most int32
	for _, s := range servers {
		most += s.most.Load()
		s.open()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Errorf("a fetch within the cap: %v", err)
		}
	}
	if most > 6 {
		t.Errorf("%d fetches at once, want at most 6", most)
	}
}

// A server that drips its answer is given FetchTimeout in all, well inside the 30 s an inbox request
// may take: the fetch fails and the inbox can still answer.
func TestClientFetchTimeout(t *testing.T) {
	if FetchTimeout > 10*time.Second {
		t.Errorf("FetchTimeout = %s; an inbox request has 30 s in all, and may make two fetches", FetchTimeout)
	}
	if c := NewClient(ClientOptions{}); c.fetchTimeout != FetchTimeout {
		t.Errorf("a client's fetch timeout is %s, want FetchTimeout", c.fetchTimeout)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		w.WriteHeader(http.StatusOK)
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
				w.Write([]byte(" "))
				w.(http.Flusher).Flush()
			}
		}
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true})
	c.fetchTimeout = 300 * time.Millisecond
	start := time.Now()
	_, _, err := c.Get(context.Background(), srv.URL+"/users/drip", Accept, testSigner(t))
	if err == nil {
		t.Fatal("a body that never ends was read")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the fetch took %s, want about 300ms", d)
	}
}
