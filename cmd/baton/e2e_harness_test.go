package main

// The harness of the end-to-end tests: it builds the real binary once, runs instances of it as
// subprocesses on loopback, and drives them with the real client commands.
//
// A test that keeps the suite quick: calls t.Parallel() first (the tests run e2eParallel at a time);
// starts its own instances with startBaton, each on its own port, data folder and admin token; never
// sets this process's environment (t.Setenv cannot run in parallel; give a client command more with
// instance.cliEnv); waits for what shows the work was done (waitFor, waitQueueEmpty, metric, a log
// line, testpeer.Wait), never a sleep to show that nothing more happened; takes costly fixtures that
// no test changes from a shared pool (sharedFollowers); and is as large as what it proves, leaving
// scale to a Benchmark.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"baton/internal/testpeer"
)

// batonBin is the binary TestMain built.
var batonBin string

// raceEnabled is set when the tests run with -race (e2e_race_test.go): the binary is then built
// with -race too, and a data race it reports fails the test that ran it.
var raceEnabled bool

// e2eParallel is how many tests run at once when -parallel does not say. An end-to-end test spends
// much of its time waiting rather than computing: for a retry to come due (16 s after a failed
// delivery), a lease to end, a subprocess to start. go test's default, GOMAXPROCS, would leave the
// cores of a small machine idle while two such tests wait.
func e2eParallel() int { return 2 * runtime.GOMAXPROCS(0) }

func TestMain(m *testing.M) {
	flag.Parse()
	if !flagGiven("test.parallel") {
		flag.Set("test.parallel", strconv.Itoa(e2eParallel()))
	}
	dir, err := os.MkdirTemp("", "baton-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	batonBin = filepath.Join(dir, "baton")
	args := []string{"build", "-o", batonBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building baton:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// flagGiven reports whether the command line set the flag name.
func flagGiven(name string) bool {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// requireTool ends the test unless program is on the PATH: skipped (go test -v says so), or failed
// under CI, which must install it, as it does redis-server and chromium.
func requireTool(t testing.TB, program, debianPackage string) {
	t.Helper()
	if _, err := exec.LookPath(program); err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed: CI must install it (.ci/run installs %s)", program, debianPackage)
	}
	t.Skipf("%s is not installed (apt-get install %s): this test did not run", program, debianPackage)
}

// lockedBuffer collects a subprocess's output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// instance is one `baton serve` subprocess, restartable on the same data folder and port.
type instance struct {
	t     testing.TB
	dir   string // --data
	addr  string // 127.0.0.1:PORT
	base  string // http://addr
	token string // BATON_ADMIN_TOKEN
	flags []string
	log   *lockedBuffer // stdout and stderr of every run
	// cliEnv is more environment for its client commands (KEY=VALUE), e.g. an ssh-agent's
	// SSH_AUTH_SOCK: a parallel test cannot set this process's environment.
	cliEnv []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // from Wait, once exited
}

// startBaton runs a fresh instance with extra serve flags; it is killed when the test ends, and its
// output goes to the test log if the test failed.
func startBaton(t testing.TB, flags ...string) *instance {
	t.Helper()
	return startWithToken(t, "e2e-admin-token-"+strconv.FormatInt(time.Now().UnixNano(), 36), flags...)
}

// startWithToken runs an instance with an admin token of the test's choosing ("" lets the instance
// make one, or use the one stored already: replicas on one Redis).
func startWithToken(t testing.TB, token string, flags ...string) *instance {
	t.Helper()
	in := &instance{t: t, dir: t.TempDir(), addr: freeAddr(t), token: token, flags: flags, log: &lockedBuffer{}}
	in.base = "http://" + in.addr
	t.Cleanup(func() {
		in.kill()
		out := in.log.String()
		if raceEnabled && strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("the baton server at %s reported a data race", in.addr)
		}
		if t.Failed() {
			if len(out) > 96<<10 {
				out = "[…]" + out[len(out)-96<<10:]
			}
			t.Logf("output of baton serve at %s:\n%s", in.addr, out)
		}
	})
	in.start()
	return in
}

// freeAddr finds a free loopback port.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// env is the environment of a subprocess: this one's without BATON_* variables, plus extra.
func env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BATON_") && !strings.HasPrefix(kv, "GORACE=") {
			out = append(out, kv)
		}
	}
	// Built with -race, a program sleeps a second before it exits unless told not to: the tests run
	// hundreds of commands.
	out = append(out, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return append(out, extra...)
}

