package main

import (
	"context"
	"crypto"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"baton/federation"
	"baton/inbox"
	"baton/notice"
	"baton/outbox"
	"baton/store"
	"baton/store/sqlite"
	"baton/upstream"
	"baton/web"
)

// serveConfig is what `baton serve` is told.
type serveConfig struct {
	listen       string
	metrics      string
	baseURL      string
	data         string
	redis        string
	allowPrivate bool
	adminToken   string
	logLevel     string
	workers      int
	language     string
	lease        time.Duration
	policy       notice.Policy
	catchUp      time.Duration
	trusted      hostList // instances whose stewards this one trusts
}

func serve(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c serveConfig
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address to listen on (env BATON_LISTEN)")
	fs.StringVar(&c.metrics, "metrics-listen", "", "serve /metrics on this address only (e.g. 127.0.0.1:9100), not on --listen, so the public port does not show them (env BATON_METRICS_LISTEN)")
	fs.StringVar(&c.baseURL, "base-url", "", "the public URL, e.g. https://notices.example.org (env BATON_BASE_URL; default http://LISTEN)")
	fs.StringVar(&c.data, "data", "data", "folder for the SQLite database (env BATON_DATA)")
	fs.StringVar(&c.redis, "redis", "", "keep all state in this Redis, shared by every replica, instead of SQLite: redis://[USER:PASSWORD@]HOST:6379/DB[?prefix=baton:] (env BATON_REDIS)")
	fs.BoolVar(&c.allowPrivate, "allow-private-addresses", false, "allow fetching from and delivering to loopback and private addresses (env BATON_ALLOW_PRIVATE_ADDRESSES)")
	fs.StringVar(&c.adminToken, "admin-token", "", "the admin token; prefer env BATON_ADMIN_TOKEN (without one, the first start makes one and prints it once)")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error (env BATON_LOG_LEVEL)")
	fs.IntVar(&c.workers, "workers", 16, "concurrent deliveries (env BATON_WORKERS)")
	fs.StringVar(&c.language, "language", "en", "the language notices are written in, as peers are told in each Note's contentMap (BCP 47, e.g. en, de, pt-BR; env BATON_LANGUAGE)")
	def := notice.DefaultPolicy()
	fs.IntVar(&c.policy.StewardEndorsements, "steward-endorsements", def.StewardEndorsements, "steward endorsements a change of rights (handover, signer change, infrastructure move, or a revocation of one) needs when the project has a single maintainer (env BATON_STEWARD_ENDORSEMENTS)")
	fs.IntVar(&c.policy.SharedStewardEndorsements, "shared-steward-endorsements", def.SharedStewardEndorsements, "the same, when the project has two or more maintainers (env BATON_SHARED_STEWARD_ENDORSEMENTS)")
	fs.DurationVar(&c.policy.ScrutinyWindow, "scrutiny-window", def.ScrutinyWindow, "how long a change of rights keeps a project in a scrutiny window (env BATON_SCRUTINY_WINDOW)")
	fs.DurationVar(&c.policy.ReturnScrutinyWindow, "return-scrutiny-window", def.ReturnScrutinyWindow, "how long a return that ends interim rights early keeps a project in a scrutiny window (env BATON_RETURN_SCRUTINY_WINDOW)")
	fs.Var(&c.trusted, "trusted-steward-instances", "hosts (host or host:port, comma-separated) whose stewards' endorsements count as this instance's own stewards' do (env BATON_TRUSTED_STEWARD_INSTANCES)")
	fs.DurationVar(&c.lease, "delivery-lease", 2*time.Minute, "how long a delivery taken by a worker is held; after a crash, deliveries in flight are retried when it ends (env BATON_DELIVERY_LEASE)")
	fs.DurationVar(&c.catchUp, "catch-up-interval", time.Hour, "how often the outboxes of watched upstreams are read for notices whose delivery was missed (env BATON_CATCH_UP_INTERVAL)")
	fs.SetOutput(stderr)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if c.baseURL == "" {
		c.baseURL = "http://" + c.listen
	}
	if err := c.policy.Validate(); err != nil {
		return fmt.Errorf("trust policy: %w", err)
	}
	if c.catchUp <= 0 {
		return fmt.Errorf("--catch-up-interval: %s is not a positive duration", c.catchUp)
	}
	if !languageTag.MatchString(c.language) {
		return fmt.Errorf("--language (BATON_LANGUAGE): %q is not a language tag such as en, de or pt-BR", c.language)
	}
	return runServer(c, stderr)
}

