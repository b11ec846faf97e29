package main

// End-to-end tests: the real binary, run as `baton serve` subprocesses on loopback, driven by the real
// client commands, federating with test peers (baton/internal/testpeer) that speak Mastodon's and
// GoToSocial's dialects and verify everything they receive without any of Baton's code.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/testpeer"
)

const hiatusText = "Lasse Collin steps back from XZ Utils for a while.\n\nNew commits deserve extra care."

// note is what the tests read of a delivered Note.
type note struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	AttributedTo string          `json:"attributedTo"`
	Content      string          `json:"content"`
	To           []string        `json:"to"`
	CC           []string        `json:"cc"`
	Tag          []noteTag       `json:"tag"`
	Proof        json.RawMessage `json:"proof"`
}

type noteTag struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Href string `json:"href"`
}

// checkCreate checks a delivered Create{Note} as Mastodon would render it, verifies the Note's proof
// independently, and returns the Note as delivered.
func checkCreate(t *testing.T, peer *testpeer.Peer, d testpeer.Delivery, project *testpeer.RemoteActor, noticeURL string) []byte {
	t.Helper()
	var create struct {
		Actor string   `json:"actor"`
		To    []string `json:"to"`
		CC    []string `json:"cc"`
	}
	json.Unmarshal(d.Body, &create)
	if d.Signer != project.ID || d.KeyID != project.KeyID || create.Actor != project.ID {
		t.Errorf("Create signed by %s (key %s), actor %s; want the project actor %s", d.Signer, d.KeyID, create.Actor, project.ID)
	}
	var n note
	if err := json.Unmarshal(d.Object, &n); err != nil {
		t.Fatalf("Create's object is not a Note: %v\n%s", err, d.Body)
	}
	if n.Type != "Note" || n.ID != noticeURL {
		t.Errorf("object is a %q with id %q; want a Note with id %s", n.Type, n.ID, noticeURL)
	}
	if n.AttributedTo != project.ID {
		t.Errorf("attributedTo = %q, want %s", n.AttributedTo, project.ID)
	}
	if !slices.Contains(n.To, testpeer.Public) || !slices.Contains(create.To, testpeer.Public) {
		t.Errorf("to = %v (Create: %v), want as:Public", n.To, create.To)
	}
	if !slices.Contains(n.CC, project.Followers) || !slices.Contains(create.CC, project.Followers) {
		t.Errorf("cc = %v (Create: %v), want the followers collection %s", n.CC, create.CC, project.Followers)
	}
	if !strings.Contains(n.Content, "Hiatus — XZ Utils") {
		t.Errorf("content does not say %q:\n%s", "Hiatus — XZ Utils", n.Content)
	}
	if !slices.ContainsFunc(n.Tag, func(tag noteTag) bool { return tag.Type == "Hashtag" && tag.Name == "#xz" && tag.Href != "" }) {
		t.Errorf("tag = %+v, want a Hashtag #xz", n.Tag)
	}
	proofs, err := peer.VerifyNote(context.Background(), d.Object)
	if err != nil {
		t.Errorf("the Note's proof does not verify: %v", err)
	} else if len(proofs) == 0 || proofs[0].Controller != project.ID || proofs[0].Purpose != "assertionMethod" {
		t.Errorf("proofs = %+v, want one by the project actor", proofs)
	}
	return d.Object
}

func creates(peer *testpeer.Peer, noticeURL string) []testpeer.Delivery {
	var out []testpeer.Delivery
	for _, d := range peer.ReceivedOfType("Create") {
		if d.ObjectField("id") == noticeURL {
			out = append(out, d)
		}
	}
	return out
}

func noFailures(t testing.TB, peers ...*testpeer.Peer) {
	t.Helper()
	for _, p := range peers {
		for _, f := range p.Failures() {
			t.Errorf("the %v peer at %s refused %s (%d): %v", p.Dialect, p.Host, f.Path, f.Status, f.Err)
		}
	}
}

