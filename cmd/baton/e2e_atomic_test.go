package main

// End-to-end tests of atomic admission: two conflicting statements sent at the same moment, through
// two replicas sharing one Redis (or to one SQLite instance), and two endorsements of one notice made
// at the same moment through the two replicas. Exactly one of the statements is admitted, and every
// endorsement is kept.
//
// Why these fail if admission or endorsement were not atomic. Each handover carries the incoming
// person's acceptance, so it takes effect as it is admitted. Both are judged on the project's notices
// as they stand when each request reads them; sent at the same moment, both read them before either
// is stored, when lasse still holds every right. Only the compare-and-swap on the
// revision of the project's notices (store PublishNotice) sends the second writer back to judge again,
// on notices that now include the first handover, where lasse holds nothing to hand over. Without it
// both are stored: two requests succeed and the state lists two handovers, which the checks below
// refuse. Likewise both endorsements read the statement with the author's proof alone; stored as each
// was judged, the later would overwrite the earlier and the statement would carry two proofs, not
// three. The compare-and-swap on UpdateNotice and the merge into the proof set stored now keep all.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/federation"
	"baton/web"
)

// handoverAllRights is every right a handover can pass on.
const handoverAllRights = "commit,merge,release-signing,publishing,security-contact,website,dns,ci,fuzzing-contact"

// atomicKeys are the private key files of lasse, jia, dan and the stewards s1 and s2, by name.
type atomicKeys map[string]string

// registerAtomicPeople makes the keys and registers jia and dan as people and s1 and s2 as stewards;
// lasse is registered by the first `baton maintainer add`.
func registerAtomicPeople(t *testing.T, in *instance) atomicKeys {
	t.Helper()
	dir := t.TempDir()
	keys := atomicKeys{}
	for _, name := range []string{"lasse", "jia", "dan", "s1", "s2"} {
		keys[name] = sshKey(t, dir, name)
	}
	in.mustCLI("person", "add", "jia", "--key", keys["jia"]+".pub", "--display-name", "Jia Tan")
	in.mustCLI("person", "add", "dan", "--key", keys["dan"]+".pub", "--display-name", "Dan")
	in.mustCLI("steward", "add", "s1", "--key", keys["s1"]+".pub")
	in.mustCLI("steward", "add", "s2", "--key", keys["s2"]+".pub")
	return keys
}

// addLassesProject adds a project whose one first maintainer is lasse.
func addLassesProject(t *testing.T, in *instance, name string, keys atomicKeys) {
	t.Helper()
	in.mustCLI("project", "add", name, "--display-name", "XZ Utils ("+name+")")
	out := in.mustCLI("maintainer", "add", "lasse", "--project", name, "--key", keys["lasse"]+".pub")
	if !strings.Contains(out, "lasse is a maintainer of "+name) {
		t.Fatalf("maintainer add printed %q", out)
	}
}

// directClient is the API client the commands use, against the instance's own address.
func (in *instance) directClient() *apiClient {
	return &apiClient{server: in.base, token: in.token, http: &http.Client{Timeout: 60 * time.Second}}
}