func runServer(c serveConfig, stderr io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	urls, err := federation.NewURLs(c.baseURL)
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, hold, err := openHeld(ctx, storeName(c.data, c.redis), false, holder("serve", c.listen))
	if err != nil {
		return err
	}
	defer st.Close()
	defer hold.Release(context.Background())
	logStore(log, c)
	instanceKey, err := instanceKey(ctx, st)
	if err != nil {
		return err
	}
	tokenHash, err := adminTokenHash(ctx, st, c.adminToken, log, stderr)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	client := federation.NewClient(federation.ClientOptions{AllowPrivate: c.allowPrivate, UserAgent: "baton/" + version + " (+" + urls.Home() + ")"})
	instanceSigner := federation.Signer{KeyID: urls.MainKey(""), Key: instanceKey}
	resolver := federation.NewResolver(client, inbox.KeyCache(st), instanceSigner, nil)
	names := federation.NewNames(resolver, nil) // one cache of remote people's names for Notes, pages and check
	out := outbox.New(outbox.Options{Store: st, URLs: urls, Client: client, Log: log, Names: names,
		Metrics: outbox.NewMetrics(reg, st), Config: outbox.Config{Workers: c.workers, Lease: c.lease, Policy: c.policy, Language: c.language, TrustedStewardInstances: c.trusted,
			ClaimGather: claimGather(c.redis)}, Resolver: resolver})
	watcher := upstream.New(upstream.Options{Store: st, URLs: urls, Resolver: resolver, Names: names, ActorKey: out.ActorKey, Policy: out.Policy(), Log: log,
		Metrics: upstream.NewMetrics(reg), Queued: out.Nudge, Tell: tellPackageFollowers(out)})
	in := inbox.New(inbox.Options{Store: st, URLs: urls, Resolver: resolver, Log: log,
		Metrics: inbox.NewMetrics(reg, st), Queued: out.Nudge, Upstreams: watcher, Endorsements: out})
	pub, err := federation.PublicKeyPEM(instanceKey.Public())
	if err != nil {
		return err
	}
	var publicMetrics prometheus.Gatherer = reg
	if c.metrics != "" {
		publicMetrics = nil
	}
	srv := web.New(web.Options{Store: st, URLs: urls, Outbox: out, Inbox: in.Handler(), Gatherer: publicMetrics, Log: log,
		Version: version, AdminTokenHash: tokenHash, InstancePublicKeyPEM: pub, Upstreams: watcher, Resolver: resolver})

	listener, err := net.Listen("tcp", c.listen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var lost error // the store, to a migrate or a token rotation
	background := []func(context.Context){out.Run, in.ForgetOldActivities,
		func(ctx context.Context) { watcher.CatchUpAll(ctx, c.catchUp) },
		func(ctx context.Context) { lost = keepHold(ctx, hold, log, stop) }}
	if c.metrics != "" {
		metricsListener, err := net.Listen("tcp", c.metrics)
		if err != nil {
			listener.Close()
			return fmt.Errorf("--metrics-listen: %w", err)
		}
		log.Info("metrics", "listen", metricsListener.Addr().String())
		background = append(background, func(ctx context.Context) { serveMetrics(ctx, metricsListener, reg, log) })
	}
	err = serveUntil(ctx, listener, srv.Handler(), background, log, urls)
	return errors.Join(err, lost)
}

// privateDataDir makes the data folder, or takes the one there, readable by this user alone: the
// database holds the instance's private keys.
func privateDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data folder %s: make it private (mode 0700): %w", dir, err)
	}
	return nil
}