// Follow, Accept, delivery of a notice, fetching it, Undo: as Mastodon and as GoToSocial do them.
func TestE2EFollowDeliverUndo(t *testing.T) {
	t.Parallel()
	cases := []struct {
		dialect testpeer.Dialect
		// where the peer sends its Follow, on Baton
		followInbox string
		// where Baton delivers the notice, on the peer: one delivery per shared inbox
		deliveries []string
	}{
		{testpeer.Mastodon, "/users/xz/inbox", []string{"/inbox"}},
		{testpeer.GoToSocial, "/inbox", []string{"/users/alice/inbox", "/users/bob/inbox"}},
	}
	for _, tc := range cases {
		t.Run(tc.dialect.String(), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			in := startBaton(t)
			in.addProject("xz", "XZ Utils")
			peer := testpeer.New(t, tc.dialect, "alice", "bob")

			project, err := peer.Lookup(ctx, "@xz@"+in.addr)
			if err != nil {
				t.Fatalf("lookup: %v", err)
			}
			if project.ID != in.base+"/users/xz" || project.SharedInbox != in.base+"/inbox" ||
				project.KeyID != project.ID+"#main-key" || project.Followers != project.ID+"/followers" {
				t.Errorf("project actor = %+v", project)
			}

			var follows []*testpeer.Follow
			for i, name := range []string{"alice", "bob"} {
				f, err := peer.Follow(ctx, name, project)
				if err != nil {
					t.Fatalf("follow: %v", err)
				}
				if f.Inbox != in.base+tc.followInbox {
					t.Errorf("the peer sent its Follow to %s, want %s", f.Inbox, in.base+tc.followInbox)
				}
				follows = append(follows, f)
				var accept testpeer.Delivery
				if !testpeer.Wait(15*time.Second, func() (ok bool) { accept, ok = peer.Accepted(f); return ok }) {
					noFailures(t, peer)
					t.Fatalf("no Accept of %s's Follow", name)
				}
				if accept.Path != "/users/"+name+"/inbox" {
					t.Errorf("Accept went to %s, want the follower's own inbox", accept.Path)
				}
				if accept.KeyID != project.KeyID || !strings.Contains(accept.Header.Get("Signature"), `algorithm="rsa-sha256"`) {
					t.Errorf("Accept signed with %q", accept.Header.Get("Signature"))
				}
				if !sameJSON(accept.Object, withoutContext(t, f.Body)) {
					t.Errorf("the Accept's object is not the Follow as sent, trimmed:\n got %s\nwant %s", accept.Object, f.Body)
				}
				if got := in.followers("xz"); got != i+1 {
					t.Errorf("after %d follows, followers = %d", i+1, got)
				}
			}

			if tc.dialect == testpeer.GoToSocial {
				// GoToSocial answers 401 to unsigned GETs of its actors, so the follows above could only
				// have succeeded with signed fetches; check they were signed by the instance actor.
				var actorFetches int
				for _, f := range peer.Fetches() {
					if f.Path == "/users/alice" || f.Path == "/users/bob" {
						actorFetches++
						if !f.Signed || f.Err != nil || f.KeyID != in.base+"/actor#main-key" || f.Signer != in.base+"/actor" {
							t.Errorf("Baton fetched %s: signed %v by %q (%q): %v", f.Path, f.Signed, f.KeyID, f.Signer, f.Err)
						}
					}
				}
				if actorFetches == 0 {
					t.Error("Baton never fetched the followers' actor documents")
				}
			}

			url, queued := in.postNotice("xz", "hiatus", hiatusText, "--since", time.Now().UTC().Format("2006-01-02"), "--until", time.Now().AddDate(0, 6, 0).Format("2006-01-02"))
			if queued != len(tc.deliveries) {
				t.Errorf("queued for %d inboxes, want %d", queued, len(tc.deliveries))
			}
			if !testpeer.Wait(15*time.Second, func() bool { return len(creates(peer, url)) >= len(tc.deliveries) }) {
				noFailures(t, peer)
				t.Fatalf("the notice reached %d inboxes, want %d", len(creates(peer, url)), len(tc.deliveries))
			}
			in.waitQueueEmpty(15 * time.Second)
			got := creates(peer, url)
			var paths []string
			for _, d := range got {
				paths = append(paths, d.Path)
			}
			sort.Strings(paths)
			if !slices.Equal(paths, tc.deliveries) {
				t.Errorf("the notice was delivered to %v, want exactly %v", paths, tc.deliveries)
			}
			delivered := checkCreate(t, peer, got[0], project, url)

			// The notice stays fetchable at its id, as delivered, and is a page for people.
			for _, accept := range []string{"application/activity+json", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`} {
				status, h, body := in.get(url, accept)
				if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/activity+json") {
					t.Errorf("GET %s (Accept %s): %d %s", url, accept, status, h.Get("Content-Type"))
				} else if !sameJSON(body, delivered) {
					t.Errorf("the notice at its id differs from the one delivered:\n got %s\nwant %s", body, delivered)
				} else if !bytes.Equal(bytes.TrimSpace(body), bytes.TrimSpace(delivered)) {
					t.Logf("note: the notice at its id has the same JSON as the one delivered, but not the same bytes")
				}
			}
			if fetched, err := peer.Get(ctx, url); err != nil || !sameJSON(fetched, delivered) {
				t.Errorf("the peer's own fetch of %s: %v", url, err)
			}
			status, h, body := in.get(url, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
			if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "XZ Utils") {
				t.Errorf("GET %s as a browser: %d %s\n%.300s", url, status, h.Get("Content-Type"), body)
			}

			// Undo: no followers left, and the next notice goes nowhere.
			for _, f := range follows {
				if err := peer.Undo(ctx, f); err != nil {
					t.Fatalf("undo: %v", err)
				}
			}
			in.waitFollowers("xz", 0)
			before := peer.Attempts()
			url2, queued := in.postNotice("xz", "return", "Lasse Collin is back.")
			if queued != 0 {
				t.Errorf("a notice with no followers was queued for %d inboxes", queued)
			}
			in.waitQueueEmpty(10 * time.Second)
			if n := len(creates(peer, url2)); n != 0 || peer.Attempts() != before {
				t.Errorf("after Undo, the peer still got %d deliveries of the second notice (%d POSTs)", n, peer.Attempts()-before)
			}
			noFailures(t, peer)
		})
	}
}

// A remote actor that deletes itself stops following every project.
func TestE2EActorDelete(t *testing.T) {
	t.Parallel()
	for _, dialect := range []testpeer.Dialect{testpeer.Mastodon, testpeer.GoToSocial} {
		t.Run(dialect.String(), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			in := startBaton(t)
			in.addProject("xz", "XZ Utils")
			in.addProject("libarchive", "libarchive")
			peer := testpeer.New(t, dialect, "alice", "bob")
			var follows []*testpeer.Follow
			for _, project := range []string{"xz", "libarchive"} {
				target, err := peer.Lookup(ctx, "@"+project+"@"+in.addr)
				if err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{"alice", "bob"} {
					f, err := peer.Follow(ctx, name, target)
					if err != nil {
						t.Fatal(err)
					}
					follows = append(follows, f)
				}
			}
			if !testpeer.Wait(15*time.Second, func() bool {
				for _, f := range follows {
					if _, ok := peer.Accepted(f); !ok {
						return false
					}
				}
				return true
			}) {
				t.Fatal("not every Follow was accepted")
			}
			in.waitFollowers("xz", 2)
			in.waitFollowers("libarchive", 2)

			if err := peer.Delete(ctx, "alice"); err != nil {
				t.Fatalf("delete: %v", err)
			}
			in.waitFollowers("xz", 1)
			in.waitFollowers("libarchive", 1)

			// bob is still there: a notice reaches him.
			url, queued := in.postNotice("xz", "hiatus", hiatusText)
			if queued != 1 {
				t.Errorf("queued for %d inboxes, want 1", queued)
			}
			if !testpeer.Wait(15*time.Second, func() bool { return len(creates(peer, url)) == 1 }) {
				t.Error("the notice did not reach the remaining follower")
			}
			in.waitQueueEmpty(10 * time.Second)
			for _, d := range creates(peer, url) {
				if d.Path == "/users/alice/inbox" {
					t.Error("the notice was delivered to the deleted actor's inbox")
				}
			}
			noFailures(t, peer)
		})
	}
}

// Hostile requests to both inboxes get the status Mastodon would give, with a JSON error, and change
// nothing.
func TestE2EHostileInbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := startBaton(t)
	projectID := in.addProject("xz", "XZ Utils")
	peer := testpeer.New(t, testpeer.Mastodon, "alice", "mallory")
	in.followProject(peer, "alice", "xz")
	in.waitFollowers("xz", 1)
	in.waitQueueEmpty(10 * time.Second)

	mallory := peer.ActorID("mallory")
	// Every row but one carries a Follow by mallory: had Baton believed any of them, she would follow.
	followBy := func(actor string) []byte {
		return []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Follow","actor":%q,"object":%q}`,
			peer.NewID("mallory", "follow"), actor, projectID))
	}
	huge := func() []byte {
		return []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Follow","actor":%q,"object":%q,"padding":"%s"}`,
			peer.NewID("mallory", "follow"), mallory, projectID, strings.Repeat("a", 1<<20)))
	}
	// A Delete of alice by alice, which only alice's key may sign.
	deleteAlice := func() []byte {
		return []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Delete","actor":%q,"object":%q}`,
			peer.NewID("mallory", "delete"), peer.ActorID("alice"), peer.ActorID("alice")))
	}
	now := time.Now()
	rows := []struct {
		name   string
		body   func() []byte
		opts   testpeer.PostOptions
		status int
	}{
		{"unsigned", func() []byte { return followBy(mallory) }, testpeer.PostOptions{Unsigned: true}, 401},
		{"wrong digest", func() []byte { return followBy(mallory) }, testpeer.PostOptions{As: "mallory", DigestOf: []byte(`{"type":"Follow"}`)}, 401},
		{"Date 2h old", func() []byte { return followBy(mallory) }, testpeer.PostOptions{As: "mallory", Date: now.Add(-2 * time.Hour)}, 401},
		{"Date 2h ahead", func() []byte { return followBy(mallory) }, testpeer.PostOptions{As: "mallory", Date: now.Add(2 * time.Hour)}, 401},
		{"signed by another actor", func() []byte { return followBy(mallory) }, testpeer.PostOptions{As: "alice"}, 401},
		{"body over 1 MiB", huge, testpeer.PostOptions{As: "mallory"}, 413},
		{"malformed JSON", func() []byte { return []byte(`{"id":"x","type":"Follow","actor":` + `"` + mallory + `",`) }, testpeer.PostOptions{As: "mallory"}, 400},
		{"Content-Type text/plain", func() []byte { return followBy(mallory) }, testpeer.PostOptions{As: "mallory", ContentType: "text/plain"}, 415},
		{"unknown type Frobnicate", func() []byte {
			return []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Frobnicate","actor":%q,"object":%q}`,
				peer.NewID("mallory", "frob"), mallory, projectID))
		}, testpeer.PostOptions{As: "mallory"}, 202},
		// A forged Delete of a follower, signed by mallory under a keyId that answers 404 (on her own host,
		// or any missing actor on the victim's): no key, so nothing verifies it, and it must change nothing.
		{"forged Delete, keyId 404 on the sender's host", deleteAlice,
			testpeer.PostOptions{As: "mallory", KeyID: peer.URL + "/users/ghost#main-key"}, 401},
		{"forged Delete, keyId 404 on the victim's host", deleteAlice,
			testpeer.PostOptions{As: "mallory", KeyID: peer.URL + "/users/nobody-here/main-key"}, 401},
	}
	for _, inbox := range []string{"/inbox", "/users/xz/inbox"} {
		for _, row := range rows {
			t.Run(strings.TrimPrefix(inbox, "/")+"/"+row.name, func(t *testing.T) {
				resp, err := peer.Post(ctx, in.base+inbox, row.body(), row.opts)
				if err != nil {
					t.Fatalf("POST: %v", err)
				}
				if resp.Status != row.status {
					t.Errorf("status %d, want %d: %s", resp.Status, row.status, resp.Body)
				}
				if row.status >= 400 {
					if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.ErrorMessage() == "" {
						t.Errorf("answer is not a JSON error: %s %s", resp.Header.Get("Content-Type"), resp.Body)
					}
				} else if resp.ErrorMessage() != "" {
					t.Errorf("a 2xx answer with an error: %s", resp.Body)
				}
			})
		}
	}
	if got := in.followers("xz"); got != 1 {
		t.Errorf("after the hostile requests, followers = %d, want 1", got)
	}
	// An inbox queues what it answers before it answers, and a delivery stays in the queue until the
	// peer has taken it: with the queue empty, an Accept queued by mistake is in the peer's hands.
	if depth := in.metric("baton_delivery_queue_depth"); depth != 0 {
		t.Errorf("after the hostile requests, %v deliveries are queued, want none", depth)
	}
	for _, d := range peer.ReceivedOfType("Accept") {
		if d.Path != "/users/alice/inbox" {
			t.Errorf("Baton sent an Accept to %s", d.Path)
		}
	}
	noFailures(t, peer)
}

