package main

// Attacks on a distro instance's mirror of its upstreams: forged, replayed and tampered notices,
// statements by people the upstream never named, a project key changed behind the distro's back, and
// the distro or the upstream going away and coming back. Every refused notice leaves the distro's state,
// its watches and its packagers exactly as they were.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"baton/federation"
	"baton/federation/httpsign"
	"baton/federation/proof"
	"baton/internal/testpeer"
	"baton/notice"
	"baton/store/sqlite" // also registers the "sqlite" database/sql driver
)

// projectKeys are a project's private keys, read from its instance's database: what an attacker who
// took the instance over, or the tests playing the upstream, sign with.
type projectKeys struct {
	actor string
	rsa   crypto.Signer      // HTTP signatures, keyId ACTOR#main-key
	proof ed25519.PrivateKey // the Note's proof, ACTOR#ed25519-key
}

// projectKeysOf reads a project's keys from a running instance's SQLite file (WAL lets a second
// reader in beside the server).
func projectKeysOf(t *testing.T, in *instance, name string) projectKeys {
	t.Helper()
	st, err := sqlite.Open(in.dir)
	if err != nil {
		t.Fatalf("open the database of %s: %v", in.addr, err)
	}
	defer st.Close()
	a, err := st.Actor(context.Background(), name)
	if err != nil {
		t.Fatalf("actor %s in the database of %s: %v", name, in.addr, err)
	}
	key, err := federation.ParsePrivateKeyPEM(a.RSAKeyPEM)
	if err != nil {
		t.Fatalf("RSA key of %s: %v", name, err)
	}
	if len(a.Ed25519Seed) != ed25519.SeedSize {
		t.Fatalf("%s has a %d-byte Ed25519 seed", name, len(a.Ed25519Seed))
	}
	return projectKeys{actor: in.base + "/users/" + name, rsa: key, proof: ed25519.NewKeyFromSeed(a.Ed25519Seed)}
}

// inboxAnswer is an inbox's answer to a POST.
type inboxAnswer struct {
	Status int
	Error  string `json:"error"`
	Label  string `json:"status"`
	Detail string `json:"detail"`
	body   []byte
}

func (a inboxAnswer) String() string { return fmt.Sprintf("%d %s", a.Status, bytes.TrimSpace(a.body)) }

// postSignedActivity POSTs an activity to an inbox with an HTTP signature by key under keyID.
func postSignedActivity(t *testing.T, inbox string, body []byte, keyID string, key crypto.PrivateKey) inboxAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Accept", "application/activity+json")
	if err := httpsign.Sign(req, body, keyID, key, time.Now()); err != nil {
		t.Fatalf("sign the POST to %s: %v", inbox, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", inbox, err)
	}
	defer resp.Body.Close()
	answer := inboxAnswer{Status: resp.StatusCode}
	answer.body, _ = io.ReadAll(resp.Body)
	if err := json.Unmarshal(answer.body, &answer); err != nil {
		t.Fatalf("the inbox answered %d with no JSON: %s", resp.StatusCode, answer.body)
	}
	return answer
}

// sendAsUpstream delivers an activity to the distro's shared inbox as the upstream's instance would:
// signed with the project's own RSA key.
func (d *distroSetup) sendAsUpstream(t *testing.T, keys projectKeys, activity []byte) inboxAnswer {
	t.Helper()
	return postSignedActivity(t, d.distro.base+"/inbox", activity, keys.actor+"#main-key", keys.rsa)
}

// wantRefused checks an inbox answer is an error with status and a message saying why.
func wantRefused(t *testing.T, a inboxAnswer, status int, why ...string) {
	t.Helper()
	t.Logf("the distro answered %s", a)
	if a.Status != status {
		t.Fatalf("the distro answered %s, want %d", a, status)
	}
	for _, w := range why {
		if !strings.Contains(a.Error, w) {
			t.Errorf("the distro's error %q does not say %q", a.Error, w)
		}
	}
}

// createOf wraps a Note in a Create by actor with a fresh activity id.
func createOf(t *testing.T, actor string, note []byte) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       actor + "#attacks/" + randomID(),
		"type":     "Create",
		"actor":    actor,
		"object":   json.RawMessage(note),
		"to":       []string{federation.Public},
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// members are a JSON object's members, to edit a document and write it again.
type members map[string]json.RawMessage

func parseMembers(t *testing.T, doc []byte) members {
	t.Helper()
	var m members
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, doc)
	}
	return m
}