// privateFiles makes the database's files readable by this user alone, whatever the umask made them.
func privateFiles(dir string) error {
	for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal", sqlite.FileName + "-shm"} {
		if err := os.Chmod(filepath.Join(dir, name), 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("database file %s: make it private (mode 0600): %w", name, err)
		}
	}
	return nil
}

// claimGather is how long the outbox waits, nudged by work just queued, for more before it claims: on
// SQLite a claim is a commit with an fsync, worth sharing; on Redis a script, cheaper than the wait.
func claimGather(redisURL string) time.Duration {
	if redisURL != "" {
		return 0
	}
	return 5 * time.Millisecond
}

// storeName names the store serve uses, as migrate takes it: sqlite:DIR or the Redis URL.
func storeName(dataDir, redisURL string) string {
	if redisURL != "" {
		return redisURL
	}
	return "sqlite:" + dataDir
}

// keepHold keeps serve's claim on its store until ctx ends; if a migrate or token rotation took the
// store meanwhile (this replica could not reach Redis for the claim's TTL), it stops the instance,
// since what it wrote now would be missed by the move, and says why: serve then exits 1.
func keepHold(ctx context.Context, hold store.Hold, log *slog.Logger, stop func()) error {
	err := hold.Keep(ctx)
	if err != nil {
		err = fmt.Errorf("stopped serving: the store is %w", err)
		log.Error("store lost", "err", err)
		stop()
	}
	return err
}

// logStore says where the state is kept, without the Redis URL's password.
func logStore(log *slog.Logger, c serveConfig) {
	if c.redis == "" {
		log.Info("store", "backend", "sqlite", "data", c.data)
		return
	}
	log.Info("store", "backend", "redis", "url", describeStore(c.redis))
}

// serveMetrics serves /metrics (and /healthz, for probes on the same port) on a listener of its own
// until ctx ends.
func serveMetrics(ctx context.Context, l net.Listener, reg prometheus.Gatherer, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	// Go's profiles, for finding where the time goes under load: this listener is the operator's alone.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("metrics listener", "err", err)
	}
}

// serveUntil serves and runs the background work (delivery first) until ctx ends (SIGINT, SIGTERM),
// then stops taking requests and lets it finish what is in flight; whatever is still queued is
// delivered after the next start.
func serveUntil(ctx context.Context, l net.Listener, h http.Handler, background []func(context.Context), log *slog.Logger, urls federation.URLs) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	httpServer := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	var running sync.WaitGroup
	for _, run := range background {
		running.Go(func() { run(ctx) })
	}
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(l) }()
	log.Info("baton serving", "listen", l.Addr().String(), "base_url", urls.Home(), "version", version)
	var err error
	select {
	case err = <-served:
		stop()
	case <-ctx.Done():
		log.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = httpServer.Shutdown(shutdownCtx)
	}
	running.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// instanceKey loads the instance actor's RSA key, making it on first start.
func instanceKey(ctx context.Context, st store.Settings) (crypto.Signer, error) {
	pemText, err := st.Setting(ctx, outbox.InstanceKeySetting)
	if errors.Is(err, store.ErrNotFound) {
		_, fresh, genErr := federation.NewRSAKey()
		if genErr != nil {
			return nil, genErr
		}
		// Two replicas starting at once both make a key; the first stored wins and both use it.
		pemText, err = st.InitSetting(ctx, outbox.InstanceKeySetting, []byte(fresh))
	}
	if err != nil {
		return nil, fmt.Errorf("instance key: %w", err)
	}
	return federation.ParsePrivateKeyPEM(string(pemText))
}

// languageTag is the shape of a BCP 47 language tag, as far as peers need it: a language and subtags.
var languageTag = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$`)

// tellPackageFollowers is how a package actor tells its own followers that a mirrored upstream notice
// changed (endorsed, revoked): a notice of its own, since Mastodon and GoToSocial never fetch a boosted
// status again.
func tellPackageFollowers(out *outbox.Outbox) func(context.Context, string, notice.Kind, string) error {
	return func(ctx context.Context, pkg string, kind notice.Kind, text string) error {
		_, err := out.PublishNotice(ctx, notice.Notice{Project: pkg, Kind: kind, Text: text})
		return err
	}
}
