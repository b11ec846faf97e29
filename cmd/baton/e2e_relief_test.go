package main

import (
	"baton/federation"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"baton/federation/proof"
	"baton/internal/redistest"
	"baton/relief"
	"baton/store"
	"baton/store/redis"
	"baton/store/sqlite"
	"baton/web"
)

// reliefPeople are the keys of a relief case's people: a maintainer, two stewards from the start, one
// who joins later, and a newcomer who takes no part.
type reliefPeople struct{ lasse, s1, s2, s3, jia string }

// reliefSetup registers the people and project xz with lasse as its maintainer, and steward1 and
// steward2 as the instance's stewards.
func reliefSetup(t *testing.T, in *instance) reliefPeople {
	t.Helper()
	dir := t.TempDir()
	p := reliefPeople{sshKey(t, dir, "lasse"), sshKey(t, dir, "steward1"), sshKey(t, dir, "steward2"), sshKey(t, dir, "steward3"), sshKey(t, dir, "jia")}
	in.addProject("xz", "XZ Utils")
	in.mustCLI("maintainer", "add", "lasse", "--project", "xz", "--key", p.lasse+".pub")
	in.mustCLI("steward", "add", "steward1", "--key", p.s1+".pub")
	in.mustCLI("steward", "add", "steward2", "--key", p.s2+".pub")
	in.mustCLI("person", "add", "steward3", "--key", p.s3+".pub")
	in.mustCLI("person", "add", "jia", "--key", p.jia+".pub")
	return p
}

// The words of the case, which must never reach the instance in plain text.
const (
	reliefPlea   = "Burnout and a long illness: I cannot review or release xz for months."
	reliefAnswer = "Thank you for telling us. Shall we announce a hiatus and call for an interim co-maintainer?"
	reliefYes    = "Yes please, a hiatus until the spring."
)

