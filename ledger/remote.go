package ledger

// People on other instances: a handover's incoming person who lives elsewhere accepts it, and the
// stewards of instances this one trusts endorse changes of rights. Their proofs are checked against
// the keys their own actors list at their origins; a remote steward is one whose own actor says so
// (stewardSince), on a host this instance names in TrustedStewardInstances. This instance records when
// it first confirmed each remote steward, and counts them from then on.

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
)

// People finds people on other instances (federation.Resolver does, from their origins).
type People interface {
	RemotePerson(ctx context.Context, actorID string) (federation.RemotePerson, error)
}

// Remote is what the ledger needs to admit the proofs of people on other instances.
type Remote struct {
	People People
	// TrustedStewardInstances are the hosts (with the port, if the instance's URL has one) whose
	// stewards' endorsements count here as this instance's own stewards' do.
	TrustedStewardInstances []string
}

// WithRemote lets l admit proofs by people on other instances, as r says.
func (l *Ledger) WithRemote(r Remote) *Ledger {
	l.remote = r
	return l
}

// unavailableError is a remote person whose actor could not be fetched: trying later may help.
type unavailableError struct{ err error }

func (e unavailableError) Error() string { return e.err.Error() }
func (e unavailableError) Unwrap() error { return e.err }

// remoteKey resolves a verification method of a person on another instance with the keys their actor
// lists at its origin.
func (l *Ledger) remoteKey(ctx context.Context, actorID, vm string, fresh bool) (ed25519.PublicKey, string, string, error) {
	if l.remote.People == nil || !federation.IsHTTPURL(actorID) {
		return nil, "", "", fmt.Errorf("key %s is not a key of a person on this instance", vm)
	}
	p, err := l.remote.People.RemotePerson(ctx, actorID)
	if err != nil {
		return nil, "", "", unavailableError{fmt.Errorf("the keys of %s could not be fetched from its instance: %w", actorID, err)}
	}
	for _, k := range p.Keys {
		if k.ID != vm {
			continue
		}
		// Stored proofs are read back from their verification method alone (storedRemoteKey), so
		// the key's id must carry the key, as Baton's people's ids do.
		if _, fragment, _ := strings.Cut(vm, "#"); !sameMultikey(fragment, k.Key) {
			return nil, "", "", fmt.Errorf("key %s: its id does not end in the key's multikey", vm)
		}
		if fresh && !k.Revoked.IsZero() {
			return nil, "", "", fmt.Errorf("key %s of %s was revoked on %s", vm, actorID, k.Revoked.Format(notice.Date))
		}
		fp, err := proof.Fingerprint(k.Key)
		return k.Key, actorID, fp, err
	}
	return nil, "", "", fmt.Errorf("%s does not list the key %s", actorID, vm)
}

func sameMultikey(fragment string, key ed25519.PublicKey) bool {
	pub, err := proof.DecodeMultikey(fragment)
	return err == nil && pub.Equal(key)
}

// storedRemoteKey names the person and key of a proof by someone on another instance that was verified
// when it arrived: the verification method holds the key, so nothing needs fetching.
func storedRemoteKey(actorID, vm string) (string, string, error) {
	_, fragment, _ := strings.Cut(vm, "#")
	pub, err := proof.DecodeMultikey(fragment)
	if err != nil {
		return "", "", fmt.Errorf("key %s: %w", vm, err)
	}
	fp, err := proof.Fingerprint(pub)
	return actorID, fp, err
}

// remoteStewardSetting is the setting that records when this instance first confirmed a remote
// steward. Settings are kept alike by every backend and carried by migrate.
func remoteStewardSetting(actorID string) string { return "remote-steward " + actorID }

// trustsStewardsOf reports whether this instance trusts the stewards of actorID's instance.
func (l *Ledger) trustsStewardsOf(actorID string) bool {
	return slices.Contains(l.remote.TrustedStewardInstances, hostOf(actorID))
}

// remoteStewards adds to h the remote stewards among the people who signed its notices: those this
// instance confirmed, on hosts it still trusts, since it first confirmed them.
func (l *Ledger) remoteStewards(ctx context.Context, h *History) error {
	seen := map[string]bool{}
	for _, s := range h.Notices {
		for _, p := range s.Proofs {
			if seen[p.Person] || l.urls.LocalActorName(p.Person) != "" || !l.trustsStewardsOf(p.Person) {
				continue
			}
			seen[p.Person] = true
			since, err := l.remoteStewardSince(ctx, p.Person)
			if err != nil {
				return err
			}
			if !since.IsZero() {
				h.Stewards = append(h.Stewards, p.Person)
				h.stewardsSince[p.Person] = since
			}
		}
	}
	return nil
}

