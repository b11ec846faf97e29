package outbox

import (
	"context"
	"crypto"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"baton/federation"
	"baton/store"
)

// Run delivers the queue until ctx ends, then waits for deliveries in flight to finish. One
// dispatcher claims deliveries ahead of the workers and hands them out as workers come free; what it
// still holds when ctx ends it gives back to the queue (store.Release), so a restart takes it at once.
// Workers hand what they delivered to one recorder, which removes it from the queue in batches.
func (o *Outbox) Run(ctx context.Context) {
	jobs := make(chan store.Delivery) // unbuffered: a delivery leaves the dispatcher only for a free worker
	delivered := make(chan int64, o.cfg.Workers)
	var recorder, workers sync.WaitGroup
	recorder.Go(func() { o.recordDelivered(delivered) })
	for range o.cfg.Workers {
		workers.Go(func() {
			for d := range jobs {
				if o.deliver(d) {
					delivered <- d.ID
				}
			}
		})
	}
	o.dispatch(ctx, jobs)
	close(jobs)
	workers.Wait()
	close(delivered)
	recorder.Wait()
}

// maxCompleteBatch bounds how many deliveries one store.Complete removes.
const maxCompleteBatch = 256

// completeGather is how long the recorder collects what workers delivered before it records it: each
// store.Complete is a durable write (an fsync on SQLite, a script on Redis), and while a notice goes
// out, workers finish one delivery every millisecond or two.
const completeGather = 20 * time.Millisecond

// recordDelivered removes delivered deliveries from the queue: all that arrived within completeGather
// of the first, in one store call. On SQLite that is one commit, one fsync, for what a whole set of
// workers delivered, rather than one each. A crash before the batch is recorded leaves its deliveries
// leased, to be made again when the lease ends: at least once, as ever.
func (o *Outbox) recordDelivered(delivered <-chan int64) {
	for id := range delivered {
		ids := append(make([]int64, 0, 16), id)
		gather := time.NewTimer(completeGather)
		for open := true; open && len(ids) < maxCompleteBatch; {
			select {
			case id, ok := <-delivered:
				if ok {
					ids = append(ids, id)
				}
				open = ok
			case <-gather.C:
				open = false
			}
		}
		gather.Stop()
		if err := o.store.Complete(context.Background(), ids...); err != nil {
			o.log.Error("record deliveries", "deliveries", len(ids), "err", err)
		}
	}
}

// claimAhead is how many deliveries the dispatcher claims at a time, per worker. A claim is a durable
// write (a commit and an fsync on SQLite, a script on Redis): claimed a few rounds of the workers
// ahead, a notice's deliveries need one claim for dozens of them, and no worker waits on a claim.
const claimAhead = 4

// held is a delivery the dispatcher claimed and has not handed to a worker yet.
type held struct {
	store.Delivery
	claimed time.Time
}

// dispatch claims deliveries and hands them to free workers until ctx ends. It claims again when it
// holds fewer than one per worker, unless its last claim found the queue empty: then it waits to be
// nudged (work queued) or for the poll (retries coming due).
func (o *Outbox) dispatch(ctx context.Context, jobs chan<- store.Delivery) {
	poll := time.NewTicker(o.cfg.PollEvery)
	defer poll.Stop()
	var ready []held
	defer func() { o.release(ready) }()
	drained := false
	for {
		if !drained && len(ready) < o.cfg.Workers {
			ready, drained = o.claimMore(ctx, ready)
		}
		ready = o.releaseStale(ready)
		var next chan<- store.Delivery // nil, so never chosen, while nothing is ready
		var d store.Delivery
		if len(ready) > 0 {
			next, d = jobs, ready[0].Delivery
		}
		select {
		case next <- d:
			ready = ready[1:]
		case <-ctx.Done():
			return
		case <-o.nudge:
			drained = false
			if len(ready) == 0 {
				o.settle(ctx)
			}
		case <-poll.C:
			drained = false
		}
	}
}

