package main

// Helpers for the end-to-end tests of replicas sharing one Redis (e2e_redis_test.go): a replica is a
// `baton serve --redis` subprocess with a base URL of the test's choosing; a round-robin reverse proxy
// on loopback is the one public address in front of them; a pool of followers on test peers is shared
// by the tests that need many.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"baton/internal/redistest"
	"baton/internal/testpeer"
)

// startRedis starts a redis-server for one test (durable: the append-only file fsynced on every write,
// so Kill then Restart loses nothing acknowledged) and stops it when the test ends, after the
// replicas started later are gone.
func startRedis(t *testing.T, durable bool) *redistest.Server {
	t.Helper()
	s, err := redistest.Start(durable)
	s = redistest.Require(t, s, err)
	t.Cleanup(s.Stop)
	return s
}

// startReplica runs `baton serve` with extra flags (--redis, --base-url, ...: given after the
// harness's own, they win) and the admin token given ("" lets the replica make one, or use the one a
// replica before it stored). Its base is its own address, for /healthz and /metrics.
func startReplica(t *testing.T, token string, flags ...string) *instance {
	t.Helper()
	return startWithToken(t, token, flags...)
}

// running reports whether the replica's process has not exited.
func (in *instance) running() bool {
	in.mu.Lock()
	exited := in.exited
	in.mu.Unlock()
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// via is a client's view of the instance through another address (the proxy): the client commands,
// get, followers and metric of the result go there.
func (in *instance) via(addr string) *instance {
	return &instance{t: in.t, addr: addr, base: "http://" + addr, token: in.token, log: &lockedBuffer{}}
}

// counter reads one series of a counter with labels from /metrics, e.g.
// counter("baton_deliveries_total", `outcome="delivered"`); a series not yet written reads 0.
func (in *instance) counter(name, labels string) float64 {
	in.t.Helper()
	status, _, body := in.get("/metrics", "text/plain")
	if status != 200 {
		in.t.Fatalf("GET /metrics on %s: %d", in.addr, status)
	}
	prefix := name + "{" + labels + "} "
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				in.t.Fatalf("metric %s{%s}: %q", name, labels, line)
			}
			return f
		}
	}
	return 0
}

// delivered is the replica's count of successful deliveries.
func (in *instance) delivered() float64 {
	return in.counter("baton_deliveries_total", `outcome="delivered"`)
}

// logLines counts the replica's JSON log lines at level that match re.
func (in *instance) logLines(level string, re *regexp.Regexp) (n int, first string) {
	for _, line := range strings.Split(in.log.String(), "\n") {
		if strings.Contains(line, `"level":"`+level+`"`) && re.MatchString(line) {
			if n == 0 {
				first = line
			}
			n++
		}
	}
	return n, first
}

// rrProxy is a round-robin reverse proxy (net/http/httputil) in front of the replicas: the address
// followers and clients know. It keeps the Host header, which HTTP signatures cover, and a request a
// backend does not answer (a killed replica) goes to the next one.
type rrProxy struct {
	addr, url string
	srv       *http.Server
	transport *http.Transport

	mu       sync.Mutex
	backends []string // host:port
	gen      int      // changes with the backends
	next     int
	served   []int // requests answered, by backend
	inboxes  []int // POSTs to an inbox answered, by backend
}

// startProxy listens on a free loopback port; setBackends tells it where to send requests.
func startProxy(t *testing.T) *rrProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &rrProxy{addr: l.Addr().String(), transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second}}
	p.url = "http://" + p.addr
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "backend" // RoundTrip picks the backend
			r.Out.Host = r.In.Host
		},
		Transport: p,
	}
	p.srv = &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(l)
	t.Cleanup(func() {
		p.srv.Close()
		p.transport.CloseIdleConnections()
	})
	return p
}

func (p *rrProxy) setBackends(replicas ...*instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backends = nil
	p.gen++
	for _, r := range replicas {
		p.backends = append(p.backends, r.addr)
	}
	p.served, p.inboxes = make([]int, len(replicas)), make([]int, len(replicas))
}

// RoundTrip sends the request to the next backend in turn, and on to the others when one does not
// answer at all.
func (p *rrProxy) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	p.mu.Lock()
	n, gen := len(p.backends), p.gen
	start := p.next
	p.next++
	backends := append([]string(nil), p.backends...)
	p.mu.Unlock()
	if n == 0 {
		return nil, errors.New("proxy: no backends")
	}
	var lastErr error
	for k := range n {
		i := (start + k) % n
		out := req.Clone(req.Context())
		out.URL.Host = backends[i]
		out.Body, out.ContentLength = http.NoBody, 0
		if len(body) > 0 {
			out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}
		resp, err := p.transport.RoundTrip(out)
		if err != nil {
			lastErr = err
			continue
		}
		p.mu.Lock()
		if gen == p.gen {
			p.served[i]++
			if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/inbox") {
				p.inboxes[i]++
			}
		}
		p.mu.Unlock()
		return resp, nil
	}
	return nil, lastErr
}