// start runs `baton serve` and waits for /healthz.
func (in *instance) start() {
	in.t.Helper()
	args := append([]string{"serve", "--listen", in.addr, "--base-url", in.base, "--data", in.dir,
		"--allow-private-addresses"}, in.flags...)
	cmd := exec.Command(batonBin, args...)
	cmd.Env = env("BATON_ADMIN_TOKEN=" + in.token)
	cmd.Stdout, cmd.Stderr = in.log, in.log
	dieWithParent(cmd)
	fmt.Fprintf(in.log, "=== %s baton %s\n", time.Now().Format(time.StampMilli), strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		in.t.Fatalf("start baton: %v", err)
	}
	exited := make(chan struct{})
	in.mu.Lock()
	in.cmd, in.exited, in.err = cmd, exited, nil
	in.mu.Unlock()
	go func() {
		err := cmd.Wait()
		in.mu.Lock()
		in.err = err
		in.mu.Unlock()
		close(exited)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			in.t.Fatalf("baton serve exited before it was healthy: %v", in.exitErr())
		default:
		}
		resp, err := http.Get(in.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("baton serve at %s not healthy after 30s: %v", in.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (in *instance) exitErr() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.err
}

// signal sends sig to the running process and waits for it to exit (at most wait), returning how it
// ended; nil when it was not running.
func (in *instance) signal(sig syscall.Signal, wait time.Duration) error {
	in.mu.Lock()
	cmd, exited := in.cmd, in.exited
	in.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
		return in.exitErr()
	default:
	}
	cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(wait):
		cmd.Process.Kill()
		<-exited
		return fmt.Errorf("did not exit within %s of %v; killed", wait, sig)
	}
	return in.exitErr()
}

// stop ends the server with SIGTERM, as systemd does, and wants a clean exit.
func (in *instance) stop() {
	in.t.Helper()
	if err := in.signal(syscall.SIGTERM, 20*time.Second); err != nil {
		in.t.Fatalf("baton serve did not stop cleanly on SIGTERM: %v", err)
	}
}

// kill ends the server with SIGKILL: a crash.
func (in *instance) kill() { in.signal(syscall.SIGKILL, 10*time.Second) }

// cli runs a client command against the instance with BATON_SERVER and BATON_TOKEN.
func (in *instance) cli(args ...string) (stdout, stderr string, err error) {
	return in.cliWithin(60*time.Second, args...)
}

