package redis

// The tests run against a redis-server that TestMain starts on a free loopback port, in a temporary
// folder, keeping nothing on disk; each test empties its database first (FLUSHDB). Without
// redis-server on PATH they skip, except under CI, where they fail: .ci/run installs it.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/internal/redistest"
	"baton/store"
	"baton/store/sqlite"
	"baton/store/storetest"
)

var (
	testServer *redistest.Server // the redis-server TestMain started
	startErr   error             // why it did not
)

func TestMain(m *testing.M) {
	testServer, startErr = redistest.Start(false)
	code := m.Run()
	if testServer != nil {
		testServer.Stop()
	}
	os.Exit(code)
}

// needRedis returns the test server's URL, or ends the test: skipped without redis-server, failed
// under CI or when it did not start.
func needRedis(t testing.TB) string {
	t.Helper()
	return redistest.Require(t, testServer, startErr).URL(0)
}

// openTest opens a store on the test server, closed when the test ends. With fresh set it first empties
// the database; a second "replica" opens without.
func openTest(t testing.TB, url string, fresh bool) *Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if fresh {
		if err := s.c.FlushDB(context.Background()).Err(); err != nil {
			t.Fatalf("FLUSHDB: %v", err)
		}
	}
	return s
}

func TestConformance(t *testing.T) {
	url := needRedis(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, url, true) })
}

// TestHolds checks claims on the store by two replicas' connections.
func TestHolds(t *testing.T) {
	url := needRedis(t)
	storetest.RunHolds(t, func(t *testing.T) (store.Store, store.Store) {
		return openTest(t, url, true), openTest(t, url, false)
	}, true)
}