// counts are the requests and inbox POSTs each backend answered.
func (p *rrProxy) counts() (served, inboxes []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.served...), append([]int(nil), p.inboxes...)
}

// Followers for the fan-out tests. Making an RSA-2048 key for each test actor is the slow part of these
// tests (about a third of a CPU-second each under -race on a 2-core machine), so the tests that fan out
// share one pool of followers, made once while they start their Redis and replicas, closed when the
// last of them ends. Each test has its own instance, so its own project actor, notice URLs and
// signing keys: what a peer received for one test is told apart from another's by the notice id and
// the signer.

// Pool shape: mastodonServers hosts with a shared inbox and 1 or 2 actors each (one delivery per host),
// gtsServers hosts in the GoToSocial dialect, with no shared inbox, gtsActors actors each (one delivery
// per actor).
const (
	mastodonServers = 10
	gtsServers      = 10
	gtsActors       = 3
	// followerDelay is how long every inbox of the pool takes to answer a POST, so that a fan-out is
	// still in flight when a test kills something.
	followerDelay = 250 * time.Millisecond
)

// inboxRef is one delivery inbox of the pool: a path on a peer.
type inboxRef struct {
	peer *testpeer.Peer
	path string
}

func (r inboxRef) String() string { return r.peer.URL + r.path }

// follower is one actor of the pool.
type follower struct {
	peer *testpeer.Peer
	name string
}

type followerPool struct {
	ready     chan struct{}
	err       error
	peers     []*testpeer.Peer
	followers []follower
	inboxes   []inboxRef
	took      time.Duration
}

var sharedPool struct {
	mu   sync.Mutex
	refs int
	cur  *followerPool
}

// sharedFollowers hands the test the shared pool, starting to make it if there is none; wait for it with
// wait. The test's cleanup lets it go; the last one closes it.
func sharedFollowers(t *testing.T) *followerPool {
	sharedPool.mu.Lock()
	if sharedPool.cur == nil {
		sharedPool.cur = &followerPool{ready: make(chan struct{})}
		go sharedPool.cur.build()
	}
	fp := sharedPool.cur
	sharedPool.refs++
	sharedPool.mu.Unlock()
	t.Cleanup(func() {
		sharedPool.mu.Lock()
		sharedPool.refs--
		last := sharedPool.refs == 0
		if last {
			sharedPool.cur = nil
		}
		sharedPool.mu.Unlock()
		if last {
			<-fp.ready
			for _, p := range fp.peers {
				if p != nil {
					p.Close()
				}
			}
		}
	})
	return fp
}

func (fp *followerPool) build() {
	defer close(fp.ready)
	start := time.Now()
	type spec struct {
		dialect testpeer.Dialect
		names   []string
	}
	var specs []spec
	for i := range mastodonServers {
		names := []string{"alice"}
		if i%2 == 1 {
			names = append(names, "bob")
		}
		specs = append(specs, spec{testpeer.Mastodon, names})
	}
	for range gtsServers {
		var names []string
		for k := range gtsActors {
			names = append(names, fmt.Sprintf("user%d", k))
		}
		specs = append(specs, spec{testpeer.GoToSocial, names})
	}
	fp.peers = make([]*testpeer.Peer, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, s := range specs {
		wg.Go(func() { fp.peers[i], errs[i] = testpeer.Start(s.dialect, s.names...) })
	}
	wg.Wait()
	if fp.err = errors.Join(errs...); fp.err != nil {
		return
	}
	for i, p := range fp.peers {
		p.SetDelay(followerDelay)
		for _, name := range specs[i].names {
			fp.followers = append(fp.followers, follower{p, name})
			if p.Dialect == testpeer.GoToSocial {
				fp.inboxes = append(fp.inboxes, inboxRef{p, "/users/" + name + "/inbox"})
			}
		}
		if p.Dialect == testpeer.Mastodon {
			fp.inboxes = append(fp.inboxes, inboxRef{p, "/inbox"})
		}
	}
	fp.took = time.Since(start)
}

// wait waits until the pool is made.
func (fp *followerPool) wait(t *testing.T) {
	t.Helper()
	select {
	case <-fp.ready:
	case <-time.After(5 * time.Minute):
		t.Fatal("the pool of followers was not made in 5 minutes")
	}
	if fp.err != nil {
		t.Fatalf("test peers: %v", fp.err)
	}
}

// followAll has every follower of the pool follow the project, through whatever address the
// project's actor document names, and waits until each Follow was accepted.
func (fp *followerPool) followAll(t *testing.T, project *testpeer.RemoteActor) {
	t.Helper()
	ctx := context.Background()
	follows := make([]*testpeer.Follow, len(fp.followers))
	errs := make([]error, len(fp.followers))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, f := range fp.followers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			follows[i], errs[i] = f.peer.Follow(ctx, f.name, project)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("follow: %v", err)
	}
	var missing []string
	if !testpeer.Wait(60*time.Second, func() bool {
		missing = missing[:0]
		for i, f := range fp.followers {
			if _, ok := f.peer.Accepted(follows[i]); !ok {
				missing = append(missing, f.peer.ActorID(f.name))
			}
		}
		return len(missing) == 0
	}) {
		t.Fatalf("%d of %d Follows were not accepted in 60s, e.g. %s", len(missing), len(follows), missing[0])
	}
}