// settle, after a nudge, waits ClaimGather for more work to be queued, so that one claim takes it all:
// work comes in bursts (the Accepts of Follows arriving together, each queued on its own), and where a
// claim is a durable commit, one claim for a burst costs less than one for each of its parts. Nudges
// that came meanwhile are spent: the claim that follows sees what they were about.
func (o *Outbox) settle(ctx context.Context) {
	if o.cfg.ClaimGather <= 0 {
		return
	}
	timer := time.NewTimer(o.cfg.ClaimGather)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
	select {
	case <-o.nudge:
	default:
	}
}

// claimMore claims up to claimAhead deliveries per worker beyond those ready, and reports whether the
// queue had fewer due than that (or the claim failed: the poll tries again).
func (o *Outbox) claimMore(ctx context.Context, ready []held) ([]held, bool) {
	want := o.cfg.Workers*claimAhead - len(ready)
	now := o.now()
	batch, err := o.store.Claim(ctx, now, want, o.cfg.Lease)
	if err != nil {
		if ctx.Err() == nil {
			o.log.Error("claim deliveries", "err", err)
		}
		return ready, true
	}
	for _, d := range batch {
		ready = append(ready, held{Delivery: d, claimed: now})
	}
	return ready, len(batch) < want
}

// releaseStale gives back the deliveries held for half their lease: workers slower than that (slow
// servers, timeouts) must not start a delivery whose lease may run out before it ends, or another
// dispatcher (a replica on Redis) could claim and make it too. Given back, they are claimed again
// with a fresh lease.
func (o *Outbox) releaseStale(ready []held) []held {
	if len(ready) == 0 || o.now().Sub(ready[0].claimed) < o.cfg.Lease/2 {
		return ready
	}
	cutoff := o.now().Add(-o.cfg.Lease / 2)
	n := 0
	for n < len(ready) && !ready[n].claimed.After(cutoff) {
		n++
	}
	o.release(ready[:n])
	return ready[n:]
}

