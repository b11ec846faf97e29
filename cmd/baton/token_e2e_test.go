package main

import (
	"context"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"baton/store"
)

// The admin token an operator chooses is stored: a restart without it keeps it (printing nothing), a
// restart with another replaces it (and says so), `baton token rotate` on the stopped instance prints a
// new one and the old one stops working, even when it is still given to serve.
func TestE2EAdminTokenKeptAndRotated(t *testing.T) {
	t.Parallel()
	in := startBaton(t)
	chosen := in.token
	in.addProject("xz", "XZ Utils")
	in.stop()

	// Started without a token: the chosen one still works, and no token is printed.
	in.token = ""
	in.start()
	if strings.Contains(in.log.String(), "Admin token") {
		t.Errorf("a restart without a token printed one:\n%s", in.log.String())
	}
	wantAdmin(t, in, chosen, http.StatusNotFound)
	wantAdmin(t, in, "not-the-token-of-this-instance", http.StatusForbidden)

	// Not while it runs: the running instance would go on taking the old token.
	out, err := runBaton(nil, "token", "rotate", "--data", in.dir)
	wantExit1(t, "token rotate on a running instance", out, err, `sqlite:`+regexp.QuoteMeta(in.dir)+` is in use by baton serve \(pid \d+ on .+, listening on `+regexp.QuoteMeta(in.addr))
	in.stop()

	// A restart with another token replaces the stored one.
	other := "e2e-other-admin-token-0123456789"
	in.token = other
	in.start()
	if !strings.Contains(in.log.String(), "admin token changed") {
		t.Errorf("a restart with another token did not say it changed:\n%s", in.log.String())
	}
	wantAdmin(t, in, other, http.StatusNotFound)
	wantAdmin(t, in, chosen, http.StatusForbidden)
	in.stop()

	// Rotated: a new token, printed once on stdout; the one before it no longer works.
	out, err = runBaton(nil, "token", "rotate", "--data", in.dir)
	rotated, _, _ := strings.Cut(out, "\n")
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{48}$`).MatchString(rotated) {
		t.Fatalf("token rotate: %v\n%s", err, out)
	}
	in.token = ""
	in.start()
	wantAdmin(t, in, rotated, http.StatusNotFound)
	wantAdmin(t, in, other, http.StatusForbidden)
	in.token = rotated
	if got := in.mustCLI("project", "add", "zlib"); !strings.Contains(got, "/users/zlib") {
		t.Errorf("project add with the rotated token printed %q", got)
	}
	in.stop()

	// A service still configured with the rotated-out token does not bring it back.
	out, err = runBaton(env("BATON_ADMIN_TOKEN="+other), "serve", "--data", in.dir, "--listen", freeAddr(t))
	wantExit1(t, "serve with a rotated-out token", out, err, "replaced by `baton token rotate`")
	in.token = ""
	in.start()
	wantAdmin(t, in, rotated, http.StatusNotFound)
	wantAdmin(t, in, other, http.StatusForbidden)

	// Two instances on one data folder: the second is refused, saying which one serves.
	out, err = runBaton(env(), "serve", "--data", in.dir, "--listen", freeAddr(t))
	wantExit1(t, "a second serve on one data folder", out, err, `in use by baton serve \(pid \d+ on .+, listening on `+regexp.QuoteMeta(in.addr)+`.*one instance serves from a SQLite database`)
}

// The chosen token moves with the instance into Redis, and the replicas started there as the README
// says (no token given) take it and print none; migrate says which settings moved, and refuses a store
// an instance serves from (or a crashed one held, until its claim lapsed), naming who holds it.
func TestE2EMigrateCarriesTokenAndRefusesHeldStores(t *testing.T) {
	t.Parallel()
	redis := startRedis(t, false)
	in := startBaton(t)
	chosen := in.token
	in.addProject("xz", "XZ Utils")

	// From a SQLite folder an instance serves from: refused.
	out, err := runMigrate("--from", "sqlite:"+in.dir, "--to", redis.URL(0))
	wantExit1(t, "migrate from a served SQLite folder", out, err, `--from: sqlite:.* is in use by baton serve \(pid \d+ .*listening on `+regexp.QuoteMeta(in.addr)+`.*stop it first`)
	// Into it, likewise (before it would have been refused as not empty).
	out, err = runMigrate("--from", redis.URL(0), "--to", "sqlite:"+in.dir)
	wantExit1(t, "migrate into a served SQLite folder", out, err, `--to: sqlite:.* is in use by baton serve`)
	// Killed, as in a crash: its hold went with the process.
	in.kill()

	out = mustMigrate(t, "--from", "sqlite:"+in.dir, "--to", redis.URL(0))
	if !strings.Contains(out, "2 settings (admin token hash, instance key)") {
		t.Errorf("migrate printed %q, want the two settings named", out)
	}

	// Two replicas on Redis, as the README starts them: no token given.
	flags := []string{"--redis", redis.URL(0)}
	a, b := startReplica(t, "", flags...), startReplica(t, "", flags...)
	for _, r := range []*instance{a, b} {
		if strings.Contains(r.log.String(), "Admin token") {
			t.Errorf("a replica on the moved store printed a token:\n%s", r.log.String())
		}
		wantAdmin(t, r, chosen, http.StatusNotFound)
	}

	// Both serve, and a migrate from their store or a token rotation is refused while either does.
	back := filepath.Join(t.TempDir(), "back")
	out, err = runMigrate("--from", redis.URL(0), "--to", "sqlite:"+back)
	wantExit1(t, "migrate from Redis while replicas serve", out, err, `--from: redis://.* is in use by baton serve \(pid \d+ .*stop it first \(every replica\)`)
	out, err = runBaton(nil, "token", "rotate", "--redis", redis.URL(0))
	wantExit1(t, "token rotate while replicas serve", out, err, `in use by baton serve`)
	a.stop()
	out, err = runMigrate("--from", redis.URL(0), "--to", "sqlite:"+back)
	wantExit1(t, "migrate from Redis while one replica serves", out, err, `in use by baton serve \(pid \d+ .*listening on `+regexp.QuoteMeta(b.addr))

	// The last one crashes: its claim stands until it lapses (store.HoldTTL), then nothing holds the
	// store.
	b.kill()
	out, err = runMigrate("--from", redis.URL(0), "--to", "sqlite:"+back)
	wantExit1(t, "migrate from Redis just after a replica crashed", out, err, `in use by baton serve \(pid \d+ .*listening on `+regexp.QuoteMeta(b.addr))
	rdb := goredis.NewClient(&goredis.Options{Addr: redis.Addr})
	defer rdb.Close()
	serving := func() int64 {
		n, _ := rdb.ZCount(context.Background(), "baton:holds:serving", strconv.FormatInt(time.Now().UnixMilli(), 10), "+inf").Result()
		return n
	}
	if !waitFor(2*store.HoldTTL, func() bool { return serving() == 0 }) {
		t.Fatalf("the crashed replica's claim did not lapse")
	}

	// Stopped, every replica: the move back goes, with the token.
	out = mustMigrate(t, "--from", redis.URL(0), "--to", "sqlite:"+back)
	if !strings.Contains(out, "2 settings (admin token hash, instance key)") {
		t.Errorf("migrate back printed %q, want the two settings named", out)
	}
	in.token, in.dir = "", back
	in.start()
	wantAdmin(t, in, chosen, http.StatusNotFound)
}

// wantAdmin wants an admin request with token answered with status: 404 for a notice that does not
// exist means the token was taken, 403 that it was not.
func wantAdmin(t *testing.T, in *instance, token string, status int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, in.base+"/api/v1/notices/999999/delivery", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Errorf("an admin request with token %.12s… answered %d, want %d", token, resp.StatusCode, status)
	}
}

// runBaton runs a command with the environment given (nil: none of the BATON_* variables), at most a
// minute: a serve that should have been refused and runs is ended then.
func runBaton(environ []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, batonBin, args...)
	cmd.Env = environ
	if environ == nil {
		cmd.Env = env()
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// wantExit1 wants a command to have exited 1 with output matching pattern.
func wantExit1(t *testing.T, what, out string, err error, pattern string) {
	t.Helper()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("%s: %v, want exit status 1\n%s", what, err, out)
		return
	}
	if !regexp.MustCompile(pattern).MatchString(out) {
		t.Errorf("%s printed %q, want it to match %q", what, out, pattern)
	}
}
