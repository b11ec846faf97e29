package outbox

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
	"baton/store/sqlite"
)

// clock is a settable clock shared by the outbox and the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// inbox is a receiving server that answers with the statuses it is given, in turn, then 202.
type inbox struct {
	*httptest.Server
	mu       sync.Mutex
	answers  []int
	headers  http.Header
	received [][]byte
	signers  []string
}

func newInbox(t *testing.T, pub func(keyID string) ed25519.PublicKey, answers ...int) *inbox {
	ib := &inbox{answers: answers, headers: http.Header{}}
	ib.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ib.mu.Lock()
		defer ib.mu.Unlock()
		for k, v := range ib.headers {
			w.Header()[k] = v
		}
		if len(ib.answers) > 0 {
			status := ib.answers[0]
			ib.answers = ib.answers[1:]
			w.WriteHeader(status)
			return
		}
		ib.received = append(ib.received, body)
		ib.signers = append(ib.signers, r.Header.Get("Signature"))
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(ib.Close)
	return ib
}

func (ib *inbox) count() int {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	return len(ib.received)
}

// fixture is an outbox over a real SQLite store, with a project "xz" and a settable clock.
type fixture struct {
	store   store.Store
	outbox  *Outbox
	clock   *clock
	reg     *prometheus.Registry
	urls    federation.URLs
	project store.Actor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	urls, err := federation.NewURLs("https://notices.example.org")
	if err != nil {
		t.Fatal(err)
	}
	_, pemText, err := federation.NewRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	project := store.Actor{Name: "xz", Kind: "project", DisplayName: "XZ Utils", RSAKeyPEM: pemText,
		Ed25519Seed: make([]byte, ed25519.SeedSize), Created: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := st.CreateActor(context.Background(), project); err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}
	reg := prometheus.NewRegistry()
	ob := New(Options{Store: st, URLs: urls, Now: c.Now, Metrics: NewMetrics(reg, st),
		Client: federation.NewClient(federation.ClientOptions{AllowPrivate: true}),
		Config: Config{Workers: 2, PollEvery: 5 * time.Millisecond, Lease: time.Minute}})
	return &fixture{store: st, outbox: ob, clock: c, reg: reg, urls: urls, project: project}
}

// follow adds a follower whose inbox is ib.
func (f *fixture) follow(t *testing.T, name string, ib *inbox) {
	t.Helper()
	err := f.store.AddFollower(context.Background(), store.Follower{Local: "xz", Actor: ib.URL + "/users/" + name,
		Inbox: ib.URL + "/users/" + name + "/inbox", SharedInbox: ib.URL + "/inbox", FollowID: ib.URL + "/follows/" + name})
	if err != nil {
		t.Fatal(err)
	}
}

// run starts delivering until the test ends.
func (f *fixture) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.outbox.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitFor polls cond for up to 10 seconds of real time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fixture) outcome(label string) float64 {
	return testutil.ToFloat64(f.outbox.metrics.deliveries.WithLabelValues(label))
}