// remoteStewardSince is when this instance first confirmed actorID as a remote steward; zero if never.
func (l *Ledger) remoteStewardSince(ctx context.Context, actorID string) (time.Time, error) {
	v, err := l.store.Setting(ctx, remoteStewardSetting(actorID))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return time.Time{}, nil
		}
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339, string(v))
}

// confirmRemoteStewards asks the own actor of each person on another instance among proofs (proofs
// being added now) whether they are a steward there. One of a trusted instance is recorded (from now,
// the first time) and counts as a steward in h; one of any other instance is refused, saying why,
// unless the notice concerns them otherwise; one no longer a steward does not count as one, whatever
// was recorded. Everyone else is left to MaySign: does the notice concern them?
func (l *Ledger) confirmRemoteStewards(ctx context.Context, h *History, sn notice.Signed, proofs []notice.Proof) error {
	for _, p := range proofs {
		if l.urls.LocalActorName(p.Person) != "" {
			continue
		}
		person, err := l.remote.People.RemotePerson(ctx, p.Person)
		if err != nil {
			return Refuse(503, "the actor of %s could not be fetched from its instance; try again later", p.Person)
		}
		switch {
		case person.StewardSince.IsZero():
			h.Stewards = slices.DeleteFunc(h.Stewards, func(s string) bool { return s == p.Person })
		case !l.trustsStewardsOf(p.Person):
			if notice.MaySign(h.Fold(l.policy, l.now()), sn, p.Person, h.Stewards) != nil {
				return Refuse(422, "%s is a steward of %s, whose stewards this instance does not trust (it trusts those of: %s)",
					p.Person, hostOf(p.Person), trustedList(l.remote.TrustedStewardInstances))
			}
		case !slices.Contains(h.Stewards, p.Person):
			since, err := l.recordRemoteSteward(ctx, p.Person)
			if err != nil {
				return err
			}
			h.Stewards = append(h.Stewards, p.Person)
			h.stewardsSince[p.Person] = since
		}
	}
	return nil
}

// recordRemoteSteward records that this instance confirmed actorID as a remote steward now, unless it
// did before, and returns since when it counts them.
func (l *Ledger) recordRemoteSteward(ctx context.Context, actorID string) (time.Time, error) {
	now := l.now().UTC().Truncate(time.Second)
	stored, err := l.store.InitSetting(ctx, remoteStewardSetting(actorID), []byte(now.Format(time.RFC3339)))
	if err != nil {
		return time.Time{}, err
	}
	since, err := time.Parse(time.RFC3339, string(stored))
	if err != nil {
		return time.Time{}, fmt.Errorf("remote steward %s: %w", actorID, err)
	}
	return since, nil
}

func trustedList(hosts []string) string {
	if len(hosts) == 0 {
		return "none"
	}
	return strings.Join(hosts, ", ")
}

// hostOf is an actor id's host, with its port if it has one, in lower case.
func hostOf(actorID string) string {
	u, err := url.Parse(actorID)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// OwnEndorser checks a statement one of this instance's people endorsed to send to another instance,
// against published, the statement as the notice carries it there: it keeps every proof published has
// and adds proofs by one person of this instance, made within QueryFreshness of now; every proof
// verifies (with the keys of people elsewhere fetched from their origins). It returns that person's id.
func (l *Ledger) OwnEndorser(ctx context.Context, published, statement []byte) (string, error) {
	added, err := addedProofs(published, statement)
	if err != nil {
		return "", err
	}
	proofs, err := l.verifyProofsOf(ctx, statement, false, l.remote.People != nil)
	if err != nil {
		return "", err
	}
	var people []string
	for _, vm := range added {
		person, _, _ := strings.Cut(vm, "#")
		if l.urls.LocalActorName(person) == "" {
			return "", Refuse(422, "the statement carries a new proof by %s, who is not a person on this instance", person)
		}
		if !slices.Contains(people, person) {
			people = append(people, person)
		}
	}
	slices.Sort(people)
	for _, person := range people {
		if !slices.ContainsFunc(proofs, func(p notice.Proof) bool {
			return p.Person == person && l.freshProofs([]notice.Proof{p}, QueryFreshness) == nil
		}) {
			return "", Refuse(422, "the new proof by %s was not made just now: sign it again", person)
		}
	}
	if len(people) == 1 {
		return people[0], nil
	}
	return "", Refuse(422, "the statement carries new proofs by %s: each person sends their own endorsement", strings.Join(people, ", "))
}