// A restart on the same data folder keeps followers, keys and the admin token, and delivers.
func TestE2ERestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := startBaton(t)
	in.addProject("xz", "XZ Utils")
	peer := testpeer.New(t, testpeer.Mastodon, "alice")
	project := in.followProject(peer, "alice", "xz")
	url1, _ := in.postNotice("xz", "hiatus", hiatusText)
	if !testpeer.Wait(15*time.Second, func() bool { return len(creates(peer, url1)) == 1 }) {
		t.Fatal("the first notice was not delivered")
	}
	_, _, before := in.get(url1, "application/activity+json")

	in.stop()
	if !strings.Contains(in.log.String(), "shutting down") {
		t.Error("baton did not log its shutdown")
	}
	in.start()

	if got := in.followers("xz"); got != 1 {
		t.Errorf("after a restart, followers = %d, want 1", got)
	}
	again, err := peer.Lookup(ctx, "@xz@"+in.addr)
	if err != nil {
		t.Fatal(err)
	}
	if !again.PublicKey.Equal(project.PublicKey) {
		t.Error("the project's RSA key changed across a restart (Mastodon would refollow)")
	}
	if _, _, after := in.get(url1, "application/activity+json"); !bytes.Equal(before, after) {
		t.Errorf("the first notice changed across a restart:\n%s\n%s", before, after)
	}
	url2, queued := in.postNotice("xz", "return", "Lasse Collin is back.") // the admin token still works
	if queued != 1 {
		t.Errorf("queued for %d inboxes, want 1", queued)
	}
	if !testpeer.Wait(15*time.Second, func() bool { return len(creates(peer, url2)) == 1 }) {
		t.Fatal("a notice posted after the restart was not delivered")
	}
	if got := creates(peer, url2); got[0].Signer != project.ID {
		t.Errorf("signed by %s", got[0].Signer)
	}
	// A wrong token is still refused.
	req, _ := http.NewRequest(http.MethodPost, in.base+"/api/v1/projects", strings.NewReader(`{"name":"evil"}`))
	req.Header.Set("Authorization", "Bearer not-the-token")
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a wrong admin token: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	noFailures(t, peer)
}