func (m members) set(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	m[name] = raw
}

func (m members) bytes(t *testing.T) []byte {
	t.Helper()
	doc, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// resignNote edits a Note and signs it again with the project's key, as the project's instance would
// (or whoever holds that key): its old proof is dropped first.
func resignNote(t *testing.T, note []byte, keys projectKeys, edit func(members)) []byte {
	t.Helper()
	m := parseMembers(t, note)
	delete(m, "proof")
	edit(m)
	signed, err := proof.Sign(m.bytes(t), keys.proof, keys.actor+"#ed25519-key", time.Now())
	if err != nil {
		t.Fatalf("sign the Note: %v", err)
	}
	return signed
}

// distroView is what a distro shows of its xz-utils package: the verdict, the notices in effect, and
// how many notices it mirrored.
type distroView struct {
	Code     int
	Notices  []string
	Mirrored int
}

func (v distroView) String() string {
	return fmt.Sprintf("code %d, notices %v, %d mirrored", v.Code, v.Notices, v.Mirrored)
}

func (d *distroSetup) view(t *testing.T) distroView {
	t.Helper()
	status, _, body := d.distro.get("/api/v1/packages/xz-utils/state", "application/json")
	var state struct {
		Code    int      `json:"code"`
		Notices []string `json:"notices"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &state) != nil {
		t.Fatalf("GET the state of xz-utils: %d %s", status, body)
	}
	status, _, body = d.distro.get("/api/v1/watches", "application/json")
	var list struct {
		Watches []struct {
			Package string `json:"package"`
			Notices int    `json:"notices"`
		} `json:"watches"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &list) != nil {
		t.Fatalf("GET /api/v1/watches: %d %s", status, body)
	}
	v := distroView{Code: state.Code, Notices: state.Notices, Mirrored: -1}
	for _, w := range list.Watches {
		if w.Package == "xz-utils" {
			v.Mirrored = w.Notices
		}
	}
	return v
}

func (v distroView) equal(w distroView) bool {
	return v.Code == w.Code && slices.Equal(v.Notices, w.Notices) && v.Mirrored == w.Mirrored
}

// baseline is what a test compares the distro with after an attack.
type baseline struct {
	view      distroView
	announced []string
}

func (d *distroSetup) baseline(t *testing.T) baseline {
	t.Helper()
	return baseline{view: d.view(t), announced: d.announced()}
}

// unchanged checks that the distro's state, watches and packager are as they were. It first lets
// anything queued by mistake go out: the distro's inbox queues what an activity causes before it
// answers, and a delivery leaves the queue only once the packager has it, so with the queue empty an
// Announce made by mistake is in the packager's hands.
func (d *distroSetup) unchanged(t *testing.T, b baseline) {
	t.Helper()
	d.distro.waitQueueEmpty(20 * time.Second)
	if got := d.view(t); !got.equal(b.view) {
		t.Errorf("the distro's xz-utils changed: %s, was %s", got, b.view)
	}
	if got := d.announced(); !slices.Equal(got, b.announced) {
		t.Errorf("the packager got Announces of %v, had %v", got, b.announced)
	}
}

// upstreamNotices reads baton_upstream_notices_total for an outcome and a way in (0 when the series
// does not exist yet).
func upstreamNotices(t *testing.T, in *instance, outcome, via string) float64 {
	t.Helper()
	status, _, body := in.get("/metrics", "text/plain")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d", status)
	}
	prefix := fmt.Sprintf(`baton_upstream_notices_total{outcome=%q,via=%q} `, outcome, via)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric line %q", line)
			}
			return f
		}
	}
	return 0
}

// wantMetric checks that a counter moved by want since it read before.
func wantMetric(t *testing.T, in *instance, outcome, via string, before, want float64) {
	t.Helper()
	if got := upstreamNotices(t, in, outcome, via) - before; got != want {
		t.Errorf(`baton_upstream_notices_total{outcome=%q,via=%q} went up by %v, want %v`, outcome, via, got, want)
	}
}