// acceptedHandover is lasse's successor handover of every right of project to `to`, signed by lasse
// and, accepting it at once, by `to`. It is built and signed as `baton notice post --kind handover
// --as lasse` builds and signs one, with the same code; the incoming's proof is one the command cannot
// add, hence not the command itself. Accepted, it takes effect as it is admitted: lasse holds nothing
// more, so a second such handover of his can no longer pass. (Posted without the incoming's proof, a
// second successor handover of the same rights is refused too, while the first waits for acceptance;
// the accepted form is raced here because it changes who holds what at once.)
func acceptedHandover(t *testing.T, in *instance, project, to string, keys atomicKeys) []byte {
	t.Helper()
	c := in.directClient()
	f := postFlags{project: project, kind: "handover", mode: "successor", from: listFlag{"lasse"}, to: listFlag{to},
		text: "Lasse Collin hands XZ Utils over to " + to + ".", sign: signerFlags{as: "lasse", keyFile: keys["lasse"]}}
	f.scope.Set(handoverAllRights)
	lasse, err := f.sign.load(c)
	if err != nil {
		t.Fatal(err)
	}
	incoming, err := signerFlags{as: to, keyFile: keys[to]}.load(c)
	if err != nil {
		t.Fatal(err)
	}
	var p web.ProjectView
	if err := c.call(http.MethodGet, "/api/v1/projects/"+url.PathEscape(project), nil, &p); err != nil {
		t.Fatal(err)
	}
	n, err := f.notice(c, lasse.person.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.ValidateFull(); err != nil {
		t.Fatal(err)
	}
	doc, err := federation.StatementDocument(federation.NewStatementID(), p.Actor, n)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := lasse.signDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	if signed, err = incoming.signDocument(signed); err != nil {
		t.Fatal(err)
	}
	return signed
}

// raceAttempt is one of two requests raced: what it sent, where, and how it ended.
type raceAttempt struct {
	who         string    // the incoming person, or the endorser
	via         *instance // the replica it went to
	start, done time.Time
	url         string // the notice's URL, once admitted or endorsed
	err         error
	stderr      string // of a command
}

// inFlightTogether is how long two attempts were both in flight.
func inFlightTogether(a, b *raceAttempt) time.Duration {
	start, done := max(a.start.UnixNano(), b.start.UnixNano()), min(a.done.UnixNano(), b.done.UnixNano())
	return time.Duration(max(0, done-start))
}

// atOnce runs the two functions at the same moment: each goroutine waits for one channel to close.
func atOnce(a, b *raceAttempt, run func(*raceAttempt)) {
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for _, at := range []*raceAttempt{a, b} {
		wg.Go(func() {
			<-gate
			at.start = time.Now()
			run(at)
			at.done = time.Now()
		})
	}
	close(gate)
	wg.Wait()
}

// raceHandovers sends lasse's accepted handovers of project to jia through a and to dan through b at
// the same moment, and checks that exactly one is admitted and the other refused for what it says. It
// returns the admitted one and the refused one.
func raceHandovers(t *testing.T, project string, a, b *instance, keys atomicKeys) (won, lost *raceAttempt) {
	t.Helper()
	statements := map[string][]byte{"jia": acceptedHandover(t, a, project, "jia", keys), "dan": acceptedHandover(t, b, project, "dan", keys)}
	toJia, toDan := &raceAttempt{who: "jia", via: a}, &raceAttempt{who: "dan", via: b}
	atOnce(toJia, toDan, func(at *raceAttempt) {
		var view web.NoticeView
		at.err = at.via.directClient().call(http.MethodPost, "/api/v1/projects/"+project+"/statements", json.RawMessage(statements[at.who]), &view)
		at.url = view.URL
	})
	switch {
	case toJia.err == nil && toDan.err == nil:
		t.Fatalf("%s: both handovers were admitted, %s (to jia, through %s) and %s (to dan, through %s): lasse handed every right over twice",
			project, toJia.url, a.addr, toDan.url, b.addr)
	case toJia.err != nil && toDan.err != nil:
		t.Fatalf("%s: neither handover was admitted: to jia: %v; to dan: %v", project, toJia.err, toDan.err)
	case toJia.err == nil:
		won, lost = toJia, toDan
	default:
		won, lost = toDan, toJia
	}
	// Refused on the notices as they stand with the other admitted, or after retrying too often.
	why := lost.err.Error()
	refused := statusOf(lost.err) == 422 && strings.Contains(why, "lasse is not a maintainer of "+project) ||
		statusOf(lost.err) == 409 && strings.Contains(why, "kept changing")
	if !refused {
		t.Errorf("%s: the handover to %s was refused with %q (status %d), want 422 saying lasse is no longer a maintainer, or 409 'kept changing'",
			project, lost.who, why, statusOf(lost.err))
	}
	if !strings.Contains(won.url, "/notices/") {
		t.Fatalf("%s: the admitted handover to %s has URL %q", project, won.who, won.url)
	}
	return won, lost
}

// firstErrLine is the first line of an error's message.
func firstErrLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// stateOnEach reads the state of project through each replica, wants them the same, and returns it.
func stateOnEach(t *testing.T, project string, replicas ...*instance) web.StateView {
	t.Helper()
	at := time.Now().AddDate(0, 1, 0).Format("2006-01-02") // one date for every read
	var first []byte
	var state web.StateView
	for i, r := range replicas {
		status, _, body := r.get("/api/v1/projects/"+project+"/state?at="+at, "application/json")
		if status != 200 {
			t.Fatalf("GET the state of %s on %s: %d %s", project, r.addr, status, body)
		}
		if i == 0 {
			first = body
			if err := json.Unmarshal(body, &state); err != nil {
				t.Fatalf("the state of %s: %v\n%s", project, err, body)
			}
		} else if !sameJSON(first, body) {
			t.Errorf("the state of %s differs between %s and %s:\n%s\n%s", project, replicas[0].addr, r.addr, first, body)
		}
	}
	return state
}

// projectNotices is the number of notices GET /api/v1/projects/NAME counts.
func (in *instance) projectNotices(project string) int {
	in.t.Helper()
	var v web.ProjectView
	status, _, body := in.get("/api/v1/projects/"+project, "application/json")
	if status != 200 || json.Unmarshal(body, &v) != nil {
		in.t.Fatalf("GET /api/v1/projects/%s on %s: %d %s", project, in.addr, status, body)
	}
	return v.Notices
}

// statementSigners reads a notice's statement through each replica, wants it the same on all, and
// returns the names of the people whose proofs it carries, in order.
func statementSigners(t *testing.T, noticeURL string, replicas ...*instance) []string {
	t.Helper()
	id := noticeURL[strings.LastIndex(noticeURL, "/")+1:]
	var first json.RawMessage
	var people []string
	for i, r := range replicas {
		var v struct {
			Statement json.RawMessage `json:"statement"`
		}
		status, _, body := r.get("/api/v1/notices/"+id, "application/json")
		if status != 200 || json.Unmarshal(body, &v) != nil || v.Statement == nil {
			t.Fatalf("GET /api/v1/notices/%s on %s: %d %s", id, r.addr, status, body)
		}
		if i > 0 {
			if !sameJSON(first, v.Statement) {
				t.Errorf("the statement of notice %s differs between %s and %s:\n%s\n%s", id, replicas[0].addr, r.addr, first, v.Statement)
			}
			continue
		}
		first = v.Statement
		var doc struct {
			Proof json.RawMessage `json:"proof"`
		}
		json.Unmarshal(v.Statement, &doc)
		var proofs []struct {
			VerificationMethod string `json:"verificationMethod"`
		}
		if json.Unmarshal(doc.Proof, &proofs) != nil {
			proofs = proofs[:0]
			var one struct {
				VerificationMethod string `json:"verificationMethod"`
			}
			if err := json.Unmarshal(doc.Proof, &one); err != nil {
				t.Fatalf("notice %s: the statement's proof: %v\n%s", id, err, v.Statement)
			}
			proofs = append(proofs, one)
		}
		for _, p := range proofs {
			actor, _, _ := strings.Cut(p.VerificationMethod, "#")
			people = append(people, actor[strings.LastIndex(actor, "/")+1:])
		}
	}
	return people
}

// signedByAll reports whether got holds the people of want, in any order.
func signedByAll(got []string, want ...string) bool {
	return len(got) == len(want) && !slices.ContainsFunc(want, func(w string) bool { return !slices.Contains(got, w) })
}

// raceEndorsements has `baton notice endorse` run at the same moment as the incoming person through a
// and as steward s1 through b, and checks both succeed.
func raceEndorsements(t *testing.T, noticeURL, incoming string, a, b *instance, keys atomicKeys) (accepting, endorsing *raceAttempt) {
	t.Helper()
	accepting, endorsing = &raceAttempt{who: incoming, via: a}, &raceAttempt{who: "s1", via: b}
	atOnce(accepting, endorsing, func(at *raceAttempt) {
		var out string
		out, at.stderr, at.err = at.via.cli("notice", "endorse", noticeURL, "--as", at.who, "--key", keys[at.who])
		at.url = strings.TrimSpace(out)
	})
	for _, at := range []*raceAttempt{accepting, endorsing} {
		if at.err != nil || at.url != noticeURL {
			t.Errorf("baton notice endorse %s --as %s (through %s): %v, printed %q\n%s", noticeURL, at.who, at.via.addr, at.err, at.url, at.stderr)
		}
	}
	return accepting, endorsing
}

// Two replicas on one Redis, two conflicting handovers sent at the same moment, one through each:
// exactly one is admitted, the other refused saying why, and both replicas show the same one notice.
// Then two endorsements of one handover made at the same moment, one through each replica: both
// are kept. Three rounds, each on a project of its own, so that one lucky interleaving hides nothing.
func TestE2ERedisReplicasAdmitAtomically(t *testing.T) {
	t.Parallel()
	start := time.Now()
	redis := startRedis(t, false)
	proxy := startProxy(t)
	token := "e2e-admin-token-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	flags := []string{"--redis", redis.URL(0), "--base-url", proxy.url}
	a := startReplica(t, token, flags...)
	b := startReplica(t, token, flags...)
	proxy.setBackends(a, b)
	keys := registerAtomicPeople(t, a)

	var overlaps []string
	var last string // the last handover endorsed
	for round := 1; round <= 3; round++ {
		project := "xz" + strconv.Itoa(round)
		addLassesProject(t, a, project, keys)

		// Lasse hands every right to jia through A and to dan through B, at the same moment.
		won, lost := raceHandovers(t, project, a, b, keys)
		overlaps = append(overlaps, fmt.Sprintf("%s: admitted in %s, both in flight for %s", project,
			won.done.Sub(won.start).Round(time.Millisecond), inFlightTogether(won, lost).Round(time.Millisecond)))
		t.Logf("%s: the handover to %s (through %s) was admitted as %s; the one to %s (through %s) was refused: %s",
			project, won.who, won.via.addr, won.url, lost.who, lost.via.addr, firstErrLine(lost.err))
		state := stateOnEach(t, project, a, b)
		if len(state.Notices) != 1 || state.Notices[0] != won.url {
			t.Errorf("%s: the state lists the notices %v, want the admitted handover %s alone", project, state.Notices, won.url)
		}
		if len(state.State.Maintainers) != 1 || state.State.Maintainers[0].Person != proxy.url+"/users/"+won.who {
			t.Errorf("%s: the maintainers are %+v, want %s alone", project, state.State.Maintainers, won.who)
		}
		for _, r := range []*instance{a, b} {
			if n := r.projectNotices(project); n != 1 {
				t.Errorf("%s: replica %s counts %d notices, want 1", project, r.addr, n)
			}
		}

		// The new maintainer hands commit to the other as co-maintainer (pending their acceptance).
		// The incoming's acceptance through A and steward s1's endorsement through B, at once.
		handover := a.mustCLI("notice", "post", "--project", project, "--kind", "handover", "--as", won.who, "--key", keys[won.who],
			"--from", won.who, "--to", lost.who, "--mode", "co-maintainer", "--scope", "commit",
			"--text", lost.who+" joins as co-maintainer.")
		if !strings.HasPrefix(handover, proxy.url+"/notices/") {
			t.Fatalf("%s: notice post printed %q", project, handover)
		}
		last = handover
		accepting, endorsing := raceEndorsements(t, handover, lost.who, a, b, keys)
		if got := statementSigners(t, handover, a, b); !signedByAll(got, won.who, lost.who, "s1") {
			t.Errorf("%s: after the acceptance and the endorsement made at once (in flight together %s), the statement is signed by %v, want %s, %s and s1",
				project, inFlightTogether(accepting, endorsing).Round(time.Millisecond), got, won.who, lost.who)
		}
		b.mustCLI("notice", "endorse", handover, "--as", "s2", "--key", keys["s2"])
		if got := statementSigners(t, handover, a, b); !signedByAll(got, won.who, lost.who, "s1", "s2") {
			t.Errorf("%s: after s2's endorsement, the statement is signed by %v, want %s, %s, s1 and s2", project, got, won.who, lost.who)
		}
		state = stateOnEach(t, project, a, b)
		if len(state.Notices) != 2 || len(state.State.Maintainers) != 2 || len(state.State.Unendorsed) != 1 {
			t.Errorf("%s: %d notices, maintainers %+v, unendorsed %+v; want 2 notices, %s and %s, and the first handover alone unendorsed",
				project, len(state.Notices), state.State.Maintainers, state.State.Unendorsed, won.who, lost.who)
		}
	}
	// Every proof checks out, from the notice's URL alone (through the proxy, to either replica).
	out := a.mustCLI("notice", "verify", last)
	if strings.Count(out, "statement signed by ") != 4 || !strings.Contains(out, "policy: met") {
		t.Errorf("baton notice verify of the last handover says:\n%s\nwant four signers and the policy met", out)
	}
	t.Logf("the handover races: %s; test %s", strings.Join(overlaps, "; "), time.Since(start).Round(time.Millisecond))
}

// The same race on one instance on SQLite: two conflicting handovers sent to it at the same moment,
// exactly one admitted.
func TestE2ESQLiteAdmitAtomically(t *testing.T) {
	t.Parallel()
	in := startBaton(t)
	keys := registerAtomicPeople(t, in)
	for round := 1; round <= 3; round++ {
		project := "xz" + strconv.Itoa(round)
		addLassesProject(t, in, project, keys)
		won, lost := raceHandovers(t, project, in, in, keys)
		t.Logf("%s: the handover to %s was admitted, the one to %s refused: %s", project, won.who, lost.who, firstErrLine(lost.err))
		if state := stateOnEach(t, project, in); len(state.Notices) != 1 || state.Notices[0] != won.url {
			t.Errorf("%s: the state lists the notices %v, want the admitted handover %s alone", project, state.Notices, won.url)
		}
		if n := in.projectNotices(project); n != 1 {
			t.Errorf("%s: %d notices, want 1", project, n)
		}
	}
}
