// Package outbox is what leaves the instance: a notice becomes a signed Note in a Create, queued in the
// store for every follower's inbox (each shared inbox once), and workers deliver the queue with signed
// requests, retrying with growing backoff and pausing hosts that keep failing.
package outbox

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"baton/federation"
	"baton/federation/proof"
	"baton/ledger"
	"baton/notice"
	"baton/refusal"
	"baton/store"
)

// Outbox publishes notices and delivers the queue.
type Outbox struct {
	store    store.Store
	urls     federation.URLs
	client   *federation.Client
	now      func() time.Time
	log      *slog.Logger
	metrics  *Metrics
	cfg      Config
	ledger   *ledger.Ledger       // judges what joins a project's record; the outbox publishes it
	resolver *federation.Resolver // finds projects on other instances; nil when there is none
	names    *federation.Names    // the names of people on other instances

	nudge   chan struct{} // wakes the dispatcher when work was queued
	signers sync.Map      // local actor name -> federation.Signer, parsed once
	keys    sync.Map      // an actor's RSA key, PEM -> crypto.Signer, parsed once
	hosts   breakers
}

// Config tunes delivery. Zero values take the defaults.
type Config struct {
	Workers     int           // concurrent deliveries; default 16
	Lease       time.Duration // how long a claimed delivery is held before another worker may take it; default 2m
	MaxAttempts int           // attempts before giving up; default 16, as Mastodon (about three days)
	PollEvery   time.Duration // how often an idle dispatcher looks for due retries; default 1s
	Policy      notice.Policy // the trust policy; default notice.DefaultPolicy()
	// TrustedStewardInstances are the hosts whose stewards' endorsements count as this instance's
	// own stewards' do (see ledger.Remote).
	TrustedStewardInstances []string
	Language                string // the language notices are written in, for their contentMap; default "en"
	// ClaimGather is how long the dispatcher, nudged by work just queued while it had nothing to hand
	// out, waits for more to be queued behind it before it claims. Worth it where a claim is a durable
	// commit (an fsync on SQLite): Accepts are queued one by one as Follows arrive together. Where a
	// claim is cheap (a script on Redis), 0 claims at once. Default 0.
	ClaimGather time.Duration
}

func (c *Config) defaults() {
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 16
	}
	if c.PollEvery <= 0 {
		c.PollEvery = time.Second
	}
	if c.Policy == (notice.Policy{}) {
		c.Policy = notice.DefaultPolicy()
	}
	if c.Language == "" {
		c.Language = "en"
	}
}

// Options are what an Outbox is made of.
type Options struct {
	Store   store.Store
	URLs    federation.URLs
	Client  *federation.Client
	Now     func() time.Time
	Log     *slog.Logger
	Metrics *Metrics
	Config  Config
	// Resolver finds people and projects on other instances: the ledger then admits proofs by people
	// elsewhere, and this instance's people can endorse notices published elsewhere. Nil admits
	// proofs by this instance's people only.
	Resolver *federation.Resolver
	// Names names the people of other instances in Notes and profiles (federation.NewNames); nil
	// makes one of Resolver's.
	Names *federation.Names
}