func (f *fixture) depth(t *testing.T) int {
	n, err := f.store.QueueDepth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// publicCall is a notice that leaves the project's status as it was.
func publicCall() notice.Notice {
	return notice.Notice{Project: "xz", Kind: notice.CallForStewards, Text: "We look for a reviewer.", Role: "reviewer", Public: true,
		Scope: []notice.Right{notice.RightCommit}, Term: notice.Term{Months: 6}}
}

func hiatus() notice.Notice {
	return notice.Notice{Project: "xz", Kind: notice.Hiatus, Text: "Stepping back for a while.",
		Until: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}
}

func TestPublishedNoteIsSignedAndDeliveredOncePerSharedInbox(t *testing.T) {
	f := newFixture(t)
	ib := newInbox(t, nil)
	f.follow(t, "alice", ib)
	f.follow(t, "bob", ib) // same shared inbox
	f.run(t)
	pub, err := f.outbox.PublishNotice(context.Background(), publicCall())
	if err != nil {
		t.Fatal(err)
	}
	if pub.Queued != 1 {
		t.Fatalf("queued %d deliveries for two followers on one shared inbox, want 1", pub.Queued)
	}
	waitFor(t, "the delivery", func() bool { return ib.count() == 1 && f.depth(t) == 0 })

	var create struct {
		Type   string          `json:"type"`
		Actor  string          `json:"actor"`
		Object json.RawMessage `json:"object"`
		To     []string        `json:"to"`
	}
	if err := json.Unmarshal(ib.received[0], &create); err != nil {
		t.Fatal(err)
	}
	if create.Type != "Create" || create.Actor != f.urls.Actor("xz") || create.To[0] != federation.Public {
		t.Errorf("delivered %s by %s to %v; want a public Create by the project", create.Type, create.Actor, create.To)
	}
	if string(create.Object) != string(pub.Notice.Document) {
		t.Errorf("the delivered Note differs from the stored one")
	}
	key := ed25519.NewKeyFromSeed(f.project.Ed25519Seed).Public().(ed25519.PublicKey)
	if _, err := proof.Verify(create.Object, func(vm string) (ed25519.PublicKey, error) {
		if vm != f.urls.ProofKey("xz") {
			return nil, errors.New("unexpected key " + vm)
		}
		return key, nil
	}); err != nil {
		t.Errorf("the Note's proof does not verify: %v", err)
	}
	if !strings.Contains(ib.signers[0], `keyId="https://notices.example.org/users/xz#main-key"`) {
		t.Errorf("delivery signed as %s, want the project's main key", ib.signers[0])
	}
}

func TestDeliveryOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		answers    []int
		retryAfter string
		// after the first attempt
		wantOutcome  string
		wantDepth    int
		advance      time.Duration // then the clock moves on by this much
		wantReceived int           // and this many deliveries arrive
	}{
		{name: "server error is retried after the backoff", answers: []int{503}, wantOutcome: "retry", wantDepth: 1,
			advance: Backoff(1) * 2, wantReceived: 1},
		{name: "unauthorized is retried", answers: []int{401}, wantOutcome: "retry", wantDepth: 1,
			advance: Backoff(1) * 2, wantReceived: 1},
		{name: "too many requests waits for Retry-After", answers: []int{429}, retryAfter: "3600", wantOutcome: "retry",
			wantDepth: 1, advance: 30 * time.Minute, wantReceived: 0},
		{name: "not found is given up at once", answers: []int{404}, wantOutcome: "failed", wantDepth: 0,
			advance: 24 * time.Hour, wantReceived: 0},
		{name: "gone is given up at once", answers: []int{410}, wantOutcome: "failed", wantDepth: 0,
			advance: 24 * time.Hour, wantReceived: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ib := newInbox(t, nil, tt.answers...)
			if tt.retryAfter != "" {
				ib.headers.Set("Retry-After", tt.retryAfter)
			}
			f.follow(t, "alice", ib)
			f.run(t)
			if _, err := f.outbox.PublishNotice(context.Background(), publicCall()); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the first attempt's outcome", func() bool { return f.outcome(tt.wantOutcome) == 1 })
			if got := f.depth(t); got != tt.wantDepth {
				t.Fatalf("queue depth %d after the first attempt, want %d", got, tt.wantDepth)
			}
			ib.headers.Del("Retry-After")
			f.clock.Advance(tt.advance)
			f.outbox.Nudge()
			if tt.wantReceived > 0 {
				waitFor(t, "the retried delivery", func() bool { return ib.count() == tt.wantReceived })
				return
			}
			time.Sleep(50 * time.Millisecond) // some dispatcher polls
			if got := ib.count(); got != 0 {
				t.Fatalf("%d deliveries arrived, want none", got)
			}
		})
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	f := newFixture(t)
	f.outbox.cfg.MaxAttempts = 3
	ib := newInbox(t, nil, 500, 500, 500, 500)
	f.follow(t, "alice", ib)
	f.run(t)
	if _, err := f.outbox.PublishNotice(context.Background(), publicCall()); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt < 3; attempt++ {
		waitFor(t, "a retry", func() bool { return f.outcome("retry") == float64(attempt) })
		f.clock.Advance(Backoff(attempt) * 2)
		f.outbox.Nudge()
	}
	waitFor(t, "giving up", func() bool { return f.outcome("failed") == 1 })
	if f.depth(t) != 0 {
		t.Fatalf("a given-up delivery is still counted in the queue")
	}
}