// cliWithin runs a client command that may take longer than most.
func (in *instance) cliWithin(limit time.Duration, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, batonBin, args...)
	cmd.Env = env(append([]string{"BATON_SERVER=" + in.base, "BATON_TOKEN=" + in.token}, in.cliEnv...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// addProject creates a project with `baton project add` and returns its actor id.
func (in *instance) addProject(name, displayName string) string {
	in.t.Helper()
	out, errOut, err := in.cli("project", "add", name, "--display-name", displayName,
		"--homepage", "https://"+name+".example.org/", "--repo", "https://git.example.org/"+name)
	if err != nil {
		in.t.Fatalf("baton project add %s: %v\n%s", name, err, errOut)
	}
	handle, actor, ok := strings.Cut(strings.TrimSpace(out), "\t")
	if !ok || handle != "@"+name+"@"+in.addr || actor != in.base+"/users/"+name {
		in.t.Fatalf("baton project add printed %q", out)
	}
	return actor
}

var queuedLine = regexp.MustCompile(`queued for (\d+) inbox`)

// postNotice publishes a notice with `baton notice post` and returns the URL it printed and how many
// inboxes it said were queued.
func (in *instance) postNotice(project, kind, text string, extra ...string) (string, int) {
	in.t.Helper()
	args := append([]string{"notice", "post", "--project", project, "--kind", kind, "--text", text}, extra...)
	out, errOut, err := in.cli(args...)
	if err != nil {
		in.t.Fatalf("baton notice post: %v\n%s", err, errOut)
	}
	url := strings.TrimSpace(out)
	if !strings.HasPrefix(url, in.base+"/notices/") {
		in.t.Fatalf("baton notice post printed %q, want a notice URL", out)
	}
	m := queuedLine.FindStringSubmatch(errOut)
	if m == nil {
		in.t.Fatalf("baton notice post said %q, want 'queued for N inbox(es)'", errOut)
	}
	n, _ := strconv.Atoi(m[1])
	return url, n
}

// get fetches a path (or a full URL) with an Accept header.
func (in *instance) get(path, accept string) (int, http.Header, []byte) {
	in.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = in.base + path
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

// followers is the followers count of a project, from its followers collection and from the API,
// which must agree.
func (in *instance) followers(project string) int {
	in.t.Helper()
	status, _, body := in.get("/users/"+project+"/followers", "application/activity+json")
	var c struct {
		TotalItems *int `json:"totalItems"`
	}
	if status != 200 || json.Unmarshal(body, &c) != nil || c.TotalItems == nil {
		in.t.Fatalf("GET followers: %d %s", status, body)
	}
	status, _, body = in.get("/api/v1/projects/"+project, "application/json")
	var v struct {
		Followers int `json:"followers"`
	}
	if status != 200 || json.Unmarshal(body, &v) != nil {
		in.t.Fatalf("GET /api/v1/projects/%s: %d %s", project, status, body)
	}
	if v.Followers != *c.TotalItems {
		in.t.Errorf("followers of %s: the collection says %d, the API %d", project, *c.TotalItems, v.Followers)
	}
	return *c.TotalItems
}

// waitFollowers waits until a project has want followers.
func (in *instance) waitFollowers(project string, want int) {
	in.t.Helper()
	var got int
	if !waitFor(15*time.Second, func() bool { got = in.followers(project); return got == want }) {
		in.t.Fatalf("followers of %s: %d, want %d", project, got, want)
	}
}

// metric reads one unlabelled series from /metrics.
func (in *instance) metric(name string) float64 {
	in.t.Helper()
	status, _, body := in.get("/metrics", "text/plain")
	if status != 200 {
		in.t.Fatalf("GET /metrics: %d", status)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				in.t.Fatalf("metric %s: %q", name, line)
			}
			return f
		}
	}
	in.t.Fatalf("metric %s not in /metrics", name)
	return 0
}

// waitQueueEmpty waits until nothing is left to deliver.
func (in *instance) waitQueueEmpty(timeout time.Duration) {
	in.t.Helper()
	var depth float64
	if !waitFor(timeout, func() bool { depth = in.metric("baton_delivery_queue_depth"); return depth == 0 }) {
		in.t.Fatalf("baton_delivery_queue_depth is %v after %s, want 0", depth, timeout)
	}
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameJSON reports whether two JSON documents are equal as JSON.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// followProject has the peer's actor `who` look up @project@ the instance and follow it, and waits for
// the Accept. It returns the project as the peer resolved it.
func (in *instance) followProject(peer *testpeer.Peer, who, project string) *testpeer.RemoteActor {
	in.t.Helper()
	ctx := context.Background()
	actor, err := peer.Lookup(ctx, "@"+project+"@"+in.addr)
	if err != nil {
		in.t.Fatalf("look up @%s@%s: %v", project, in.addr, err)
	}
	f, err := peer.Follow(ctx, who, actor)
	if err != nil {
		in.t.Fatalf("%s follows %s: %v", who, actor.ID, err)
	}
	if !testpeer.Wait(15*time.Second, func() bool { _, ok := peer.Accepted(f); return ok }) {
		noFailures(in.t, peer)
		in.t.Fatalf("no Accept of %s's follow from %s", who, in.base)
	}
	return actor
}