// TestHoldLapses checks that a replica that crashed (it stops keeping its claim) blocks a migrate for
// the claim's TTL only, and that a replica whose claim lapsed while a migrate took the store learns it.
func TestHoldLapses(t *testing.T) {
	url := needRedis(t)
	a, b := openTest(t, url, true), openTest(t, url, false)
	a.holdTTL = 300 * time.Millisecond
	serving := store.Holder{Command: "serve", Serving: true, Host: "web1", PID: 1}
	crashed, err := a.Hold(t.Context(), serving)
	if err != nil {
		t.Fatal(err)
	}
	migrate := store.Holder{Command: "migrate", Host: "ops", PID: 2}
	var taken store.Hold
	if !waitUntil(10*time.Second, func() bool { taken, err = b.Hold(t.Context(), migrate); return err == nil }) {
		t.Fatalf("a migrate after the replica's claim lapsed: %v", err)
	}
	if err := crashed.Keep(t.Context()); !errors.Is(err, store.ErrHeld) {
		t.Fatalf("Keep of a lapsed claim while a migrate holds the store: %v, want ErrHeld", err)
	}
	if err := taken.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// waitUntil polls cond until it holds or timeout passes.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// TestMove moves an instance from SQLite into Redis and back.
func TestMove(t *testing.T) {
	url := needRedis(t)
	openRedis := func(t *testing.T) store.Movable { return openTest(t, url, true) }
	openSQLite := func(t *testing.T) store.Movable {
		s, err := sqlite.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	t.Run("FromSQLite", func(t *testing.T) { storetest.RunMove(t, openSQLite, openRedis) })
	t.Run("ToSQLite", func(t *testing.T) { storetest.RunMove(t, openRedis, openSQLite) })
}

// TestReplicasShareState checks that two stores on one Redis, as two replicas have, see each other's
// writes at once, and that the checks a write makes hold across them.
func TestReplicasShareState(t *testing.T) {
	url := needRedis(t)
	a, b := openTest(t, url, true), openTest(t, url, false)
	ctx := t.Context()
	now := time.Now()

	key, err := a.InitSetting(ctx, "instance-key", []byte("key-of-a"))
	mustEqual(t, "InitSetting on a", string(key), "key-of-a", err)
	key, err = b.InitSetting(ctx, "instance-key", []byte("key-of-b"))
	mustEqual(t, "InitSetting on b", string(key), "key-of-a", err)

	if err := a.CreateActor(ctx, store.Actor{Name: "xz", Kind: store.KindProject, Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateActor(ctx, store.Actor{Name: "xz", Kind: store.KindProject, Created: now}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateActor on b of an actor a created: %v, want ErrExists", err)
	}
	pem, err := b.InitActorKey(ctx, "xz", "pem-of-b")
	mustEqual(t, "InitActorKey on b", pem, "pem-of-b", err)
	pem, err = a.InitActorKey(ctx, "xz", "pem-of-a")
	mustEqual(t, "InitActorKey on a", pem, "pem-of-b", err)

	f := store.Follower{Local: "xz", Actor: "https://social.example/u", Inbox: "https://social.example/u/inbox", Created: now}
	if err := b.AddFollower(ctx, f); err != nil {
		t.Fatal(err)
	}
	n, err := a.CountFollowers(ctx, "xz")
	mustEqual(t, "CountFollowers on a after a follow on b", n, 1, err)

	ida, err := a.NextNoticeID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idb, err := b.NextNoticeID(ctx)
	if err != nil || idb <= ida {
		t.Fatalf("NextNoticeID on b = %d, %v after %d on a: want a greater id", idb, err, ida)
	}
	act := store.Activity{ID: "https://baton.example/xz/notices/1/activity", Signer: "xz", Body: []byte(`{}`)}
	queued, err := a.PublishNotice(ctx, store.Notice{ID: ida, Actor: "xz", Public: true, Document: []byte(`{}`), Published: now}, act, 0)
	mustEqual(t, "PublishNotice on a", queued, 1, err)
	ds, err := b.Claim(ctx, time.Now(), 10, time.Minute)
	if err != nil || len(ds) != 1 || ds[0].Inbox != f.Inbox || ds[0].Activity.ID != act.ID {
		t.Fatalf("Claim on b after PublishNotice on a = %+v, %v", ds, err)
	}
	if err := a.Complete(ctx, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	depth, err := b.QueueDepth(ctx)
	mustEqual(t, "QueueDepth on b after Complete on a", depth, 0, err)
}

func mustEqual[T comparable](t *testing.T, what string, got, want T, err error) {
	t.Helper()
	if err != nil || got != want {
		t.Fatalf("%s = %v, %v; want %v", what, got, err, want)
	}
}

// TestConcurrentClaimAcrossReplicas has 8 workers on two replicas claim 1,000 deliveries at once:
// each delivery is handed out exactly once.
func TestConcurrentClaimAcrossReplicas(t *testing.T) {
	url := needRedis(t)
	replicas := []*Store{openTest(t, url, true), openTest(t, url, false)}
	ctx := t.Context()
	const activities, inboxes, workers = 10, 100, 8
	for a := range activities {
		to := make([]string, inboxes)
		for i := range to {
			to[i] = fmt.Sprintf("https://host%03d.example/inbox", i)
		}
		act := store.Activity{ID: fmt.Sprintf("https://baton.example/activities/%d", a), Body: []byte(`{}`)}
		if err := replicas[a%2].Enqueue(ctx, act, to); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	claimed := make([][]store.Delivery, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				ds, err := replicas[w%2].Claim(ctx, now, 7, time.Hour)
				if err != nil {
					t.Errorf("worker %d: Claim: %v", w, err)
					return
				}
				if len(ds) == 0 {
					return
				}
				claimed[w] = append(claimed[w], ds...)
			}
		})
	}
	wg.Wait()

	byID := map[int64]int{}
	pairs := map[string]int{}
	for _, ds := range claimed {
		for _, d := range ds {
			byID[d.ID]++
			pairs[d.Activity.ID+" "+d.Inbox]++
		}
	}
	for id, n := range byID {
		if n != 1 {
			t.Errorf("delivery %d handed out %d times", id, n)
		}
	}
	if len(byID) != activities*inboxes || len(pairs) != activities*inboxes {
		t.Fatalf("%d deliveries (%d activity-inbox pairs) handed out, want %d", len(byID), len(pairs), activities*inboxes)
	}
	depth, err := replicas[0].QueueDepth(ctx)
	mustEqual(t, "QueueDepth", depth, activities*inboxes, err)
}

// TestPrefixesKeepApart checks that stores with other key prefixes share a Redis without seeing each
// other.
func TestPrefixesKeepApart(t *testing.T) {
	url := needRedis(t)
	a := openTest(t, url, true)
	b := openTest(t, url+"?prefix=other-baton:", false)
	ctx := t.Context()
	if err := a.CreateActor(ctx, store.Actor{Name: "xz", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Actor(ctx, "xz"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Actor under another prefix: %v, want ErrNotFound", err)
	}
	if err := b.CreateActor(ctx, store.Actor{Name: "xz", Created: time.Now()}); err != nil {
		t.Fatalf("CreateActor under another prefix: %v", err)
	}
	keys, err := a.c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, DefaultPrefix) && !strings.HasPrefix(k, "other-baton:") {
			t.Errorf("key %q has neither prefix", k)
		}
	}
}

func TestOpenRefusesBadURLs(t *testing.T) {
	for _, url := range []string{"http://localhost:6379/0", "redis://localhost:6379/zero", "redis://localhost:6379/0?unknown=1", "::"} {
		if s, err := Open(t.Context(), url); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", url)
		}
	}
}

// TestLuaKeysMatchGo checks that the scripts name the keys as the Go code does, escaping included.
func TestLuaKeysMatchGo(t *testing.T) {
	url := needRedis(t)
	s := openTest(t, url, true)
	const person, fpr, actor = "odd:na%me", "SHA256:ab:c", "https://social.example:8443/users/a"
	names := newScript(luaKeys, `return {K.actor(ARGV[2]), K.personKey(ARGV[2], ARGV[3]), K.personKeys(ARGV[2]),
		K.roles(ARGV[2]), K.roleSince(ARGV[2]), K.follower(ARGV[2], ARGV[4]), K.followers(ARGV[2]),
		K.inboxes(ARGV[2]), K.followsBy(ARGV[4]), K.notice(ARGV[5]), K.notices(ARGV[2]), K.publicNotices(ARGV[2]),
		K.statements, K.count('follows'), K.seq('notices'), K.activity(ARGV[5]), K.delivery(ARGV[5]),
		K.due, K.leased, K.failed, K.seen, K.upstream(ARGV[4]), K.upstreams, K.watch(ARGV[2]), K.watches,
		K.watchesOf(ARGV[4]), K.mirrored(ARGV[4]), K.mirroredOf(ARGV[4]), K.actors,
		K.rejected(ARGV[4], ARGV[3], ARGV[4]), K.rejectedOf(ARGV[4]), K.rejectedAt(ARGV[4], K.rejectedMember(ARGV[3], ARGV[2])),
		K.deliveriesOf(ARGV[4]), K.activityIDs, K.delivered, K.case(ARGV[5]), K.cases, K.holds('serving'),
		K.offer(ARGV[4]), K.offersOf(ARGV[2]), K.offerSlot(ARGV[5], '1', ARGV[4]),
		K.fanOut(ARGV[5]), K.fanOutInboxes(ARGV[5]), K.fanOuts}`)
	got, err := s.run(t.Context(), names, person, fpr, actor, "42").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	k := s.k
	want := []string{k.actor(person), k.personKey(person, fpr), k.personKeys(person),
		k.roles(person), k.roleSince(person), k.follower(person, actor), k.followers(person),
		k.inboxes(person), k.followsBy(actor), k.notice(42), k.notices(person), k.publicNotices(person),
		k.statements(), k.count("follows"), k.seq("notices"), k.activity("42"), k.delivery("42"),
		k.queue("due"), k.queue("leased"), k.queue("failed"), k.seen(), k.upstream(actor), k.upstreams(), k.watch(person), k.watches(),
		k.watchesOf(actor), k.mirrored(actor), k.mirroredOf(actor), k.actors(),
		k.rejected(actor, fpr, actor), k.rejectedOf(actor), k.rejectedAt(actor, rejectedMember(fpr, person)),
		k.deliveriesOf(actor), k.activityIDs(), k.delivered(), k.reliefCase("42"), k.reliefCases(), k.holds("serving"),
		k.offer(actor), k.offersOf(person), k.offerSlot("42", "1", actor),
		k.fanOut("42"), k.fanOutInboxes("42"), k.queue("fanouts")}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Lua keys\n%q\nGo keys\n%q", got, want)
	}
	if k.follower("a:b", "c") == k.follower("a", "b:c") {
		t.Fatalf("two follows share the key %q", k.follower("a", "b:c"))
	}
}

// TestReadTimeout checks that a long fan-out script is not taken for a dead connection (and run
// again) unless the URL asks for a shorter read timeout.
func TestReadTimeout(t *testing.T) {
	url := needRedis(t)
	if got := openTest(t, url, false).c.Options().ReadTimeout; got != scriptReadTimeout {
		t.Errorf("read timeout %s, want %s", got, scriptReadTimeout)
	}
	if got := openTest(t, url+"?read_timeout=2s", false).c.Options().ReadTimeout; got != 2*time.Second {
		t.Errorf("read timeout with read_timeout=2s: %s", got)
	}
}