func TestBreakerPausesAFailingHost(t *testing.T) {
	var b breakers
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b.now = func() time.Time { return now }
	for i := 0; i < breakerThreshold-1; i++ {
		b.record("down.example", false)
	}
	if !b.allow("down.example") {
		t.Fatalf("breaker opened after %d failures, want %d", breakerThreshold-1, breakerThreshold)
	}
	b.record("down.example", false)
	if b.allow("down.example") {
		t.Fatalf("breaker still closed after %d failures", breakerThreshold)
	}
	if !b.allow("up.example") {
		t.Fatalf("one host's failures paused another host")
	}
	now = now.Add(breakerOpenFor)
	if !b.allow("down.example") {
		t.Fatalf("breaker still open after %s", breakerOpenFor)
	}
	b.record("down.example", false) // the trial fails: open again at once
	if b.allow("down.example") {
		t.Fatalf("a failed trial did not reopen the breaker")
	}
	now = now.Add(breakerOpenFor)
	b.record("down.example", true)
	if !b.allow("down.example") || len(b.hosts) != 0 {
		t.Fatalf("a success did not close and forget the breaker")
	}
}

func TestBackoffGrowsAsMastodons(t *testing.T) {
	prev := time.Duration(0)
	var total time.Duration
	for n := 1; n <= 16; n++ {
		d := Backoff(n)
		base := time.Duration(n*n*n*n+15) * time.Second
		if d < base || d > base+base/10 {
			t.Fatalf("Backoff(%d) = %s, want between %s and %s", n, d, base, base+base/10)
		}
		if d <= prev {
			t.Fatalf("Backoff(%d) = %s is not longer than Backoff(%d) = %s", n, d, n-1, prev)
		}
		prev = d
		total += d
	}
	if total < 60*time.Hour || total > 90*time.Hour {
		t.Fatalf("16 attempts span %s, want about three days", total)
	}
}

func TestStatusChangeUpdatesTheProfile(t *testing.T) {
	f := newFixture(t)
	ib := newInbox(t, nil)
	f.follow(t, "alice", ib)
	f.follow(t, "bob", ib) // the same shared inbox: one Update for both
	f.run(t)
	ctx := context.Background()
	if _, err := f.outbox.PublishNotice(ctx, hiatus()); err != nil {
		t.Fatal(err)
	}
	// The notice goes first; the Update waits a few seconds after it.
	waitFor(t, "the notice", func() bool { return ib.count() == 1 && f.depth(t) == 1 })
	if got := deliveredTypes(t, ib); got[0] != "Create" {
		t.Fatalf("first delivery is a %s, want the notice's Create", got[0])
	}
	f.clock.Advance(updateAfter)
	waitFor(t, "the profile update", func() bool { return ib.count() == 2 && f.depth(t) == 0 })
	wantStatus(t, ib.received[1], f.urls.Actor("xz"), "no maintainer named yet; hiatus until 2024-06-01")

	// A notice that leaves the status as it was sends no Update.
	if _, err := f.outbox.PublishNotice(ctx, publicCall()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second notice", func() bool { return ib.count() == 3 && f.depth(t) == 0 })

	// Two changes within the minute after that Update make one Update, of where they ended, when the
	// minute is over.
	f.clock.Advance(10 * time.Second)
	back := notice.Notice{Project: "xz", Kind: notice.Return, Text: "Back."}
	if _, err := f.outbox.PublishNotice(ctx, back); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * time.Second)
	if _, err := f.outbox.PublishNotice(ctx, hiatus()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the two notices", func() bool { return ib.count() == 5 && f.depth(t) == 1 })
	f.clock.Advance(profileUpdateEvery - 20*time.Second - updateAfter - time.Second)
	time.Sleep(50 * time.Millisecond) // several polls: nothing is due yet
	if n := ib.count(); n != 5 {
		t.Fatalf("%d deliveries before the minute was over, want 5", n)
	}
	f.clock.Advance(time.Second)
	waitFor(t, "the Update of both changes", func() bool { return ib.count() == 6 && f.depth(t) == 0 })
	wantStatus(t, ib.received[5], f.urls.Actor("xz"), "no maintainer named yet; hiatus until 2024-06-01")
}

// deliveredTypes lists the types of the activities ib received, in order.
func deliveredTypes(t *testing.T, ib *inbox) []string {
	t.Helper()
	ib.mu.Lock()
	defer ib.mu.Unlock()
	var out []string
	for _, body := range ib.received {
		var a struct{ Type string }
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a.Type)
	}
	return out
}

