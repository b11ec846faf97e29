// Command batonload measures Baton's fan-out as a deployment sees it. It builds baton (or takes
// --baton), starts `baton serve` in a process of its own on SQLite or on Redis (with a redis-server it
// starts), and N fake fediverse instances in this process, each on a loopback address of its own
// (127.0.1.1, 127.0.1.2, …; Baton runs with --allow-private-addresses). Each instance serves WebFinger,
// its actor and its inboxes as a Mastodon does, follows the project with a real signed Follow, and
// verifies every delivery it receives (signature, digest, date, Baton's key fetched from Baton) and
// counts it, so that each notice is checked to reach every instance exactly once.
//
// Each round publishes notices through the admin API, one after another, each delivered to every
// instance before the next. Just before and just after each round it measures the RSA-2048 signing
// ceiling: signatures per second on every CPU, as the client signs a delivery, the bound on deliveries
// per second. Per round it prints deliveries/s, their ratio to the ceiling, Baton's CPU time per
// delivery (baton serve's utime+stime from /proc, redis-server's added on Redis) and how many
// signatures' worth that is; per setup, the CPU time one follow cost (the Follow's checks, the fetch
// of the follower's actor, the Accept). Figures that compare with the ceiling come from the same run,
// so they hold on a machine whose speed drifts; other-cpus says how much CPU the rest of the machine
// took meanwhile.
//
//	go run ./cmd/batonload --store sqlite,redis --instances 500,2000
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"baton/internal/loadtest"
)