// genuineHiatus has Lasse post a hiatus upstream, waits until the distro mirrored and announced it,
// and returns its URL and the Note as its origin serves it.
func (d *distroSetup) genuineHiatus(t *testing.T) (string, []byte) {
	t.Helper()
	url := d.tukaani.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", d.lasse,
		"--text", "Stepping back for a while.", "--until", "2099-03-01")
	if !waitFor(20*time.Second, func() bool { return slices.Contains(d.view(t).Notices, url) }) {
		t.Fatalf("the genuine hiatus %s was not mirrored: %s", url, d.view(t))
	}
	if !testpeer.Wait(20*time.Second, func() bool { return slices.Contains(d.announced(), url) }) {
		t.Fatalf("the packager got Announces of %v, want the hiatus %s", d.announced(), url)
	}
	status, _, note := d.tukaani.get(url, "application/activity+json")
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, note)
	}
	d.tukaani.waitQueueEmpty(20 * time.Second)
	d.distro.waitQueueEmpty(20 * time.Second)
	return url, note
}

// A Create naming the upstream as its actor but signed by someone else is refused before anything
// reads it; a Note attributed to the upstream, sent by an actor that is not the upstream, is left alone.
func TestE2EDistroRefusesForgedNotice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDistroSetup(t)
	xz := d.tukaani.base + "/users/xz"
	_, genuine := d.genuineHiatus(t)
	forger := testpeer.New(t, testpeer.Mastodon, "mallory")
	before := d.baseline(t)
	rejected := upstreamNotices(t, d.distro, "rejected", "delivered")

	// The genuine Note as the upstream's own Create, signed by the forger's key.
	resp, err := forger.Post(ctx, d.distro.base+"/inbox", createOf(t, xz, genuine), testpeer.PostOptions{As: "mallory"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("forged Create by xz, signed by the forger: %d %s", resp.Status, bytes.TrimSpace(resp.Body))
	if resp.Status != http.StatusUnauthorized || !strings.Contains(resp.ErrorMessage(), "but the activity's actor is "+xz) {
		t.Errorf("a Create by xz signed by %s: %d %s, want 401 naming the signer and the actor", forger.ActorID("mallory"), resp.Status, resp.Body)
	}
	// The same, claiming the upstream's keyId: the forger's key does not verify against it.
	resp, err = forger.Post(ctx, d.distro.base+"/inbox", createOf(t, xz, genuine), testpeer.PostOptions{As: "mallory", KeyID: xz + "#main-key"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("forged Create by xz, under xz's keyId: %d %s", resp.Status, bytes.TrimSpace(resp.Body))
	if resp.Status != http.StatusUnauthorized || resp.ErrorMessage() == "" {
		t.Errorf("a Create by xz signed by the forger under xz's keyId: %d %s, want 401", resp.Status, resp.Body)
	}
	// The forger's own Create carrying a Note attributed to xz, new and with a valid project proof (so
	// that it would be mirrored, had it come from xz): the forger is not an upstream, nothing is mirrored.
	ignored := createOf(t, forger.ActorID("mallory"), resignNote(t, genuine, projectKeysOf(t, d.tukaani, "xz"), func(m members) {
		m.set(t, "id", d.tukaani.base+"/notices/998")
	}))
	resp, err = forger.Post(ctx, d.distro.base+"/inbox", ignored, testpeer.PostOptions{As: "mallory"})
	if err != nil {
		t.Fatal(err)
	}
	var answer inboxAnswer
	json.Unmarshal(resp.Body, &answer)
	t.Logf("the forger's own Create: %d %s", resp.Status, bytes.TrimSpace(resp.Body))
	if resp.Status != http.StatusAccepted || answer.Label != "ignored" || !strings.Contains(answer.Detail, "not an upstream") {
		t.Errorf("a Create by the forger of a Note attributed to xz: %d %s, want 202 ignored (not an upstream)", resp.Status, resp.Body)
	}

	d.unchanged(t, before)
	wantMetric(t, d.distro, "rejected", "delivered", rejected, 0) // none of them got as far as the watcher
	noFailures(t, d.packager)
}

// The upstream's notice delivered again is known already; the same Note under another id no longer
// carries the project's proof.
func TestE2EDistroRefusesReplayedNotice(t *testing.T) {
	t.Parallel()
	d := newDistroSetup(t)
	keys := projectKeysOf(t, d.tukaani, "xz")
	url, genuine := d.genuineHiatus(t)
	status, _, create := d.tukaani.get(url+"/activity", "application/activity+json")
	if status != http.StatusOK {
		t.Fatalf("GET %s/activity: %d %s", url, status, create)
	}
	before := d.baseline(t)
	rejected := upstreamNotices(t, d.distro, "rejected", "delivered")
	duplicates := upstreamNotices(t, d.distro, "unchanged", "delivered")

	// (a) The exact Create again, signed by the upstream: the inbox knows the activity.
	a := d.sendAsUpstream(t, keys, create)
	t.Logf("the same Create again: %s", a)
	if a.Status != http.StatusAccepted || a.Label != "duplicate" {
		t.Errorf("the same Create again: %s, want 202 duplicate", a)
	}
	// The same Note under a new activity id: the mirror knows the notice.
	again := parseMembers(t, create)
	again.set(t, "id", url+"/activity#replay-"+randomID())
	a = d.sendAsUpstream(t, keys, again.bytes(t))
	t.Logf("the same Note in a new Create: %s", a)
	if a.Status != http.StatusAccepted || a.Label != "unchanged" {
		t.Errorf("the same Note in a new Create: %s, want 202 unchanged", a)
	}
	wantMetric(t, d.distro, "unchanged", "delivered", duplicates, 1)

	// (b) The genuine Note under a new id, in a Create signed by the upstream: the project's proof
	// covered the id.
	moved := parseMembers(t, genuine)
	moved.set(t, "id", d.tukaani.base+"/notices/999")
	moved.set(t, "url", d.tukaani.base+"/notices/999")
	a = d.sendAsUpstream(t, keys, createOf(t, keys.actor, moved.bytes(t)))
	wantRefused(t, a, http.StatusUnprocessableEntity, "the project's proof")

	d.unchanged(t, before)
	wantMetric(t, d.distro, "rejected", "delivered", rejected, 1)
	noFailures(t, d.packager)
}

// A hiatus signed by Mallory, who has a key on the foundation but was never a maintainer of xz, in a
// Note the project really signed and delivered: every proof verifies, and the distro's own trust
// policy refuses it.
func TestE2EDistroRefusesStatementByNonMaintainer(t *testing.T) {
	t.Parallel()
	d := newDistroSetup(t)
	keys := projectKeysOf(t, d.tukaani, "xz")
	_, genuine := d.genuineHiatus(t)
	before := d.baseline(t)
	rejected := upstreamNotices(t, d.distro, "rejected", "delivered")

	pemBytes, err := os.ReadFile(d.mallory)
	if err != nil {
		t.Fatal(err)
	}
	mallory, err := proof.ParseOpenSSHPrivateKey(pemBytes, nil)
	if err != nil {
		t.Fatalf("Mallory's key: %v", err)
	}
	malloryActor := d.tukaani.base + "/users/mallory"
	until, _ := notice.ParseDate("2099-06-01")
	statement, err := federation.StatementDocument("urn:uuid:"+uuid4(), keys.actor, notice.Notice{
		Kind: notice.Hiatus, Author: malloryActor, Text: "Mallory steps back; Jia will handle releases.", Until: until})
	if err != nil {
		t.Fatal(err)
	}
	vm := malloryActor + "#" + proof.EncodeMultikey(mallory.Public().(ed25519.PublicKey))
	statement, err = proof.Sign(statement, mallory, vm, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id := d.tukaani.base + "/notices/999"
	forged := resignNote(t, genuine, keys, func(m members) {
		m.set(t, "id", id)
		m.set(t, "url", id)
		m.set(t, "noticeKind", "hiatus")
		m.set(t, "statement", json.RawMessage(statement))
		m.set(t, "content", "<p>Mallory steps back; Jia will handle releases.</p>")
	})
	a := d.sendAsUpstream(t, keys, createOf(t, keys.actor, forged))
	wantRefused(t, a, http.StatusUnprocessableEntity, "trust policy", "not a maintainer")

	d.unchanged(t, before)
	wantMetric(t, d.distro, "rejected", "delivered", rejected, 1)
	noFailures(t, d.packager)
}

func uuid4() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// A genuine statement whose words were changed, in a Note the project signed again: the maintainer's
// proof no longer verifies.
func TestE2EDistroRefusesTamperedStatement(t *testing.T) {
	t.Parallel()
	d := newDistroSetup(t)
	keys := projectKeysOf(t, d.tukaani, "xz")
	_, genuine := d.genuineHiatus(t)
	before := d.baseline(t)
	rejected := upstreamNotices(t, d.distro, "rejected", "delivered")

	var n struct {
		Statement json.RawMessage `json:"statement"`
	}
	if err := json.Unmarshal(genuine, &n); err != nil || n.Statement == nil {
		t.Fatalf("the genuine Note has no statement: %v\n%s", err, genuine)
	}
	statement := parseMembers(t, n.Statement)
	statement.set(t, "text", "Stepping back for good. Jia Tan takes over.")
	id := d.tukaani.base + "/notices/999"
	tampered := resignNote(t, genuine, keys, func(m members) {
		m.set(t, "id", id)
		m.set(t, "url", id)
		m.set(t, "statement", json.RawMessage(statement.bytes(t)))
	})
	a := d.sendAsUpstream(t, keys, createOf(t, keys.actor, tampered))
	wantRefused(t, a, http.StatusUnprocessableEntity, "the statement's proofs")

	d.unchanged(t, before)
	wantMetric(t, d.distro, "rejected", "delivered", rejected, 1)
	noFailures(t, d.packager)
}

// The upstream's Ed25519 key changes in its database, as after a takeover of its instance: the
// foundation signs and delivers a genuine notice of Lasse's with the new key, and the distro, which
// pinned the key it first followed with, refuses it.
func TestE2EDistroRefusesChangedProjectKey(t *testing.T) {
	t.Parallel()
	d := newDistroSetup(t)
	before := d.baseline(t)
	rejected := upstreamNotices(t, d.distro, "rejected", "delivered")
	old := projectKeysOf(t, d.tukaani, "xz")

	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed)
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(d.tukaani.dir, sqlite.FileName))+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE actors SET ed25519_seed = ? WHERE name = 'xz'`, seed)
	if err != nil {
		t.Fatalf("change xz's key: %v", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("changed %d rows, want 1", n)
	}
	db.Close()
	newKey := proof.EncodeMultikey(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
	if _, _, actor := d.tukaani.get("/users/xz", "application/activity+json"); !strings.Contains(string(actor), newKey) ||
		strings.Contains(string(actor), proof.EncodeMultikey(old.proof.Public().(ed25519.PublicKey))) {
		t.Fatalf("the foundation does not publish the new key %s:\n%s", newKey, actor)
	}

	url := d.tukaani.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", d.lasse,
		"--text", "Stepping back for a while.", "--until", "2099-03-01")
	if !waitFor(20*time.Second, func() bool { return strings.Contains(d.distro.log.String(), "changed without notice") }) {
		t.Fatalf("the distro never said the project's key changed without notice")
	}
	d.tukaani.waitQueueEmpty(20 * time.Second)
	d.unchanged(t, before)
	if slices.Contains(d.view(t).Notices, url) {
		t.Errorf("the distro mirrored %s, signed with a key it was never told of", url)
	}
	wantMetric(t, d.distro, "rejected", "delivered", rejected, 1)

	// The catch-up at the distro's next start reads the notice from the upstream's outbox, and refuses
	// it all the same: the key it pinned is not refreshed from the upstream's actor.
	d.distro.stop()
	d.distro.start()
	if !waitFor(20*time.Second, func() bool { return upstreamNotices(t, d.distro, "rejected", "catch_up") == 1 }) {
		t.Errorf("the catch-up after a restart did not reject the notice signed with the new key (%v rejected)",
			upstreamNotices(t, d.distro, "rejected", "catch_up"))
	}
	d.unchanged(t, before)
	if n := strings.Count(d.distro.log.String(), "changed without notice"); n < 2 {
		t.Errorf("the distro said %d times that the key changed without notice, want a delivery and a catch-up", n)
	}
	noFailures(t, d.packager)
}

// The distro is down while the upstream posts two notices: at start it reads the upstream's outbox and
// mirrors both, in order; the upstream's retried deliveries then arrive as duplicates, and the packager
// gets one Announce of each.
func TestE2EDistroCatchesUpAfterDowntime(t *testing.T) {
	t.Parallel()
	d := newDistroSetup(t)
	stopping := time.Now()
	d.distro.stop()
	t.Logf("the distro stopped in %v", time.Since(stopping).Round(time.Millisecond))
	hiatus := d.tukaani.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", d.lasse,
		"--text", "Stepping back for a while.", "--until", "2099-03-01")
	back := d.tukaani.mustCLI("notice", "post", "--project", "xz", "--kind", "return", "--as", "lasse", "--key", d.lasse,
		"--text", "Back already.")
	start := time.Now()
	d.distro.start()

	want := []string{hiatus, back}
	if !waitFor(20*time.Second, func() bool { return slices.Equal(d.view(t).Notices, want) }) {
		t.Fatalf("after the restart the distro shows %s, want notices %v", d.view(t), want)
	}
	t.Logf("caught up %v after the restart", time.Since(start).Round(time.Millisecond))
	if v := d.view(t); v.Mirrored != 2 {
		t.Errorf("the watches list %d notices mirrored, want 2", v.Mirrored)
	}
	if got := upstreamNotices(t, d.distro, "mirrored", "catch_up"); got != 2 {
		t.Errorf("%v notices mirrored by the catch-up, want 2", got)
	}

	// The foundation retries what it could not deliver while the distro was down.
	d.tukaani.waitQueueEmpty(90 * time.Second)
	t.Logf("the foundation's queue drained %v after the restart", time.Since(start).Round(time.Millisecond))
	d.distro.waitQueueEmpty(20 * time.Second) // the Announces the retries caused, had they caused any, are out
	if got := upstreamNotices(t, d.distro, "mirrored", "delivered"); got != 0 {
		t.Errorf("%v notices mirrored again from deliveries, want 0", got)
	}
	// Both retried deliveries came, and were known already: the path that could announce twice ran.
	if got := upstreamNotices(t, d.distro, "unchanged", "delivered"); got != 2 {
		t.Errorf("%v retried deliveries seen as duplicates, want 2", got)
	}
	for _, url := range want {
		n := 0
		for _, got := range d.announced() {
			if got == url {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the packager got %d Announces of %s, want 1 (all: %v)", n, url, d.announced())
		}
	}
	if v := d.view(t); !slices.Equal(v.Notices, want) || v.Mirrored != 2 {
		t.Errorf("after the retries the distro shows %s, want notices %v", v, want)
	}
	noFailures(t, d.packager)
}

// The upstream's instance is down too: a distro starting then cannot read its outbox, says so, and
// keeps what it had; once the upstream is back, the notice it missed is mirrored and announced once,
// whether the periodic catch-up or the upstream's retried delivery brings it first.
func TestE2EDistroUpstreamOfflineAndBack(t *testing.T) {
	t.Parallel()
	d := newDistroSetup(t)
	d.distro.stop()
	hiatus := d.tukaani.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", d.lasse,
		"--text", "Stepping back for a while.", "--until", "2099-03-01")
	d.tukaani.stop()
	d.distro.flags = append(d.distro.flags, "--catch-up-interval", "1s")
	d.distro.start()

	// Both ends down for the notice: the catch-up fails, the distro answers from what it has.
	if !waitFor(20*time.Second, func() bool { return strings.Contains(d.distro.log.String(), "catch-up failed") }) {
		t.Fatal("the distro never said its catch-up of the offline upstream failed")
	}
	if v := d.view(t); v.Code != 0 || len(v.Notices) != 0 || v.Mirrored != 0 {
		t.Fatalf("with the upstream offline the distro shows %s, want nothing", v)
	}
	if code, out := d.distro.checkCode("xz-utils"); code != 0 {
		t.Fatalf("check with the upstream offline: exit %d\n%s", code, out)
	}

	start := time.Now()
	d.tukaani.start()
	if !waitFor(20*time.Second, func() bool { return slices.Equal(d.view(t).Notices, []string{hiatus}) }) {
		t.Fatalf("after the upstream came back the distro shows %s, want %s", d.view(t), hiatus)
	}
	t.Logf("mirrored %v after the upstream came back", time.Since(start).Round(time.Millisecond))
	d.waitCode(t, "xz-utils", 4)
	d.tukaani.waitQueueEmpty(90 * time.Second)
	d.distro.waitQueueEmpty(20 * time.Second)
	t.Logf("the foundation's queue drained %v after it came back", time.Since(start).Round(time.Millisecond))
	if got := d.announced(); !slices.Equal(got, []string{hiatus}) {
		t.Errorf("the packager got Announces of %v, want one of %s", got, hiatus)
	}
	mirrored := upstreamNotices(t, d.distro, "mirrored", "catch_up") + upstreamNotices(t, d.distro, "mirrored", "delivered")
	if mirrored != 1 {
		t.Errorf("%v notices mirrored, want 1", mirrored)
	}
	if v := d.view(t); v.Mirrored != 1 {
		t.Errorf("the watches list %d notices mirrored, want 1", v.Mirrored)
	}
	noFailures(t, d.packager)
}