// release gives held deliveries back to the queue, untried; should that fail, their leases run out
// and they are claimed again then.
func (o *Outbox) release(ready []held) {
	if len(ready) == 0 {
		return
	}
	ids := make([]int64, len(ready))
	for i, d := range ready {
		ids[i] = d.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.store.Release(ctx, ids...); err != nil {
		o.log.Error("release claimed deliveries", "deliveries", len(ids), "err", err)
	}
}

// deliver makes one attempt at one delivery and reports whether it was delivered; a retry or a
// failure it records in the store itself. It does not use the Run context: a delivery in flight at
// shutdown finishes (bounded by the client's timeouts).
func (o *Outbox) deliver(d store.Delivery) bool {
	ctx := context.Background()
	host := hostOf(d.Inbox)
	if !o.hosts.allow(host) {
		// The host's breaker is open: leave the delivery leased; it comes back when the lease ends,
		// without counting as an attempt.
		return false
	}
	signer, err := o.signer(ctx, d.Activity.Signer)
	if err != nil {
		o.giveUp(ctx, d, "signer: "+err.Error())
		return false
	}
	start := time.Now()
	err = o.client.Post(ctx, d.Inbox, d.Activity.Body, signer)
	o.metrics.latency.Observe(time.Since(start).Seconds())
	o.hosts.record(host, err == nil || !retryable(err))
	switch {
	case err == nil:
		o.metrics.deliveries.WithLabelValues("delivered").Inc()
		return true
	case !retryable(err) || d.Attempts+1 >= o.cfg.MaxAttempts:
		o.giveUp(ctx, d, err.Error())
	default:
		o.retry(ctx, d, err)
	}
	return false
}

func (o *Outbox) giveUp(ctx context.Context, d store.Delivery, reason string) {
	o.log.Warn("delivery given up", "inbox", d.Inbox, "activity", d.Activity.ID, "attempts", d.Attempts+1, "reason", reason)
	if err := o.store.Fail(ctx, d.ID, reason); err != nil {
		o.log.Error("record failed delivery", "inbox", d.Inbox, "err", err)
	}
	o.metrics.deliveries.WithLabelValues("failed").Inc()
}

func (o *Outbox) retry(ctx context.Context, d store.Delivery, cause error) {
	wait := Backoff(d.Attempts + 1)
	var status *federation.StatusError
	if errors.As(cause, &status) && status.RetryAfter > wait {
		wait = status.RetryAfter
	}
	o.log.Info("delivery will be retried", "inbox", d.Inbox, "attempts", d.Attempts+1, "in", wait.Round(time.Second), "reason", cause)
	if err := o.store.Retry(ctx, d.ID, o.now().Add(wait), cause.Error()); err != nil {
		o.log.Error("record delivery retry", "inbox", d.Inbox, "err", err)
	}
	o.metrics.deliveries.WithLabelValues("retry").Inc()
}

// Backoff is the wait before attempt n+1 after n failed attempts: n⁴ + 15 seconds plus up to 10% jitter,
// Mastodon's (Sidekiq's) curve: 16 attempts span about three days.
func Backoff(failed int) time.Duration {
	base := time.Duration(failed*failed*failed*failed+15) * time.Second
	return base + time.Duration(rand.Int64N(int64(base)/10+1))
}

// retryable reports whether a failed attempt may succeed later: network errors, 5xx, and the 4xx
// answers that mean "not now" (401 while a key is refetched, 408, 429), as Mastodon decides.
func retryable(err error) bool {
	if errors.Is(err, federation.ErrPrivateAddress) {
		return false
	}
	var status *federation.StatusError
	if !errors.As(err, &status) {
		return true
	}
	switch status.Status {
	case http.StatusUnauthorized, http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	}
	return status.Status >= 500
}

// signer returns the key a local actor signs with ("" is the instance actor), parsed once.
func (o *Outbox) signer(ctx context.Context, name string) (federation.Signer, error) {
	if s, ok := o.signers.Load(name); ok {
		return s.(federation.Signer), nil
	}
	key, err := o.loadKey(ctx, name)
	if err != nil {
		return federation.Signer{}, err
	}
	s := federation.Signer{KeyID: o.urls.MainKey(name), Key: key}
	o.signers.Store(name, s)
	return s, nil
}

func (o *Outbox) loadKey(ctx context.Context, name string) (crypto.Signer, error) {
	if name == "" {
		b, err := o.store.Setting(ctx, InstanceKeySetting)
		if err != nil {
			return nil, err
		}
		return federation.ParsePrivateKeyPEM(string(b))
	}
	a, err := o.store.Actor(ctx, name)
	if err != nil {
		return nil, err
	}
	return o.ActorKey(ctx, a)
}

// InstanceKeySetting is the setting that holds the instance actor's RSA key (PEM).
const InstanceKeySetting = "instance_rsa_key"

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return u.Host
}

// Breaker limits, as Mastodon's: after 10 failures in a row a host is left alone for a minute.
const (
	breakerThreshold = 10
	breakerOpenFor   = time.Minute
)

// breakers keeps a circuit breaker per remote host, in memory: a host that keeps failing is not sent
// more requests for a while, so one dead server does not occupy every worker.
type breakers struct {
	now   func() time.Time
	mu    sync.Mutex
	hosts map[string]*breaker
}

type breaker struct {
	failures  int
	openUntil time.Time
}

// allow reports whether a request to host may go now. When the open period has passed, requests go
// again; the next failure reopens the breaker at once.
func (b *breakers) allow(host string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.hosts[host]
	return h == nil || !b.now().Before(h.openUntil)
}

// record counts an outcome: ok closes the breaker; a failure counts, and opens it past the threshold.
func (b *breakers) record(host string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		delete(b.hosts, host)
		return
	}
	if b.hosts == nil {
		b.hosts = map[string]*breaker{}
	}
	h := b.hosts[host]
	if h == nil {
		h = &breaker{}
		b.hosts[host] = h
	}
	h.failures++
	if h.failures >= breakerThreshold {
		h.openUntil = b.now().Add(breakerOpenFor)
	}
}