// A crash in the middle of a fan-out loses no delivery: what was leased comes back when the lease
// ends, what was not taken is taken after the restart.
func TestE2ECrashMidFanOut(t *testing.T) {
	t.Parallel()
	// Four workers and peers that take 100ms to answer deliver at most 40 a second: when the crash
	// comes, soon after the 15th delivery, most of the 60 are still to go, some of them leased.
	const (
		nPeers      = 60
		crashAfter  = 15
		answerDelay = 100 * time.Millisecond
	)
	ctx := context.Background()
	in := startBaton(t, "--workers", "4", "--delivery-lease", "3s")
	in.addProject("xz", "XZ Utils")

	// A host for each follower. Their RSA keys take a while to make: in parallel.
	peers := make([]*testpeer.Peer, nPeers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var setupErr atomic.Value
	for i := range peers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p, err := testpeer.Start(testpeer.Mastodon, "follower")
			if err != nil {
				setupErr.Store(err)
				return
			}
			peers[i] = p
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, p := range peers {
			if p != nil {
				p.Close()
			}
		}
	})
	if err := setupErr.Load(); err != nil {
		t.Fatal(err)
	}
	project, err := peers[0].Lookup(ctx, "@xz@"+in.addr)
	if err != nil {
		t.Fatal(err)
	}
	follows := make([]*testpeer.Follow, nPeers)
	for i, p := range peers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			f, err := p.Follow(ctx, "follower", project)
			if err != nil {
				setupErr.Store(err)
				return
			}
			follows[i] = f
		})
	}
	wg.Wait()
	if err := setupErr.Load(); err != nil {
		t.Fatal(err)
	}
	if !testpeer.Wait(60*time.Second, func() bool {
		for i, p := range peers {
			if _, ok := p.Accepted(follows[i]); !ok {
				return false
			}
		}
		return true
	}) {
		t.Fatal("not every Follow was accepted")
	}
	in.waitFollowers("xz", nPeers)
	in.waitQueueEmpty(30 * time.Second)

	for _, p := range peers {
		p.SetDelay(answerDelay)
	}
	start := time.Now()
	url, queued := in.postNotice("xz", "hiatus", hiatusText)
	if queued != nPeers {
		t.Fatalf("queued for %d inboxes, want %d", queued, nPeers)
	}
	have := func() (n int, missing []string) {
		for _, p := range peers {
			if len(creates(p, url)) > 0 {
				n++
			} else {
				missing = append(missing, p.Host)
			}
		}
		return n, missing
	}
	var atCrash int
	if !waitFor(60*time.Second, func() bool { atCrash, _ = have(); return atCrash >= crashAfter }) {
		t.Fatalf("only %d of %d peers received the notice in 60s, before any crash", atCrash, nPeers)
	}
	in.kill()
	atCrash, _ = have()
	t.Logf("SIGKILL %s after posting, when %d of %d peers had the notice", time.Since(start).Round(time.Millisecond), atCrash, nPeers)
	if atCrash >= nPeers {
		t.Fatalf("every peer had the notice before the crash: the test proved nothing (make the peers slower)")
	}

	in.start()
	restarted := time.Now()
	var n int
	var missing []string
	if !waitFor(90*time.Second, func() bool { n, missing = have(); return n == nPeers }) {
		if len(missing) > 10 {
			missing = append(missing[:10], "…")
		}
		t.Fatalf("after the restart, %d of %d peers never received the notice (%d did); missing: %v",
			nPeers-n, nPeers, n, missing)
	}
	dups, abandoned := 0, 0
	for _, p := range peers {
		abandoned += p.Abandoned()
		dups += len(creates(p, url)) - 1
		for _, d := range creates(p, url) {
			if d.Signer != project.ID {
				t.Errorf("%s got a Create signed by %s", p.Host, d.Signer)
			}
		}
	}
	t.Logf("every peer has the notice %s after the restart; %d deliveries were cut off by the crash, %d arrived twice",
		time.Since(restarted).Round(time.Millisecond), abandoned, dups)
	in.waitQueueEmpty(30 * time.Second)
}

// withoutContext is a JSON document without its @context: what an Accept embeds of a Follow.
func withoutContext(t *testing.T, doc []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "@context")
	out, _ := json.Marshal(m)
	return out
}
