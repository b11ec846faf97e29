package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"baton/internal/loadtest"
	"baton/internal/redistest"
)

// adminToken is the admin token of every instance the tool starts: it lives as long as a run.
const adminToken = "batonload-admin-token-0123456789abcdef"

// instance is a `baton serve` the tool started, in its own process, with its store.
type instance struct {
	store   string // sqlite or redis
	base    string // http://127.0.0.1:PORT
	metrics string // http://127.0.0.1:PORT of --metrics-listen
	cmd     *exec.Cmd
	redis   *redistest.Server
	dir     string
	log     string
	http    *http.Client
}

// startInstance starts baton serve on store with workers, and a redis-server of its own for the Redis
// store (append-only file fsynced every second, as recommended for production).
func startInstance(binary, store string, workers int, dir string) (*instance, error) {
	in := &instance{store: store, dir: dir, log: filepath.Join(dir, "baton.log"),
		http: &http.Client{Timeout: time.Minute}}
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	metrics, err := freeAddr()
	if err != nil {
		return nil, err
	}
	in.base, in.metrics = "http://"+listen, "http://"+metrics
	args := []string{"serve", "--listen", listen, "--metrics-listen", metrics, "--allow-private-addresses",
		"--workers", strconv.Itoa(workers)}
	switch store {
	case "sqlite":
		args = append(args, "--data", filepath.Join(dir, "data"))
	case "redis":
		if in.redis, err = redistest.StartWith(redistest.EverySec...); err != nil {
			return nil, fmt.Errorf("redis-server: %w", err)
		}
		args = append(args, "--redis", in.redis.URL(0))
	default:
		return nil, fmt.Errorf("store %q: want sqlite or redis", store)
	}
	logFile, err := os.Create(in.log)
	if err != nil {
		in.stop()
		return nil, err
	}
	defer logFile.Close()
	in.cmd = exec.Command(binary, args...)
	in.cmd.Env = append(os.Environ(), "BATON_ADMIN_TOKEN="+adminToken)
	in.cmd.Stdout, in.cmd.Stderr = logFile, logFile
	if err := in.cmd.Start(); err != nil {
		in.stop()
		return nil, err
	}
	if err := in.waitHealthy(30 * time.Second); err != nil {
		in.stop()
		return nil, err
	}
	return in, nil
}

func (in *instance) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := in.http.Get(in.metrics + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("baton serve did not answer on %s within %s:\n%s", in.metrics, timeout, in.logTail())
}

// stop ends baton serve with SIGTERM (as an operator would), and its redis-server.
func (in *instance) stop() {
	if in.cmd != nil && in.cmd.Process != nil {
		in.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { in.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			in.cmd.Process.Kill()
			<-done
		}
	}
	if in.redis != nil {
		in.redis.Stop()
	}
}

// logTail is the end of baton serve's log, for an error message.
func (in *instance) logTail() string {
	b, _ := os.ReadFile(in.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// cpu is the CPU time baton serve has used, with its redis-server's on Redis.
func (in *instance) cpu() time.Duration {
	t, _ := loadtest.ProcessCPU(in.cmd.Process.Pid)
	if in.redis != nil {
		r, _ := loadtest.ProcessCPU(in.redis.PID())
		t += r
	}
	return t
}

// redisCPU is redis-server's part of cpu (0 on SQLite).
func (in *instance) redisCPU() time.Duration {
	if in.redis == nil {
		return 0
	}
	t, _ := loadtest.ProcessCPU(in.redis.PID())
	return t
}

// api calls the admin API and decodes its JSON answer into out.
func (in *instance) api(method, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, in.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := in.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, answer)
	}
	if out != nil {
		return json.Unmarshal(answer, out)
	}
	return nil
}

// published is the API's answer to a notice.
type published struct {
	ID     int64  `json:"id"`
	URL    string `json:"url"`
	Queued int    `json:"queued"`
}

func (in *instance) publish(project, kind, text string) (published, error) {
	req := map[string]any{"kind": kind, "text": text}
	if kind == "call-for-stewards" { // what a call names: it goes to followers when public
		req["role"], req["scope"], req["term"], req["public"] = "reviewer", []string{"commit"}, "6m", true
	}
	var p published
	err := in.api(http.MethodPost, "/api/v1/projects/"+project+"/notices", req, &p)
	return p, err
}

// scrape reads the instance's /metrics into name{labels} -> value.
func (in *instance) scrape() (map[string]float64, error) {
	resp, err := in.http.Get(in.metrics + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || !strings.HasPrefix(line, "baton_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// waitQueueEmpty waits until nothing is queued, so that a round's CPU includes recording what was
// delivered.
func (in *instance) waitQueueEmpty(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		m, err := in.scrape()
		if err != nil {
			return err
		}
		depth, ok := m["baton_delivery_queue_depth"]
		if ok && depth == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("queue still holds %v deliveries after %s", depth, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// profile takes a CPU profile of baton serve for d from its metrics listener (/debug/pprof/profile)
// into file.
func (in *instance) profile(ctx context.Context, d time.Duration, file string) error {
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", in.metrics, max(1, int(d.Seconds())))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: d + time.Minute}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1000))
		return fmt.Errorf("profile: %s: %s", resp.Status, b)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// freeAddr is a free port on 127.0.0.1.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// buildBaton builds ./cmd/baton into dir.
func buildBaton(dir string) (string, error) {
	out := filepath.Join(dir, "baton")
	cmd := exec.Command("go", "build", "-o", out, "baton/cmd/baton")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build baton/cmd/baton (run batonload inside the repository, or give --baton): %w", err)
	}
	return out, nil
}

var errTimeout = errors.New("timed out")
