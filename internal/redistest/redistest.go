// Package redistest runs real redis-server processes for tests and benchmarks: each on a free loopback
// port in a temporary folder, keeping nothing on disk, or with the append-only file fsynced on every
// write (so that a test can kill Redis and start it again without losing what it acknowledged), or as
// configured.
//
// A test without redis-server on PATH is skipped with a message saying what did not run, except under
// CI (the CI environment variable set), where it fails: .ci/run installs redis-server.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Server is a redis-server a test started.
type Server struct {
	Addr string   // host:port on loopback
	path string   // the redis-server binary
	dir  string   // its folder: the append-only file, the log
	args []string // its configuration, beyond port, address and folder
	cmd  *exec.Cmd
}

// ErrNotInstalled is returned by Start when there is no redis-server on PATH.
var ErrNotInstalled = errors.New("redis-server not installed")

// Durable is the configuration that loses nothing acknowledged: the append-only file, fsynced on
// every write before Redis answers, so Kill then Restart comes back with everything.
var Durable = []string{"--appendonly", "yes", "--appendfsync", "always"}

// EverySec is the configuration recommended for production, which benchmarks use: the append-only
// file, fsynced once a second by a background thread, so a crash loses at most the last second.
var EverySec = []string{"--appendonly", "yes", "--appendfsync", "everysec"}

// Start starts a redis-server with the Durable configuration, or keeping nothing on disk, and waits
// until it answers PING.
func Start(durable bool) (*Server, error) {
	if durable {
		return StartWith(Durable...)
	}
	return StartWith("--appendonly", "no")
}

// StartWith starts a redis-server configured with args (no snapshots unless they say so) and waits
// until it answers PING.
func StartWith(args ...string) (*Server, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "baton-redis-test-")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", port), path: path, dir: dir, args: args}
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// URL is the redis:// URL of one of the server's databases.
func (s *Server) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr, db) }

// PID is the server's process id, for reading its CPU time from /proc.
func (s *Server) PID() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Kill stops the server at once (SIGKILL), as a crash would, keeping its folder for Restart.
func (s *Server) Kill() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Restart starts the server again on the same port and folder: a durable one comes back with
// everything it acknowledged.
func (s *Server) Restart() error {
	s.Kill()
	return s.start()
}

// Stop kills the server and removes its folder.
func (s *Server) Stop() {
	s.Kill()
	os.RemoveAll(s.dir)
}

func (s *Server) start() error {
	logFile := filepath.Join(s.dir, "redis.log")
	log, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	_, port, _ := net.SplitHostPort(s.Addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", s.dir, "--save", ""}, s.args...)
	cmd := exec.Command(s.path, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.path, err)
	}
	s.cmd = cmd
	if err := waitForPing(s.Addr); err != nil {
		s.Kill()
		out, _ := os.ReadFile(logFile)
		return fmt.Errorf("redis-server on %s: %w\n%s", s.Addr, err, out)
	}
	return nil
}

// Require returns the server Start made, or ends the test: skipped when redis-server is not
// installed (failed under CI), failed when it is installed but did not start.
func Require(t testing.TB, s *Server, startErr error) *Server {
	t.Helper()
	switch {
	case errors.Is(startErr, ErrNotInstalled) && os.Getenv("CI") != "":
		t.Fatal("redis-server not installed: CI must install it (.ci/run does), or the tests on Redis do not run")
	case errors.Is(startErr, ErrNotInstalled):
		t.Skip("redis-server not installed: this test on Redis did not run")
	case startErr != nil:
		t.Fatalf("redis-server is installed but did not start: %v", startErr)
	}
	return s
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

func waitForPing(addr string) error {
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err = c.Ping(context.Background()).Err(); err == nil {
			return nil
		}
	}
	return err
}