// received counts, per inbox of the pool, the verified deliveries of activities of type typ, by the
// project actor, that match (nil: all); deliveries to a path of a pool peer that is not one of its
// delivery inboxes come back in stray.
func (fp *followerPool) received(project *testpeer.RemoteActor, typ string, match func(testpeer.Delivery) bool) (per map[inboxRef][]testpeer.Delivery, stray []string) {
	per = map[inboxRef][]testpeer.Delivery{}
	known := map[inboxRef]bool{}
	for _, r := range fp.inboxes {
		known[r] = true
	}
	for _, p := range fp.peers {
		for _, d := range p.ReceivedOfType(typ) {
			if d.Actor != project.ID || (match != nil && !match(d)) {
				continue
			}
			r := inboxRef{p, d.Path}
			if !known[r] {
				stray = append(stray, r.String())
				continue
			}
			per[r] = append(per[r], d)
		}
	}
	return per, stray
}

// tally sums up per-inbox deliveries: how many inboxes have at least one, the inboxes with none, and
// the deliveries beyond the first.
func (fp *followerPool) tally(per map[inboxRef][]testpeer.Delivery) (have int, missing []string, dups int) {
	for _, r := range fp.inboxes {
		switch n := len(per[r]); {
		case n == 0:
			missing = append(missing, r.String())
		default:
			have++
			dups += n - 1
		}
	}
	return have, missing, dups
}

// failuresFrom reports what the pool's peers refused that was signed with a key of base's instance.
func (fp *followerPool) failuresFrom(t *testing.T, base string) {
	t.Helper()
	for _, p := range fp.peers {
		for _, f := range p.Failures() {
			if strings.HasPrefix(f.KeyID, base+"/") || strings.HasPrefix(f.Signer, base+"/") {
				t.Errorf("the %v peer at %s refused %s (%d) from %s: %v", p.Dialect, p.Host, f.Path, f.Status, base, f.Err)
			}
		}
	}
}

// abandoned sums the deliveries the pool's peers saw their sender hang up on (of every test).
func (fp *followerPool) abandoned() int {
	n := 0
	for _, p := range fp.peers {
		n += p.Abandoned()
	}
	return n
}

// clip shortens a list for a message.
func clip(list []string, n int) []string {
	if len(list) > n {
		return append(list[:n:n], "…")
	}
	return list
}

// leasedDeliveries reads which deliveries are leased in the Redis at addr (prefix "baton:"), as
// "INBOX ACTIVITY-ID": what a replica has taken and not yet recorded as done. With pause set it first
// pauses every other client's writes (CLIENT PAUSE WRITE, scripts included) for pause, so that what
// it reads stays true until the caller kills Redis. Without, the replicas still running go on
// meanwhile: a delivery one of them finishes between the reads is not leased any more, and left out.
func leasedDeliveries(t *testing.T, addr string, pause time.Duration) map[string]bool {
	t.Helper()
	ctx := context.Background()
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	if pause > 0 {
		if err := c.Do(ctx, "CLIENT", "PAUSE", strconv.FormatInt(pause.Milliseconds(), 10), "WRITE").Err(); err != nil {
			t.Fatalf("CLIENT PAUSE: %v", err)
		}
	}
	ids, err := c.ZRange(ctx, "baton:queue:leased", 0, -1).Result()
	if err != nil {
		t.Fatalf("reading the leased deliveries: %v", err)
	}
	out := map[string]bool{}
	for _, id := range ids {
		d, err := c.HMGet(ctx, "baton:delivery:"+id, "inbox", "activity").Result()
		if err != nil || len(d) != 2 {
			t.Fatalf("delivery %s: %v", id, err)
		}
		inbox, _ := d[0].(string)
		seq, _ := d[1].(string)
		if inbox == "" && pause == 0 {
			continue // done since ZRANGE by a replica still running: it is not leased any more
		}
		activity, err := c.HGet(ctx, "baton:activity:"+seq, "id").Result()
		if errors.Is(err, goredis.Nil) && pause == 0 {
			continue // the same, and it was the activity's last delivery
		}
		if err != nil {
			t.Fatalf("activity %s of delivery %s: %v", seq, id, err)
		}
		out[inbox+" "+activity] = true
	}
	return out
}

// duplicates lists the deliveries that came more than once, as "INBOX ACTIVITY-ID", with how often.
func duplicates(per map[inboxRef][]testpeer.Delivery) map[string]int {
	out := map[string]int{}
	for r, ds := range per {
		seen := map[string]int{}
		for _, d := range ds {
			seen[d.ID]++
		}
		for id, n := range seen {
			if n > 1 {
				out[r.String()+" "+id] = n
			}
		}
	}
	return out
}