type config struct {
	baton      string
	stores     []string
	instances  []int
	workers    []int
	rounds     int
	notices    int
	kind       string
	ceilingFor time.Duration
	follows    int
	profileDir string
	profileFor time.Duration
	keep       bool
	creates    int // signed Creates sent to Baton's inbox per setup
	inFlight   int // of them at once
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "batonload:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("batonload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var stores, instances, workers string
	fs.StringVar(&c.baton, "baton", "", "the baton binary; empty builds ./cmd/baton (run inside the repository)")
	fs.StringVar(&stores, "store", "sqlite,redis", "stores to measure, comma-separated: sqlite, redis")
	fs.StringVar(&instances, "instances", "500,2000", "numbers of fake instances (followers, one per instance), comma-separated")
	fs.StringVar(&workers, "workers", "16", "baton serve --workers values, comma-separated")
	fs.IntVar(&c.rounds, "rounds", 3, "measured rounds per setup")
	fs.IntVar(&c.notices, "notices", 2, "notices per round, each delivered to every instance before the next")
	fs.StringVar(&c.kind, "kind", "call-for-stewards", "kind of the notices the admin publishes: a public call for stewards leaves the project's status as it is, so no profile Update follows it")
	fs.DurationVar(&c.ceilingFor, "ceiling-time", 1500*time.Millisecond, "how long the signing ceiling is measured before and after each round")
	fs.IntVar(&c.follows, "follow-concurrency", 16, "follows sent at once")
	fs.StringVar(&c.profileDir, "cpuprofile-dir", "", "take CPU profiles of baton serve (from --metrics-listen's /debug/pprof) into this folder: of the follows, from the first, and, after the rounds of each setup, while notices go out")
	fs.DurationVar(&c.profileFor, "cpuprofile-time", 20*time.Second, "how long each profile runs (at most 25s: the metrics listener answers within 30s)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary folder (baton's data and log)")
	fs.IntVar(&c.creates, "inbox-creates", 20000, "signed Creates sent to Baton's shared inbox after the rounds of each setup (0: none)")
	fs.IntVar(&c.inFlight, "inbox-in-flight", 16, "Creates sent at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.stores = strings.Split(stores, ",")
	var err error
	if c.instances, err = ints(instances); err != nil {
		return fmt.Errorf("--instances: %w", err)
	}
	if c.workers, err = ints(workers); err != nil {
		return fmt.Errorf("--workers: %w", err)
	}
	if c.profileDir != "" {
		if err := os.MkdirAll(c.profileDir, 0o755); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "batonload-")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Fprintln(stderr, "keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if c.baton == "" {
		if c.baton, err = buildBaton(dir); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "batonload: %s, %d CPUs (%s), %s, load average %s\n\n", time.Now().UTC().Format(time.RFC3339),
		runtime.NumCPU(), cpuModel(), runtime.Version(), loadAverage())
	var setups []setupResult
	for _, st := range c.stores {
		for _, n := range c.instances {
			for _, w := range c.workers {
				r, err := measureSetup(c, st, n, w, filepath.Join(dir, fmt.Sprintf("%s-%d-%d", st, n, w)), stderr)
				if err != nil {
					return fmt.Errorf("%s, %d instances, %d workers: %w", st, n, w, err)
				}
				setups = append(setups, r)
			}
		}
	}
	report(stdout, setups)
	reportInbox(stdout, setups)
	return nil
}

func ints(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// setupResult is what one store, instance count and worker count measured.
type setupResult struct {
	store     string
	instances int
	workers   int
	followCPU time.Duration // baton's (and redis-server's) CPU per follow
	followSig float64       // the same in signatures (of the ceiling measured next to it)
	inbox     *inboxResult  // nil when no Creates were sent
	peakRSS   int64         // baton serve's peak resident memory after the rounds, in bytes
	rounds    []round
}

// round is one measured round.
type round struct {
	deliveries   int
	elapsed      time.Duration
	ceiling      float64       // signatures/s, mean of before and after
	drift        float64       // |after-before| / mean
	signatureCPU time.Duration // one signature's CPU, from the ceiling measurements
	batonCPU     time.Duration // baton serve + redis-server
	redisCPU     time.Duration
	receiverCPU  time.Duration // this process: the instances verifying and counting
	otherCPU     time.Duration // the rest of the machine
}

func (r round) rate() float64  { return float64(r.deliveries) / r.elapsed.Seconds() }
func (r round) ratio() float64 { return r.rate() / r.ceiling }
func (r round) perDelivery() time.Duration {
	return r.batonCPU / time.Duration(r.deliveries)
}

// inSignatures is the CPU per delivery in signatures: 1.0 is a delivery that costs its signature alone.
func (r round) inSignatures() float64 {
	return float64(r.perDelivery()) / float64(r.signatureCPU)
}

func measureSetup(c config, store string, n, workers int, dir string, log io.Writer) (setupResult, error) {
	res := setupResult{store: store, instances: n, workers: workers}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, err
	}
	fmt.Fprintf(log, "%s, %d instances, %d workers: starting\n", store, n, workers)
	inst, err := startInstance(c.baton, store, workers, dir)
	if err != nil {
		return res, err
	}
	defer inst.stop()
	if err := inst.api("POST", "/api/v1/projects", map[string]string{"name": "xz", "display_name": "XZ Utils"}, nil); err != nil {
		return res, err
	}
	peers, err := startInstances(n)
	if err != nil {
		return res, err
	}
	defer peers.close()

	ctx := context.Background()
	handle := "xz@" + strings.TrimPrefix(inst.base, "http://")
	ceiling, sig, err := loadtest.SigningCeiling(c.ceilingFor)
	if err != nil {
		return res, err
	}
	var cpu0 time.Duration
	profiled := make(chan error, 1)
	followsProfile := filepath.Join(c.profileDir, fmt.Sprintf("%s-%d-%d-follows.pprof", store, n, workers))
	startFollows := func() {
		cpu0 = inst.cpu()
		if c.profileDir == "" {
			profiled <- nil
			return
		}
		// From the first follow on, for as long as the other profiles: longer than the follows is no harm.
		go func() { profiled <- inst.profile(ctx, c.profileFor, followsProfile) }()
	}
	if err := peers.follow(ctx, handle, c.follows, startFollows); err != nil {
		return res, fmt.Errorf("%w\n%s", err, inst.logTail())
	}
	if err := <-profiled; err != nil {
		return res, err
	}
	if err := inst.waitQueueEmpty(time.Minute); err != nil {
		return res, err
	}
	res.followCPU = (inst.cpu() - cpu0) / time.Duration(n)
	if sig == 0 {
		sig = time.Duration(float64(2*time.Second) / ceiling)
	}
	res.followSig = float64(res.followCPU) / float64(sig)
	fmt.Fprintf(log, "  %d follows: %.2f ms of CPU each (%.2f signatures)\n", n, ms(res.followCPU), res.followSig)
	if c.profileDir != "" {
		fmt.Fprintf(log, "  CPU profile of the follows: go tool pprof -top %s %s\n", c.baton, followsProfile)
	}

	published := 0
	for i := range c.rounds {
		r, err := measureRound(c, inst, peers, &published)
		if err != nil {
			return res, err
		}
		fmt.Fprintf(log, "  round %d: %d deliveries, %.0f/s, ceiling %.0f/s, ratio %.2f, %.3f ms CPU/delivery = %.2f signatures, other-cpus %.2f\n",
			i+1, r.deliveries, r.rate(), r.ceiling, r.ratio(), ms(r.perDelivery()), r.inSignatures(), r.otherCPU.Seconds()/r.elapsed.Seconds())
		res.rounds = append(res.rounds, r)
	}
	res.peakRSS, _ = loadtest.PeakMemory(inst.cmd.Process.Pid)
	// Once more, after every round: a delivery made twice late (after its lease ran out) shows now.
	if err := peers.exactlyOnce(peers.notices()); err != nil {
		return res, err
	}
	if f := peers.failures(); f > 0 {
		return res, fmt.Errorf("the instances refused %d requests (see a peer's Failures)", f)
	}
	if c.profileDir != "" {
		file := filepath.Join(c.profileDir, fmt.Sprintf("%s-%d-%d.pprof", store, n, workers))
		if err := profileWhilePublishing(c, inst, peers, &published, file); err != nil {
			return res, err
		}
		fmt.Fprintf(log, "  CPU profile: go tool pprof -top %s %s\n", c.baton, file)
	}
	if c.creates > 0 {
		r, err := measureInbox(inst, peers, c.creates, c.inFlight)
		if err != nil {
			return res, fmt.Errorf("inbox: %w\n%s", err, inst.logTail())
		}
		res.inbox = &r
		fmt.Fprintf(log, "  inbox: %d Creates, %d in flight: %.0f/s, p50 %.2f ms, p99 %.2f ms, %.3f ms CPU each\n", r.creates, r.inFlight,
			r.rate(), ms(r.percentile(0.5)), ms(r.percentile(0.99)), ms(r.batonCPU/time.Duration(r.creates)))
	}
	return res, nil
}

// measureRound publishes c.notices notices, one after another, each delivered to every instance (and
// its deliveries recorded) before the next, and measures it with the signing ceiling around it.
func measureRound(c config, inst *instance, peers *instances, published *int) (round, error) {
	before, sigBefore, err := loadtest.SigningCeiling(c.ceilingFor)
	if err != nil {
		return round{}, err
	}
	machine0, _ := loadtest.MachineCPU()
	self0, _ := loadtest.ProcessCPU(0)
	baton0, redis0 := inst.cpu(), inst.redisCPU()
	start := time.Now()
	ids, err := publishAndWait(c, inst, peers, published, c.notices)
	if err != nil {
		return round{}, err
	}
	elapsed := time.Since(start)
	baton1, redis1 := inst.cpu(), inst.redisCPU()
	self1, _ := loadtest.ProcessCPU(0)
	machine1, _ := loadtest.MachineCPU()
	after, sigAfter, err := loadtest.SigningCeiling(c.ceilingFor)
	if err != nil {
		return round{}, err
	}
	if err := peers.exactlyOnce(ids); err != nil {
		return round{}, err
	}
	mean := (before + after) / 2
	r := round{deliveries: len(ids) * len(peers.peers), elapsed: elapsed, ceiling: mean,
		drift: abs(after-before) / mean, signatureCPU: (sigBefore + sigAfter) / 2,
		batonCPU: baton1 - baton0, redisCPU: redis1 - redis0, receiverCPU: self1 - self0}
	r.otherCPU = max(0, machine1-machine0-r.batonCPU-r.receiverCPU)
	if r.signatureCPU == 0 { // no /proc for this process: take the ceiling's
		r.signatureCPU = time.Duration(float64(2*time.Second) / mean)
	}
	return r, nil
}

// publishAndWait publishes count notices, each delivered to every instance and the queue empty
// before the next, and returns their ids.
func publishAndWait(c config, inst *instance, peers *instances, published *int, count int) ([]string, error) {
	var ids []string
	for range count {
		*published++
		p, err := inst.publish("xz", c.kind, fmt.Sprintf("Notice %d: xz looks for a reviewer.", *published))
		if err != nil {
			return nil, err
		}
		if p.Queued != len(peers.peers) {
			return nil, fmt.Errorf("notice %d queued %d deliveries, want %d", p.ID, p.Queued, len(peers.peers))
		}
		if err := peers.waitFor(10*time.Minute, func() bool { return peers.reached(p.URL) }); err != nil {
			return nil, fmt.Errorf("notice %s: %w\n%s", p.URL, err, inst.logTail())
		}
		if err := inst.waitQueueEmpty(time.Minute); err != nil {
			return nil, err
		}
		ids = append(ids, p.URL)
	}
	return ids, nil
}

// profileWhilePublishing takes a CPU profile of baton serve for c.profileFor while notices go out one
// after another, and one of the receiving instances (this process) beside it.
func profileWhilePublishing(c config, inst *instance, peers *instances, published *int, file string) error {
	receivers, err := os.Create(strings.TrimSuffix(file, ".pprof") + "-receivers.pprof")
	if err != nil {
		return err
	}
	defer receivers.Close()
	if err := pprof.StartCPUProfile(receivers); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	done := make(chan error, 1)
	go func() { done <- inst.profile(context.Background(), c.profileFor, file) }()
	for {
		select {
		case err := <-done:
			return err
		default:
		}
		if _, err := publishAndWait(c, inst, peers, published, 1); err != nil {
			return err
		}
	}
}

func abs(x float64) float64 { return max(x, -x) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuModel is the first model name in /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// report prints a Markdown table: medians over a setup's rounds, with [min–max] where it varies most.
func report(w io.Writer, setups []setupResult) {
	fmt.Fprintln(w, "| store | instances | workers | rounds | deliveries/s | ceiling/s | **ratio** | CPU ms/delivery | **in signatures** | redis share | receivers CPUs | other CPUs | ceiling drift | follow CPU ms (signatures) | baton peak RSS MB |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, s := range setups {
		col := func(f func(round) float64) []float64 {
			out := make([]float64, len(s.rounds))
			for i, r := range s.rounds {
				out[i] = f(r)
			}
			slices.Sort(out)
			return out
		}
		rate := col(round.rate)
		ceiling := col(func(r round) float64 { return r.ceiling })
		ratio := col(round.ratio)
		perDelivery := col(func(r round) float64 { return ms(r.perDelivery()) })
		inSig := col(round.inSignatures)
		redis := col(func(r round) float64 { return float64(r.redisCPU) / float64(r.batonCPU) })
		receivers := col(func(r round) float64 { return r.receiverCPU.Seconds() / r.elapsed.Seconds() })
		other := col(func(r round) float64 { return r.otherCPU.Seconds() / r.elapsed.Seconds() })
		drift := col(func(r round) float64 { return r.drift })
		redisCol := "–"
		if s.store == "redis" {
			redisCol = fmt.Sprintf("%.2f", median(redis))
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.0f [%.0f–%.0f] | %.0f | **%.2f** [%.2f–%.2f] | %.3f [%.3f–%.3f] | **%.2f** [%.2f–%.2f] | %s | %.2f | %.2f | %.2f | %.2f (%.2f) | %.0f |\n",
			s.store, s.instances, s.workers, len(s.rounds),
			median(rate), rate[0], rate[len(rate)-1], median(ceiling),
			median(ratio), ratio[0], ratio[len(ratio)-1],
			median(perDelivery), perDelivery[0], perDelivery[len(perDelivery)-1],
			median(inSig), inSig[0], inSig[len(inSig)-1],
			redisCol, median(receivers), median(other), median(drift), ms(s.followCPU), s.followSig, float64(s.peakRSS)/(1<<20))
	}
}

// reportInbox prints a Markdown table of what each setup's inbox did with the Creates sent to it.
func reportInbox(w io.Writer, setups []setupResult) {
	header := false
	for _, s := range setups {
		r := s.inbox
		if r == nil {
			continue
		}
		if !header {
			fmt.Fprintln(w, "\n| store | instances | Creates | in flight | Creates/s | p50 ms | p99 ms | CPU ms/Create | senders CPUs | other CPUs |")
			fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
			header = true
		}
		perSecond := func(d time.Duration) float64 { return d.Seconds() / r.elapsed.Seconds() }
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.0f | %.2f | %.2f | %.3f | %.2f | %.2f |\n", s.store, s.instances, r.creates, r.inFlight,
			r.rate(), ms(r.percentile(0.5)), ms(r.percentile(0.99)), ms(r.batonCPU/time.Duration(r.creates)),
			perSecond(r.senderCPU), perSecond(r.otherCPU))
	}
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