// TestE2EReliefCase: a maintainer opens a case, a steward replies, the maintainer reads the reply, a
// steward who joins later is shared in, and the case closes, linked to the hiatus it led to. The
// instance holds ciphertext alone: its SQLite file has none of the words, and a participant opens the
// ciphertext it holds.
func TestE2EReliefCase(t *testing.T) {
	t.Parallel()
	in := startBaton(t)
	p := reliefSetup(t, in)
	in.cliEnv = append(in.cliEnv, "SSH_AUTH_SOCK="+runAgent(t, p.lasse)) // lasse signs one reply in ssh-agent

	caseID := in.mustCLI("relief", "open", "--project", "xz", "--as", "lasse", "--key", p.lasse, "--text", reliefPlea)
	if !relief.ValidCaseID(caseID) {
		t.Fatalf("relief open printed %q, want the case's id", caseID)
	}
	in.mustCLI("relief", "reply", caseID, "--as", "steward1", "--key", p.s1, "--text", reliefAnswer)
	in.mustCLI("relief", "reply", caseID, "--as", "lasse", "--agent", "--text", reliefYes) // signed in ssh-agent

	// Each participant reads the whole thread on their machine.
	for _, who := range [][2]string{{"lasse", p.lasse}, {"steward2", p.s2}} {
		out := in.mustCLI("relief", "show", caseID, "--as", who[0], "--key", who[1])
		wantInOrder(t, "relief show as "+who[0], out, "participants: lasse, steward1, steward2", "— lasse", reliefPlea, "— steward1", reliefAnswer, "— lasse", reliefYes)
	}
	// age decrypts with the key itself: show says so rather than try the agent.
	if _, errOut, err := in.cli("relief", "show", caseID, "--as", "lasse", "--agent"); err == nil || !strings.Contains(errOut, "ssh-agent cannot decrypt") {
		t.Errorf("relief show --agent: %v %s, want a refusal saying ssh-agent cannot decrypt", err, errOut)
	}
	// Someone who takes no part learns nothing, not even that the case exists.
	for _, as := range [][2]string{{"jia", p.jia}, {"steward3", p.s3}} {
		if out, errOut, err := in.cli("relief", "show", caseID, "--as", as[0], "--key", as[1]); err == nil || !strings.Contains(errOut, "case not found (404)") {
			t.Errorf("relief show as %s: %v\n%s%s\nwant case not found", as[0], err, out, errOut)
		}
	}
	if _, errOut, err := in.cli("relief", "reply", caseID, "--as", "jia", "--key", p.jia, "--text", "Let me help!"); err == nil || !strings.Contains(errOut, "case not found") {
		t.Errorf("relief reply by an outsider: %v %s", err, errOut)
	}
	// Forgeries are refused: words signed by someone else than their author, and a message sealed to
	// leave a participant out.
	keys := publicKeys(t, p.lasse, p.s1)
	if status, body := postEnvelope(t, in, caseID, 3, in.base+"/users/lasse", p.s1, "steward1", keys); status != 422 || !strings.Contains(body, "sign your own words") {
		t.Errorf("a steward's message claiming to be lasse's: %d %s", status, body)
	}
	if status, body := postEnvelope(t, in, caseID, 3, in.base+"/users/steward1", p.s1, "steward1", keys); status != 422 || !strings.Contains(body, "sealed to 2 of the participants' 3 keys") {
		t.Errorf("a message sealed without steward2: %d %s", status, body)
	}

	// A steward who joins later sees the cases opened after, not this one, until a steward shares it.
	in.mustCLI("steward", "add", "steward3")
	if out := in.mustCLI("relief", "list", "--as", "steward3", "--key", p.s3); out != "" {
		t.Errorf("a new steward lists cases opened before they joined:\n%s", out)
	}
	if _, errOut, err := in.cli("relief", "share", caseID, "--with", "steward3", "--as", "lasse", "--key", p.lasse); err == nil || !strings.Contains(errOut, "not a steward") {
		t.Errorf("the maintainer shared the case: %v %s, want a steward's to share", err, errOut)
	}
	if _, errOut, err := in.cli("relief", "share", caseID, "--with", "jia", "--as", "steward1", "--key", p.s1); err == nil || !strings.Contains(errOut, "not a steward") {
		t.Errorf("shared with someone who is no steward: %v %s", err, errOut)
	}
	in.mustCLI("relief", "share", caseID, "--with", "steward3", "--as", "steward1", "--key", p.s1)
	out := in.mustCLI("relief", "show", caseID, "--as", "steward3", "--key", p.s3)
	wantInOrder(t, "relief show as steward3", out, "participants: lasse, steward1, steward2, steward3",
		"— lasse", "(sealed again by steward1 to share the case)", reliefPlea, reliefAnswer, reliefYes)
	in.mustCLI("relief", "show", caseID, "--as", "lasse", "--key", p.lasse) // still readable by those before

	// The case leads to a hiatus, and closes linked to it.
	hiatus := in.mustCLI("notice", "post", "--project", "xz", "--kind", "hiatus", "--as", "lasse", "--key", p.lasse,
		"--until", "2027-04-01", "--text", "I am stepping back until April.")
	if _, errOut, err := in.cli("relief", "close", caseID, "--as", "steward1", "--key", p.s1, "--led-to", in.base+"/notices/999"); err == nil || !strings.Contains(errOut, "not a notice of xz") {
		t.Errorf("closing with a notice that does not exist: %v %s", err, errOut)
	}
	closed := in.mustCLI("relief", "close", caseID, "--as", "steward1", "--key", p.s1, "--led-to", hiatus)
	wantInOrder(t, "relief close", closed, "closed ", "by steward1", "led to: "+hiatus)
	wantInOrder(t, "relief show after closing", in.mustCLI("relief", "show", caseID, "--as", "lasse", "--key", p.lasse), "led to: "+hiatus, reliefPlea)
	if _, errOut, err := in.cli("relief", "reply", caseID, "--as", "lasse", "--key", p.lasse, "--text", "One more thing."); err == nil || !strings.Contains(errOut, "closed") {
		t.Errorf("a reply to a closed case: %v %s", err, errOut)
	}

	// The hiatus's page shows where it came from to the admin and the participants alone.
	fromCase := "From a relief case: <a href=\"" + in.base + "/relief/" + caseID
	for name, headers := range map[string]map[string]string{
		"the public":            nil,
		"a wrong token":         {"Authorization": "Bearer not-the-token"},
		"someone with no part":  {web.ReliefQueryHeader: reliefQueryHeader(t, in, p.jia, "jia")},
		"the admin":             {"Authorization": "Bearer " + in.token},
		"a participant":         {web.ReliefQueryHeader: reliefQueryHeader(t, in, p.s3, "steward3")},
		"the maintainer itself": {web.ReliefQueryHeader: reliefQueryHeader(t, in, p.lasse, "lasse")},
	} {
		status, h, body := request(t, http.MethodGet, hiatus, headers, nil)
		shown := strings.Contains(string(body), fromCase)
		want := strings.HasPrefix(name, "the admin") || strings.HasPrefix(name, "a participant") || strings.HasPrefix(name, "the maintainer")
		if status != 200 || shown != want {
			t.Errorf("the hiatus's page for %s: %d, shows the case: %v, want %v", name, status, shown, want)
		}
		if shown && h.Get("Cache-Control") != "private, no-store" {
			t.Errorf("the page showing the case to %s may be cached: Cache-Control %q", name, h.Get("Cache-Control"))
		}
		if !shown && strings.Contains(string(body), "relief") {
			t.Errorf("the hiatus's page mentions relief to %s", name)
		}
	}
	if _, _, note := in.get(hiatus, "application/activity+json"); bytes.Contains(note, []byte("relief")) {
		t.Errorf("the hiatus's Note mentions the case: %s", note)
	}
	// The case's link gives its metadata to the admin alone.
	if status, _, _ := request(t, http.MethodGet, in.base+"/relief/"+caseID, nil, nil); status != 401 {
		t.Errorf("the case's link without the token: %d, want 401", status)
	}
	status, _, meta := request(t, http.MethodGet, in.base+"/relief/"+caseID, map[string]string{"Authorization": "Bearer " + in.token}, nil)
	if status != 200 || !strings.Contains(string(meta), `"led_to": "`+hiatus) || strings.Contains(string(meta), "envelope") {
		t.Errorf("the case's metadata for the admin: %d %s", status, meta)
	}
	// The admin lists who and when, never a word nor a ciphertext.
	list := in.mustCLI("relief", "list")
	wantInOrder(t, "relief list (admin)", list, caseID, "xz", "3 message(s)", "lasse, steward1, steward2, steward3", "led to "+hiatus)
	wantInOrder(t, "relief list as lasse", in.mustCLI("relief", "list", "--as", "lasse", "--agent"), caseID)

	// The store holds ciphertext alone, and a participant opens it.
	in.stop()
	wantNoWords(t, in.dir, reliefPlea, reliefAnswer, reliefYes)
	st, err := sqlite.Open(in.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wantSealed(t, st, caseID, p.s3, reliefYes)
}

// TestE2EReliefCaseOnRedis: on Redis, a case's words are in no snapshot of the data set (an RDB
// saved uncompressed, so that a word in it would show), and its ciphertext opens for a participant.
func TestE2EReliefCaseOnRedis(t *testing.T) {
	t.Parallel()
	rs, err := redistest.StartWith("--appendonly", "no", "--rdbcompression", "no")
	rs = redistest.Require(t, rs, err)
	t.Cleanup(rs.Stop)
	in := startBaton(t, "--redis", rs.URL(0))
	p := reliefSetup(t, in)
	caseID := in.mustCLI("relief", "open", "--project", "xz", "--as", "lasse", "--key", p.lasse, "--text", reliefPlea)
	in.mustCLI("relief", "reply", caseID, "--as", "steward2", "--key", p.s2, "--text", reliefAnswer)
	wantInOrder(t, "relief show", in.mustCLI("relief", "show", caseID, "--as", "lasse", "--key", p.lasse), reliefPlea, reliefAnswer)

	c := goredis.NewClient(&goredis.Options{Addr: rs.Addr})
	defer c.Close()
	if err := c.Save(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	dir, err := c.ConfigGet(context.Background(), "dir").Result()
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := os.ReadFile(filepath.Join(dir["dir"], "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(rdb, []byte(caseID)) {
		t.Fatalf("the snapshot (%d bytes) does not hold the case %s: it is not the data set", len(rdb), caseID)
	}
	for _, words := range []string{reliefPlea, reliefAnswer, "Burnout"} {
		if bytes.Contains(rdb, []byte(words)) {
			t.Errorf("the Redis snapshot holds %q", words)
		}
	}
	st, err := redis.Open(context.Background(), rs.URL(0))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wantSealed(t, st, caseID, p.s2, reliefAnswer)
}

// wantInOrder wants each of wants in out, one after the other.
func wantInOrder(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	rest := out
	for _, w := range wants {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s printed:\n%s\nwant %q (after what came before)", what, out, w)
			return
		}
		rest = rest[i+len(w):]
	}
}

// wantNoWords reads every file in dir (the database, its WAL) and wants none of the words in any.
func wantNoWords(t *testing.T, dir string, words ...string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Fatalf("no files in %s", dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range words {
			if bytes.Contains(data, []byte(w)) {
				t.Errorf("%s holds the words %q", filepath.Base(f), w)
			}
		}
	}
}

// wantSealed reads a case from the store as the instance keeps it and opens its last message with a
// participant's key.
func wantSealed(t *testing.T, st store.Store, caseID, keyFile, words string) {
	t.Helper()
	c, err := st.Case(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	e, err := relief.ParseEnvelope(c.Messages[len(c.Messages)-1].Envelope)
	if err != nil {
		t.Fatal(err)
	}
	key, err := readPrivateKey(keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	letter, err := relief.Open(e.Ciphertext, key)
	if err != nil {
		t.Fatalf("a participant cannot open the stored ciphertext: %v", err)
	}
	if !bytes.Contains(letter, []byte(words)) {
		t.Errorf("the stored ciphertext opens to %s, want %q", letter, words)
	}
}

func publicKeys(t *testing.T, files ...string) []ed25519.PublicKey {
	t.Helper()
	var out []ed25519.PublicKey
	for _, f := range files {
		key, err := readPrivateKey(f, "")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, key.Public().(ed25519.PublicKey))
	}
	return out
}

// postEnvelope sends a message made here rather than by the client: author's words, sealed to keys,
// signed by signer.
func postEnvelope(t *testing.T, in *instance, caseID string, index int, author, signerKey, signer string, keys []ed25519.PublicKey) (int, string) {
	t.Helper()
	sealed, err := relief.Seal([]byte(`{"type":"ReliefLetter"}`), keys)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(relief.Envelope{Type: relief.EnvelopeType, ID: federation.NewStatementID(), Case: caseID, Author: author, Index: index, Ciphertext: sealed})
	status, _, body := request(t, http.MethodPost, in.base+"/api/v1/relief/cases/"+caseID+"/messages", nil, signAs(t, in, doc, signerKey, signer))
	return status, string(body)
}

// signedQuery is a ReliefQuery signed by a person, as the notice page takes it in its header.
func reliefQueryHeader(t *testing.T, in *instance, keyFile, person string) string {
	t.Helper()
	doc, _ := json.Marshal(relief.Query{Type: relief.QueryType, ID: federation.NewStatementID()})
	return base64.StdEncoding.EncodeToString(signAs(t, in, doc, keyFile, person))
}

func signAs(t *testing.T, in *instance, doc []byte, keyFile, person string) []byte {
	t.Helper()
	key, err := readPrivateKey(keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	vm := in.base + "/users/" + person + "#" + proof.EncodeMultikey(key.Public().(ed25519.PublicKey))
	signed, err := proof.Sign(doc, key, vm, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// request sends a request with headers and a body.
func request(t *testing.T, method, url string, headers map[string]string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}
