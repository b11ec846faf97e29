package main

// End-to-end tests of replicas: several `baton serve --redis` processes sharing one real redis-server
// (internal/redistest), behind one round-robin reverse proxy whose address is every replica's
// --base-url, federating with test peers that verify every delivery themselves. Helpers are in
// e2e_replicas_test.go.

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"baton/internal/redistest"
	"baton/internal/testpeer"
	"baton/web"
)

// replicaSet is a Redis, replicas on it, and the proxy in front of them.
type replicaSet struct {
	redis    *redistest.Server
	proxy    *rrProxy
	replicas []*instance
	api      *instance // the client commands and reads, through the proxy
	token    string
}

// startReplicas starts n replicas on redis with the same admin token, base URL (the proxy) and extra
// flags, one after the other (the first stores the instance key, the others load it).
func startReplicas(t *testing.T, redis *redistest.Server, n int, flags ...string) *replicaSet {
	t.Helper()
	rs := &replicaSet{redis: redis, proxy: startProxy(t), token: "e2e-admin-token-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	all := append([]string{"--redis", redis.URL(0), "--base-url", rs.proxy.url}, flags...)
	for range n {
		rs.replicas = append(rs.replicas, startReplica(t, rs.token, all...))
	}
	rs.proxy.setBackends(rs.replicas...)
	rs.api = rs.replicas[0].via(rs.proxy.addr)
	return rs
}

// fanOutSetup is a replica set with project xz that every follower of the shared pool follows.
func fanOutSetup(t *testing.T, durable bool, replicas int, flags ...string) (*replicaSet, *followerPool, *testpeer.RemoteActor) {
	t.Helper()
	pool := sharedFollowers(t) // made while Redis and the replicas start
	rs := startReplicas(t, startRedis(t, durable), replicas, flags...)
	rs.api.addProject("xz", "XZ Utils")
	pool.wait(t)
	project, err := pool.peers[0].Lookup(context.Background(), "@xz@"+rs.proxy.addr)
	if err != nil {
		t.Fatal(err)
	}
	pool.followAll(t, project)
	for _, r := range rs.replicas {
		if got := r.followers("xz"); got != len(pool.followers) {
			t.Fatalf("replica %s counts %d followers of xz, want %d", r.addr, got, len(pool.followers))
		}
	}
	rs.api.waitQueueEmpty(60 * time.Second) // the Accepts are out
	return rs, pool, project
}

// checkCreates checks each Create that arrived, with the peer that received it.
func checkCreates(t *testing.T, creates map[inboxRef][]testpeer.Delivery, project *testpeer.RemoteActor, url string) {
	t.Helper()
	for r, ds := range creates {
		for _, d := range ds {
			checkCreate(t, r.peer, d, project, url)
		}
	}
}

// isCreateOf matches a Create of the notice at url.
func isCreateOf(url string) func(testpeer.Delivery) bool {
	return func(d testpeer.Delivery) bool { return d.ObjectField("id") == url }
}

// Two replicas on one Redis share the work, and every inbox gets a notice exactly once: the queue's
// claim is atomic, so no delivery is taken by both.
func TestE2ERedisTwoReplicasExactlyOnce(t *testing.T) {
	t.Parallel()
	start := time.Now()
	rs, pool, project := fanOutSetup(t, false, 2, "--workers", "2")
	a, b := rs.replicas[0], rs.replicas[1]
	served, inboxPosts := rs.proxy.counts()
	if inboxPosts[0] == 0 || inboxPosts[1] == 0 {
		t.Errorf("the Follows did not land on both replicas: %v inbox POSTs each", inboxPosts)
	}
	t.Logf("through the proxy, replicas A and B answered %v requests, %v of them POSTs to an inbox", served, inboxPosts)
	if !strings.Contains(a.log.String(), `"backend":"redis"`) || !strings.Contains(b.log.String(), `"backend":"redis"`) {
		t.Error("a replica does not log that it keeps its state in Redis")
	}

	beforeA, beforeB := a.delivered(), b.delivered()
	posted := time.Now()
	url, queued := rs.api.postNotice("xz", "hiatus", hiatusText)
	if queued != len(pool.inboxes) {
		t.Fatalf("queued for %d inboxes, want %d (%d followers)", queued, len(pool.inboxes), len(pool.followers))
	}
	var have int
	var missing []string
	if !waitFor(60*time.Second, func() bool {
		per, _ := pool.received(project, "Create", isCreateOf(url))
		have, missing, _ = pool.tally(per)
		return have == len(pool.inboxes)
	}) {
		pool.failuresFrom(t, rs.proxy.url)
		t.Fatalf("%d of %d inboxes never received the notice: %v", len(missing), len(pool.inboxes), clip(missing, 5))
	}
	rs.api.waitQueueEmpty(60 * time.Second)
	fannedOut := time.Since(posted)

	creates, stray := pool.received(project, "Create", isCreateOf(url))
	updates, strayUpdates := pool.received(project, "Update", nil)
	for _, s := range append(stray, strayUpdates...) {
		t.Errorf("a delivery to %s, which is not a delivery inbox (each shared inbox once, else each actor's)", s)
	}
	_, _, dups := pool.tally(creates)
	if dups != 0 {
		for r, ds := range creates {
			if len(ds) > 1 {
				t.Errorf("%s received the notice %d times", r, len(ds))
			}
		}
	}
	total := 0
	for _, ds := range creates {
		total += len(ds)
	}
	checkCreates(t, creates, project, url)
	// A hiatus changes the project's status: its followers get an Update of the actor too, each
	// inbox once.
	if len(updates) > 0 {
		have, missing, updateDups := pool.tally(updates)
		if have != len(pool.inboxes) || updateDups != 0 {
			t.Errorf("the profile Update reached %d of %d inboxes (missing %v), %d twice", have, len(pool.inboxes), clip(missing, 5), updateDups)
		}
		for _, ds := range updates {
			total += len(ds)
		}
	}
	pool.failuresFrom(t, rs.proxy.url)

	// Both replicas delivered, and together exactly what the peers received.
	da, db := a.delivered()-beforeA, b.delivered()-beforeB
	t.Logf("%d followers on %d hosts, %d inboxes; the fan-out (%d deliveries) took %s: replica A delivered %v, B %v; test %s",
		len(pool.followers), len(pool.peers), len(pool.inboxes), total, fannedOut.Round(time.Millisecond), da, db, time.Since(start).Round(time.Millisecond))
	if da+db != float64(total) {
		t.Errorf("the replicas count %v + %v deliveries, the peers received %d", da, db, total)
	}
	if da == 0 || db == 0 {
		t.Errorf("the work was not shared: replica A delivered %v, B %v", da, db)
	}
}

// A replica killed in the middle of a fan-out: the other finishes it, and what the killed one had
// leased comes back when its lease ends. Every inbox gets the notice; a duplicate is possible only for
// a delivery the killed replica had leased, made and not yet recorded as done: each must be one of
// the deliveries leased at the kill, and there may be no more than twice its --workers (those its
// workers had made, and those they had handed to the recorder, which removes them in batches).
func TestE2ERedisReplicaKilledMidFanOut(t *testing.T) {
	t.Parallel()
	const workers = 3
	start := time.Now()
	rs, pool, project := fanOutSetup(t, false, 2, "--workers", strconv.Itoa(workers), "--delivery-lease", "3s")
	a, b := rs.replicas[0], rs.replicas[1]

	beforeA, beforeB := a.delivered(), b.delivered()
	url, queued := rs.api.postNotice("xz", "hiatus", hiatusText)
	if queued != len(pool.inboxes) {
		t.Fatalf("queued for %d inboxes, want %d", queued, len(pool.inboxes))
	}
	count := func() (have int, missing []string, dups int) {
		per, stray := pool.received(project, "Create", isCreateOf(url))
		if len(stray) > 0 {
			t.Errorf("deliveries to %v, which are not delivery inboxes", stray)
		}
		return pool.tally(per)
	}
	// Kill A once both replicas are delivering and some inboxes have the notice.
	var have int
	var da float64
	if !waitFor(60*time.Second, func() bool {
		have, _, _ = count()
		da = a.delivered() - beforeA
		return have >= 6 && da >= 1 && b.delivered()-beforeB >= 1
	}) {
		t.Fatalf("before any kill: %d of %d inboxes have the notice, replica A delivered %v, B %v",
			have, len(pool.inboxes), a.delivered()-beforeA, b.delivered()-beforeB)
	}
	abandonedBefore := pool.abandoned()
	a.kill()
	killed := time.Now()
	rs.proxy.setBackends(b)
	// What A had leased is frozen now: only those may arrive twice.
	leased := leasedDeliveries(t, rs.redis.Addr, 0)
	have, _, _ = count()
	t.Logf("SIGKILL replica A when %d of %d inboxes had the notice, A having made %v of the deliveries; %d were leased (by A or B)",
		have, len(pool.inboxes), da, len(leased))
	if have >= len(pool.inboxes) {
		t.Fatal("every inbox had the notice before the kill: the test proved nothing (make the peers slower)")
	}

	var missing []string
	if !waitFor(90*time.Second, func() bool { have, missing, _ = count(); return have == len(pool.inboxes) }) {
		pool.failuresFrom(t, rs.proxy.url)
		t.Fatalf("after the kill, %d of %d inboxes never received the notice: %v", len(missing), len(pool.inboxes), clip(missing, 5))
	}
	b.waitQueueEmpty(60 * time.Second)
	finished := time.Since(killed)
	if !b.running() {
		t.Fatalf("replica B exited: %v", b.exitErr())
	}

	creates, _ := pool.received(project, "Create", isCreateOf(url))
	_, _, dups := pool.tally(creates)
	checkCreates(t, creates, project, url)
	updates, _ := pool.received(project, "Update", nil)
	updateDups := 0
	if len(updates) > 0 {
		var haveUpdates int
		var missingUpdates []string
		haveUpdates, missingUpdates, updateDups = pool.tally(updates)
		if haveUpdates != len(pool.inboxes) {
			t.Errorf("the profile Update never reached %d of %d inboxes: %v", len(missingUpdates), len(pool.inboxes), clip(missingUpdates, 5))
		}
	}
	t.Logf("every inbox has the notice %s after the kill; %d of the notice's deliveries arrived twice, %d of the Update's; "+
		"the shared peers saw %d deliveries cut off; test %s",
		finished.Round(time.Millisecond), dups, updateDups, pool.abandoned()-abandonedBefore, time.Since(start).Round(time.Millisecond))
	twice := duplicates(creates)
	for k, n := range duplicates(updates) {
		twice[k] = n
	}
	for k, n := range twice {
		if !leased[k] {
			t.Errorf("%s arrived %d times, but was not leased when replica A was killed", k, n)
		}
	}
	if dups+updateDups > 2*workers {
		t.Errorf("%d deliveries arrived twice (%v), more than the %d the killed replica can have made and not recorded; %d were leased at the kill",
			dups+updateDups, twice, 2*workers, len(leased))
	}
	pool.failuresFrom(t, rs.proxy.url)
}

// Redis killed in the middle of a fan-out and started again (with the append-only file fsynced on
// every write): the replicas stay up, log the errors, carry on and finish the fan-out, and nothing
// acknowledged before the kill is lost, down to a follow accepted and a notice posted just before the
// fan-out began.
func TestE2ERedisRestartMidFanOut(t *testing.T) {
	t.Parallel()
	const workers = 2
	const replicas = 2
	start := time.Now()
	ctx := context.Background()
	rs, pool, project := fanOutSetup(t, true, replicas, "--workers", strconv.Itoa(workers), "--delivery-lease", "3s")
	rs.api.addProject("zlib", "zlib")
	zlib, err := pool.peers[0].Lookup(ctx, "@zlib@"+rs.proxy.addr)
	if err != nil {
		t.Fatal(err)
	}

	// Just before the fan-out and the kill: a follow of zlib, and a notice of zlib.
	x := pool.followers[len(pool.followers)-1]
	follow, err := x.peer.Follow(ctx, x.name, zlib)
	if err != nil {
		t.Fatalf("follow zlib: %v", err)
	}
	url2, queued2 := rs.api.postNotice("zlib", "return", "zlib is maintained again.")
	if queued2 != 1 {
		t.Errorf("the zlib notice was queued for %d inboxes, want 1 (the follow just accepted)", queued2)
	}
	url, queued := rs.api.postNotice("xz", "hiatus", hiatusText)
	if queued != len(pool.inboxes) {
		t.Fatalf("queued for %d inboxes, want %d", queued, len(pool.inboxes))
	}
	count := func() (have int, missing []string, dups int) {
		per, _ := pool.received(project, "Create", isCreateOf(url))
		return pool.tally(per)
	}
	var have int
	if !waitFor(60*time.Second, func() bool { have, _, _ = count(); return have >= 6 }) {
		t.Fatalf("before the kill, only %d of %d inboxes received the notice", have, len(pool.inboxes))
	}
	// Writes paused for the moment it takes to read which deliveries are leased, then the kill: only
	// those may arrive twice.
	abandonedBefore := pool.abandoned()
	leased := leasedDeliveries(t, rs.redis.Addr, 10*time.Second)
	rs.redis.Kill()
	killed := time.Now()
	have, _, _ = count()
	t.Logf("killed Redis when %d of %d inboxes had the notice", have, len(pool.inboxes))
	if have >= len(pool.inboxes) {
		t.Fatal("every inbox had the notice before Redis was killed: the test proved nothing (make the peers slower)")
	}

	// Redis is down for two seconds: the replicas stay up, answer /healthz, and refuse what needs the
	// store.
	client := &http.Client{Timeout: 30 * time.Second}
	var asking sync.WaitGroup
	for _, r := range rs.replicas {
		asking.Go(func() {
			asked := time.Now()
			if resp, err := client.Get(r.base + "/healthz"); err != nil {
				t.Errorf("replica %s while Redis is down: /healthz: %v", r.addr, err)
			} else {
				resp.Body.Close()
			}
			if resp, err := client.Get(r.base + "/api/v1/projects/xz"); err != nil {
				t.Errorf("replica %s while Redis is down: GET /api/v1/projects/xz: %v", r.addr, err)
			} else {
				resp.Body.Close()
				if resp.StatusCode < 500 {
					t.Errorf("replica %s while Redis is down: GET /api/v1/projects/xz answered %d", r.addr, resp.StatusCode)
				}
				t.Logf("replica %s while Redis is down: GET /api/v1/projects/xz answered %d in %s", r.addr, resp.StatusCode, time.Since(asked).Round(time.Millisecond))
			}
		})
	}
	asking.Wait()
	time.Sleep(time.Until(killed.Add(2 * time.Second))) // the rest of the outage
	for _, r := range rs.replicas {
		if !r.running() {
			t.Fatalf("replica %s exited while Redis was down: %v", r.addr, r.exitErr())
		}
	}
	if err := rs.redis.Restart(); err != nil {
		t.Fatalf("restart Redis: %v", err)
	}
	restarted := time.Now()
	t.Logf("Redis was down for %s", restarted.Sub(killed).Round(time.Millisecond))

	var missing []string
	if !waitFor(90*time.Second, func() bool { have, missing, _ = count(); return have == len(pool.inboxes) }) {
		pool.failuresFrom(t, rs.proxy.url)
		t.Fatalf("after Redis came back, %d of %d inboxes never received the notice: %v", len(missing), len(pool.inboxes), clip(missing, 5))
	}
	if !waitFor(60*time.Second, func() bool { return len(creates(x.peer, url2)) > 0 }) {
		t.Error("the zlib notice posted before the kill never reached the follower whose follow came just before it")
	}
	if !waitFor(60*time.Second, func() bool { _, ok := x.peer.Accepted(follow); return ok }) {
		t.Error("the zlib follow accepted before the kill never got its Accept")
	}
	rs.api.waitQueueEmpty(60 * time.Second)
	finished := time.Since(restarted)

	for _, r := range rs.replicas {
		if !r.running() {
			t.Fatalf("replica %s exited after Redis came back: %v", r.addr, r.exitErr())
		}
		if got := r.followers("xz"); got != len(pool.followers) {
			t.Errorf("after the Redis restart, replica %s counts %d followers of xz, want %d", r.addr, got, len(pool.followers))
		}
		if got := r.followers("zlib"); got != 1 {
			t.Errorf("after the Redis restart, replica %s counts %d followers of zlib, want 1 (the follow accepted before the kill)", r.addr, got)
		}
		if status, _, body := r.get(strings.TrimPrefix(url2, rs.proxy.url), "application/activity+json"); status != 200 ||
			!strings.Contains(string(body), "zlib is maintained again.") {
			t.Errorf("after the Redis restart, replica %s: GET %s: %d %.200s", r.addr, url2, status, body)
		}
		var list []struct {
			Name    string `json:"name"`
			Notices int    `json:"notices"`
		}
		status, _, body := r.get("/api/v1/projects", "application/json")
		if status != 200 || json.Unmarshal(body, &list) != nil {
			t.Fatalf("GET /api/v1/projects: %d %s", status, body)
		}
		for _, p := range list {
			if p.Notices != 1 {
				t.Errorf("after the Redis restart, replica %s lists %s with %d notices, want 1", r.addr, p.Name, p.Notices)
			}
		}
		if len(list) != 2 {
			t.Errorf("after the Redis restart, replica %s lists %d projects, want 2: %s", r.addr, len(list), body)
		}
	}

	creates, _ := pool.received(project, "Create", isCreateOf(url))
	_, _, dups := pool.tally(creates)
	checkCreates(t, creates, project, url)
	updates, _ := pool.received(project, "Update", nil)
	zlibCreates, _ := pool.received(zlib, "Create", nil)
	twice := duplicates(creates)
	for _, per := range []map[inboxRef][]testpeer.Delivery{updates, zlibCreates} {
		for k, n := range duplicates(per) {
			twice[k] = n
		}
	}
	for k, n := range twice {
		if !leased[k] {
			t.Errorf("%s arrived %d times, but was not leased when Redis was killed", k, n)
		}
	}
	updateDups := 0
	if len(updates) > 0 {
		var haveUpdates int
		var missingUpdates []string
		haveUpdates, missingUpdates, updateDups = pool.tally(updates)
		if haveUpdates != len(pool.inboxes) {
			t.Errorf("the profile Update never reached %d of %d inboxes: %v", len(missingUpdates), len(pool.inboxes), clip(missingUpdates, 5))
		}
	}
	storeErrors := regexp.MustCompile(`connect|refused|EOF|reset|closed|timeout`)
	var logged []string
	for _, r := range rs.replicas {
		n, first := r.logLines("ERROR", storeErrors)
		logged = append(logged, strconv.Itoa(n))
		if first == "" {
			t.Errorf("replica %s logged no error while Redis was down", r.addr)
		} else {
			t.Logf("replica %s logged %d errors while Redis was down, the first: %s", r.addr, n, first)
		}
	}
	t.Logf("every inbox has the notice %s after Redis came back; %d of the notice's deliveries arrived twice, %d of the Update's; "+
		"errors logged by each replica: %s; test %s",
		finished.Round(time.Millisecond), dups, updateDups, strings.Join(logged, ", "), time.Since(start).Round(time.Millisecond))
	// A delivery made while Redis was down could not be recorded, so it is made again when its lease
	// ends; the check above holds every duplicate to the deliveries leased at the kill.
	t.Logf("%d deliveries were leased when Redis was killed (%d workers on each of %d replicas); %d arrived twice; the shared peers saw %d cut off",
		len(leased), workers, replicas, len(twice), pool.abandoned()-abandonedBefore)
	pool.failuresFrom(t, rs.proxy.url)
}

// What one replica writes, the other reads: the admin token made by the first start, a project made
// on A, a person and maintainer added on B, a notice signed and posted on A.
func TestE2ERedisStateSharedAcrossReplicas(t *testing.T) {
	t.Parallel()
	start := time.Now()
	redis := startRedis(t, false)
	proxy := startProxy(t)
	flags := []string{"--redis", redis.URL(0), "--base-url", proxy.url}

	// No token given: A makes one, prints it once and stores its hash; B finds it stored.
	a := startReplica(t, "", flags...)
	m := regexp.MustCompile(`Admin token \(shown once; only its hash is kept\):\s+(\S+)`).FindStringSubmatch(a.log.String())
	if m == nil {
		t.Fatalf("replica A did not print an admin token:\n%s", a.log.String())
	}
	token := m[1]
	a.token = token
	b := startReplica(t, "", flags...)
	b.token = token
	proxy.setBackends(a, b)
	if strings.Contains(b.log.String(), "Admin token") {
		t.Errorf("replica B made an admin token of its own:\n%s", b.log.String())
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: redis.Addr})
	defer rdb.Close()
	ctx := context.Background()
	if keys, err := rdb.Keys(ctx, "*admin*").Result(); err != nil || len(keys) != 1 || keys[0] != "baton:setting:admin_token_sha256" {
		t.Errorf("admin token keys in Redis: %q, %v; want baton:setting:admin_token_sha256 alone", keys, err)
	} else if v, err := rdb.Get(ctx, keys[0]).Bytes(); err != nil || string(v) != string(web.HashToken(token)) {
		t.Errorf("the stored admin token hash is not the hash of the token printed (%v)", err)
	}

	// A project made on A.
	out := a.mustCLI("project", "add", "xz", "--display-name", "XZ Utils", "--homepage", "https://xz.example.org/")
	if want := "@xz@" + proxy.addr + "\t" + proxy.url + "/users/xz"; out != want {
		t.Errorf("project add on A printed %q, want %q", out, want)
	}
	// A person and maintainer added on B, with the token A printed.
	keys := t.TempDir()
	lasse := sshKey(t, keys, "lasse")
	b.mustCLI("person", "add", "lasse", "--key", lasse+".pub", "--display-name", "Lasse Collin")
	if out := b.mustCLI("maintainer", "add", "lasse", "--project", "xz"); !strings.Contains(out, "lasse is a maintainer of xz since ") {
		t.Errorf("maintainer add on B printed %q", out)
	}
	if show := a.mustCLI("person", "show", "lasse"); !strings.Contains(show, "role: maintainer of xz\tsince ") {
		t.Errorf("person show on A:\n%s", show)
	}
	// A notice signed by the maintainer, posted on A.
	noticeURL := a.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", lasse,
		"--text", "I am stepping back for a few months.", "--until", "2099-03-01")
	if !strings.HasPrefix(noticeURL, proxy.url+"/notices/") {
		t.Fatalf("notice post on A printed %q", noticeURL)
	}
	path := strings.TrimPrefix(noticeURL, proxy.url)

	// B sees all of it, as A does.
	for _, p := range []string{"/users/xz", path, "/users/xz/outbox?page=true", "/users/lasse"} {
		sa, _, docA := a.get(p, "application/activity+json")
		sb, _, docB := b.get(p, "application/activity+json")
		if sa != 200 || sb != 200 || !sameJSON(docA, docB) {
			t.Errorf("GET %s: A answered %d, B %d, not the same document:\n%s\n%s", p, sa, sb, docA, docB)
		}
	}
	if _, _, outbox := b.get("/users/xz/outbox?page=true", "application/activity+json"); !strings.Contains(string(outbox), noticeURL) {
		t.Errorf("B's outbox of xz lacks the notice posted on A:\n%s", outbox)
	}
	var state web.StateView
	sa, _, stateA := a.get("/api/v1/projects/xz/state?at=2030-01-01", "application/json")
	sb, _, stateB := b.get("/api/v1/projects/xz/state?at=2030-01-01", "application/json")
	if sa != 200 || sb != 200 || !sameJSON(stateA, stateB) {
		t.Errorf("the state of xz: A answered %d, B %d, not the same:\n%s\n%s", sa, sb, stateA, stateB)
	}
	if err := json.Unmarshal(stateB, &state); err != nil {
		t.Fatalf("state on B: %v\n%s", err, stateB)
	}
	if state.Code != 4 || len(state.Notices) != 1 || state.Notices[0] != noticeURL || len(state.State.Maintainers) != 1 ||
		!strings.HasSuffix(state.State.Maintainers[0].Person, "lasse") {
		t.Errorf("B's state of xz: code %d, notices %v, maintainers %+v; want 4 (away), the notice posted on A, lasse",
			state.Code, state.Notices, state.State.Maintainers)
	}
	if code, out := b.checkCode("xz"); code != 4 {
		t.Errorf("baton check xz on B: exit %d, want 4\n%s", code, out)
	}
	if status, _, page := b.get(path, "text/html"); status != 200 || !strings.Contains(string(page), "stepping back for a few months") {
		t.Errorf("B's page of the notice: %d\n%.300s", status, page)
	}
	if list := b.mustCLI("project", "list"); !strings.Contains(list, "xz") {
		t.Errorf("project list on B:\n%s", list)
	}
	t.Logf("test %s", time.Since(start).Round(time.Millisecond))
}