// wantStatus checks that body is an Update of the actor id with the Status field status.
func wantStatus(t *testing.T, body []byte, id, status string) {
	t.Helper()
	var a struct {
		Type   string `json:"type"`
		Object struct {
			ID         string `json:"id"`
			Attachment []struct {
				Name, Value string
			} `json:"attachment"`
		} `json:"object"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	if a.Type != "Update" || a.Object.ID != id || len(a.Object.Attachment) == 0 ||
		a.Object.Attachment[0].Name != "Status" || a.Object.Attachment[0].Value != status {
		t.Fatalf("%s of %s with fields %+v; want an Update of %s with Status %q", a.Type, a.Object.ID, a.Object.Attachment, id, status)
	}
}

func TestRefusesWhatTheAdminMayNotSay(t *testing.T) {
	f := newFixture(t)
	n := notice.Notice{Project: "xz", Kind: notice.ReliefRequest, Text: "I need help with reviews."}
	if _, err := f.outbox.PublishNotice(context.Background(), n); !errors.Is(err, notice.ErrReliefByCase) {
		t.Fatalf("relief request: err = %v, want ErrReliefByCase", err)
	}
	call := publicCall()
	call.Public = false
	if _, err := f.outbox.PublishNotice(context.Background(), call); !errors.Is(err, ErrNoStewards) {
		t.Fatalf("call for stewards alone: err = %v, want ErrNoStewards", err)
	}
	if n, _ := f.store.CountNotices(context.Background(), "xz", false); n != 0 {
		t.Fatalf("%d notices stored after refused notices", n)
	}
}

// A distro's notice about its packaging carries its words and dates; the fields that say who holds
// what upstream are refused, each named, rather than dropped.
func TestPackageNoticeRefusesTheUpstreamsFields(t *testing.T) {
	words := notice.Notice{Project: "xz-utils", Kind: notice.Handover, Text: "The upstream handover is endorsed."}
	if err := packageNotice(words); err != nil {
		t.Errorf("a package's words about a handover: %v", err)
	}
	scrutiny := notice.Notice{Project: "xz-utils", Kind: notice.Scrutiny, Text: "Held at 5.4.5.", Reason: "the handover is reviewed"}
	if err := packageNotice(scrutiny); err != nil {
		t.Errorf("a package's scrutiny with a reason: %v", err)
	}
	fields := words
	fields.To, fields.Scope = []string{"https://n.example/users/jia"}, []notice.Right{notice.RightCommit}
	if err := packageNotice(fields); err == nil || !strings.Contains(err.Error(), "--scope, --to belong to the upstream's own notices") {
		t.Errorf("a package's handover with --to and --scope: %v", err)
	}
	call := notice.Notice{Project: "xz-utils", Kind: notice.CallForStewards, Text: "Wanted.", Role: "reviewer"}
	if err := packageNotice(call); err == nil || !strings.Contains(err.Error(), "needs --public") {
		t.Errorf("a package's call for stewards alone: %v", err)
	}
}