// New makes an Outbox; call Run to deliver.
func New(o Options) *Outbox {
	o.Config.defaults()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Names == nil && o.Resolver != nil {
		o.Names = federation.NewNames(o.Resolver, o.Now)
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Metrics == nil { // a caller that does not scrape gets series on a registry of their own
		o.Metrics = NewMetrics(prometheus.NewRegistry(), o.Store)
	}
	return &Outbox{
		store: o.Store, urls: o.URLs, client: o.Client, now: o.Now, log: o.Log, metrics: o.Metrics,
		cfg: o.Config, ledger: newLedger(o), resolver: o.Resolver, names: o.Names,
		nudge: make(chan struct{}, 1), hosts: breakers{now: o.Now},
	}
}

// Policy is the trust policy statements are judged by.
func (o *Outbox) Policy() notice.Policy { return o.cfg.Policy }

func newLedger(o Options) *ledger.Ledger {
	l := ledger.New(o.Store, o.URLs, o.Config.Policy, o.Now)
	if o.Resolver != nil {
		l.WithRemote(ledger.Remote{People: o.Resolver, TrustedStewardInstances: o.Config.TrustedStewardInstances})
	}
	return l
}

// Ledger is the ledger the outbox publishes for: pages, the state API and check read projects'
// records through it.
func (o *Outbox) Ledger() *ledger.Ledger { return o.ledger }

// Nudge tells the dispatcher that work was queued, so it need not wait for its next poll.
func (o *Outbox) Nudge() {
	select {
	case o.nudge <- struct{}{}:
	default:
	}
}

// ErrNoStewards is returned for a notice meant for stewards alone when there are none to address it
// to: none on this instance, and none found among the stewards of the instances it trusts.
var ErrNoStewards = refusal.New(http.StatusUnprocessableEntity, "this notice goes to stewards alone, and there are none to address it to: this instance has none yet, "+
	"and none were found among the stewards of the instances it trusts (--trusted-steward-instances): add one (baton steward add NAME --key FILE.pub), or make a call for stewards --public")

// Published is the outcome of publishing a notice.
type Published struct {
	Notice store.Notice
	URL    string
	Queued int // deliveries queued: one per distinct inbox
}

// PublishNotice publishes n as the instance's word: the admin's way to speak for a project that has no
// maintainers (n.Author is left to it: the project itself), and a distro's way to tell its packagers
// about its own packaging of a watched package (n.Project is then the package). For a project, n
// becomes a statement by the project, judged like any other (notice.ByInstance says what it may say)
// and carried whole in the Note, so its fields reach followers, distros and the project's state. The
// notice is stored and its deliveries queued in one transaction: once this returns, a crash loses nothing.
func (o *Outbox) PublishNotice(ctx context.Context, n notice.Notice) (Published, error) {
	if err := n.Validate(); err != nil {
		return Published{}, err
	}
	if n.Kind == notice.ReliefRequest {
		return Published{}, notice.ErrReliefByCase
	}
	actor, err := o.store.Actor(ctx, n.Project)
	if err == nil && actor.Kind != store.KindProject && actor.Kind != store.KindPackage {
		err = fmt.Errorf("%s is a %s, which publishes no notices: %w", n.Project, actor.Kind, store.ErrNotFound)
	}
	if err != nil {
		return Published{}, fmt.Errorf("project %q: %w", n.Project, err)
	}
	n.Author = o.urls.Actor(actor.Name)
	if actor.Kind == store.KindPackage {
		if err := packageNotice(n); err != nil {
			return Published{}, err
		}
		return o.publishPackageNotice(ctx, actor, n)
	}
	// Once a project has maintainers, only they speak for it: nobody, the admin included, publishes
	// in its name without a maintainer's signature.
	if maintainers, err := o.store.RoleHolders(ctx, n.Project); err != nil {
		return Published{}, err
	} else if len(maintainers) > 0 {
		return Published{}, ledger.Refuse(409, "project %s has maintainers, who sign its notices: baton notice post --project %s --as NAME --key FILE", n.Project, n.Project)
	}
	if n.Kind == notice.Handover && len(n.From) == 0 {
		n.From = []string{n.Author} // an adoption: the instance hands on the project it spoke for
	}
	doc, err := federation.StatementDocument(federation.NewStatementID(), n.Author, n)
	if err != nil {
		return Published{}, err
	}
	st, err := federation.ParseStatement(doc)
	if err != nil {
		return Published{}, err
	}
	st.Notice.Project = actor.Name
	return o.publishAdmitted(ctx, actor.Name, func() (ledger.Admitted, error) { return o.ledger.AdmitByInstance(ctx, actor.Name, st) })
}

// packageNotice says why a distro may not publish n about its packaging of a watched package, or nil:
// its words and dates (and a scrutiny's reason, a call's role) go to the package's followers; who holds
// what upstream is for the upstream's own notices, so the fields that say it are refused, not dropped.
func packageNotice(n notice.Notice) error {
	if n.Audience() != notice.AudiencePublic {
		return ledger.Refuse(422, "%s: a package's notices go to its followers, and this one is for stewards alone (a call for stewards needs --public)", n.Kind)
	}
	var upstreams []string
	for field, given := range map[string]bool{"--from": len(n.From) > 0, "--to": len(n.To) > 0, "--mode": n.Mode != "", "--scope": len(n.Scope) > 0,
		"--help-with": len(n.Help) > 0, "--add-key": len(n.KeysAdded) > 0, "--remove-key": len(n.KeysRemoved) > 0, "--move": len(n.Infra) > 0,
		"--revokes": len(n.Revokes) > 0, "--orphaned": n.Orphaned} {
		if given {
			upstreams = append(upstreams, field)
		}
	}
	if len(upstreams) > 0 {
		slices.Sort(upstreams)
		return ledger.Refuse(422, "%s: a distro's notice about its packaging of %s carries its words and dates: %s belong to the upstream's own notices (say it in --text)",
			n.Kind, n.Project, strings.Join(upstreams, ", "))
	}
	return nil
}

// publishPackageNotice signs and queues a distro's notice about its packaging of a package: a Note
// without a statement, which speaks for nobody's rights. A package's status is its upstream's, so the
// notice changes no profile.
func (o *Outbox) publishPackageNotice(ctx context.Context, actor store.Actor, n notice.Notice) (Published, error) {
	if len(actor.Ed25519Seed) != ed25519.SeedSize {
		return Published{}, ledger.Refuse(409, "%s has no key to sign notices with", actor.Name)
	}
	id, err := o.store.NextNoticeID(ctx)
	if err != nil {
		return Published{}, err
	}
	published := o.now().UTC().Truncate(time.Second)
	note, err := o.signedNote(id, actor, n, published)
	if err != nil {
		return Published{}, err
	}
	create, err := o.urls.CreateDocument(id, actor.Name, true, nil, note, published)
	if err != nil {
		return Published{}, err
	}
	stored := store.Notice{ID: id, Actor: actor.Name, Kind: string(n.Kind), Public: true, Document: note, Published: published}
	// A package has no statements of its own to judge: any revision will do.
	queued, err := o.store.PublishNotice(ctx, stored, store.Activity{ID: o.urls.NoticeActivity(id), Signer: actor.Name, Body: create}, store.AnyRevision)
	if err != nil {
		return Published{}, err
	}
	o.metrics.published.Inc()
	o.log.Info("notice published", "id", id, "project", actor.Name, "kind", n.Kind, "queued", queued)
	o.Nudge()
	return Published{Notice: stored, URL: o.urls.Notice(id), Queued: queued}, nil
}

// signedNote renders and signs the Note for a notice with the project's Ed25519 key.
func (o *Outbox) signedNote(id int64, actor store.Actor, n notice.Notice, published time.Time) ([]byte, error) {
	note, err := o.urls.NoteDocument(federation.NoteFields{
		Language:    o.cfg.Language,
		ID:          id,
		Actor:       actor.Name,
		ContentHTML: RenderHTML(o.urls, actor, n, id),
		Published:   published,
		Public:      true,
		Tags:        Tags(o.urls, actor.Name, n.Kind),
		Kind:        string(n.Kind),
		Since:       n.Since,
		Until:       n.Until,
	})
	if err != nil {
		return nil, err
	}
	key := ed25519.NewKeyFromSeed(actor.Ed25519Seed)
	return proof.Sign(note, key, o.urls.ProofKey(actor.Name), published)
}

// updateProfileFor sends followers an Update of the project's actor when its status changed between
// the history before a publish and after it, so the Status field on its profile is current in their
// servers too.
func (o *Outbox) updateProfileFor(ctx context.Context, actor store.Actor, before, after ledger.History, at time.Time) error {
	was, err := o.standing(ctx, before)
	if err != nil {
		return err
	}
	now, err := o.standing(ctx, after)
	if err != nil || now.Status == was.Status {
		return err
	}
	return o.sendProfileUpdate(ctx, actor, now, at)
}

// sendProfileUpdate queues an Update of the project's actor, as it stands, for every follower's
// delivery inbox (each shared inbox once). It goes updateAfter after the notice that changed the
// status, so that the notice itself arrives first, and at most one a minute: an Update still waiting
// is replaced by the newer one, which keeps the earlier time, and one made within a minute of the
// last waits for that minute to end. Several changes in a row make one Update of where they ended.
func (o *Outbox) sendProfileUpdate(ctx context.Context, actor store.Actor, st Standing, at time.Time) error {
	doc, err := o.actorDocument(ctx, actor, st)
	if err != nil {
		return err
	}
	prefix := o.urls.Actor(actor.Name) + "#updates/"
	id := fmt.Sprintf("%s%d", prefix, at.UnixNano())
	update, err := o.urls.UpdateDocument(actor.Name, id, doc, at)
	if err != nil {
		return err
	}
	now := o.now()
	due := now.Add(updateAfter)
	if last, err := o.lastProfileUpdate(ctx, prefix); err != nil {
		return err
	} else if next := last.Add(profileUpdateEvery); next.After(due) {
		due = next
	}
	_, err = o.store.EnqueueFollowersReplacing(ctx, actor.Name, store.Activity{ID: id, Signer: actor.Name, Body: update}, due, now, prefix)
	return err
}

// Profile Updates: how long after the notice one goes, and how often at most.
const (
	updateAfter        = 5 * time.Second
	profileUpdateEvery = time.Minute
)

// lastProfileUpdate is when the last profile Update of an actor was made, read from the greatest id of
// the Updates the queue knows (queued or delivered): PREFIX + Unix nanoseconds, 19 digits until the
// year 2286, so that byte order is time order.
func (o *Outbox) lastProfileUpdate(ctx context.Context, prefix string) (time.Time, error) {
	id, err := o.store.LatestActivityID(ctx, prefix)
	if err != nil || id == "" {
		return time.Time{}, err
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(id, prefix), 10, 64)
	if err != nil {
		return time.Time{}, nil // not one of ours: as if none had gone
	}
	return time.Unix(0, n), nil
}
