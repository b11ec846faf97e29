package record

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
)

// Known is a notice whose proofs verified: fetched from its origin here, or admitted by this
// instance's own ledger.
type Known struct {
	URL       string
	Project   string // the project actor's id
	Published time.Time
	Notice    notice.Notice
	Signers   []string // the people whose proofs are on its statement
	Endorsed  *bool    // as the publishing instance read its policy; nil when the policy asks nothing
	RevokedBy string
}

// Fetcher is what gathering needs of the network: documents from their origin (a signed GET), an
// actor's Ed25519 keys, and a project actor's genesis and stewards.
type Fetcher interface {
	Fetch(ctx context.Context, url string) ([]byte, error)
	AssertionKeys(ctx context.Context, actor string) ([]federation.AssertionKey, error)
	UpstreamActor(ctx context.Context, id string) (federation.UpstreamActor, error)
}

// Gatherer gathers track records.
type Gatherer struct {
	fetch Fetcher
}

// New makes a Gatherer.
func New(f Fetcher) *Gatherer { return &Gatherer{fetch: f} }

// Gather builds person's record from what their instance serves, each item checked at its origin, and
// from local, the notices this instance knows name them.
func (g *Gatherer) Gather(ctx context.Context, person string, local []Known) Record {
	// Each signer's keys are fetched once per record, however many notices they signed.
	g = &Gatherer{fetch: &keyMemo{Fetcher: g.fetch, keys: map[string]keysOrError{}}}
	r := Record{Person: person}
	known := map[string]Known{}
	for _, k := range local {
		known[k.URL] = k
	}
	var roles []ServedRole
	if doc, err := g.fetch.Fetch(ctx, person); err == nil {
		r.Reachable = true
		r.Name, r.Shown, r.Type, r.Published = actorFacts(doc)
	}
	if r.Reachable {
		if doc, err := g.fetch.Fetch(ctx, person+"/record"); err == nil {
			if served, err := parseServed(doc, person); err != nil {
				r.Unverified = append(r.Unverified, Unverified{What: person + "/record", Reason: err.Error()})
			} else {
				r.Served, roles = true, served.Roles
				g.verifyListed(ctx, &r, served.Notices, known)
			}
		}
	}
	g.addRevocations(ctx, known)
	g.verifyRoles(ctx, &r, roles)
	r.build(person, sortedKnown(known))
	r.warn()
	return r
}

// verifyListed fetches each notice the person's instance listed and keeps those that verify and name
// them.
func (g *Gatherer) verifyListed(ctx context.Context, r *Record, urls []string, known map[string]Known) {
	if len(urls) > MaxServedNotices {
		urls = urls[len(urls)-MaxServedNotices:]
	}
	for _, u := range urls {
		if _, ok := known[u]; ok {
			continue
		}
		k, err := g.verifiedNotice(ctx, u)
		if err == nil && !Names(k.Notice, k.Signers, r.Person) {
			err = errors.New("it does not name them")
		}
		if err != nil {
			r.Unverified = append(r.Unverified, Unverified{What: u, Reason: err.Error()})
			continue
		}
		known[u] = k
	}
}

// addRevocations fetches the revocations of known notices, for their reasons and dates.
func (g *Gatherer) addRevocations(ctx context.Context, known map[string]Known) {
	for _, k := range sortedKnown(known) {
		if k.RevokedBy == "" {
			continue
		}
		if _, ok := known[k.RevokedBy]; ok {
			continue
		}
		if rev, err := g.verifiedNotice(ctx, k.RevokedBy); err == nil && rev.Notice.Kind == notice.Revocation {
			known[rev.URL] = rev
		}
	}
}

// noteJSON is what gathering reads of a Note.
type noteJSON struct {
	ID           string          `json:"id"`
	Type         json.RawMessage `json:"type"`
	AttributedTo string          `json:"attributedTo"`
	Published    string          `json:"published"`
	Statement    json.RawMessage `json:"statement"`
	Endorsed     *bool           `json:"endorsed"`
	RevokedBy    string          `json:"revokedBy"`
}

// verifiedNotice fetches a notice from its origin and checks the project's proof on the Note and every
// person's proof on its statement with the keys their actors publish at their origins.
func (g *Gatherer) verifiedNotice(ctx context.Context, url string) (Known, error) {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return Known{}, errors.New("not an http(s) URL")
	}
	doc, err := g.fetch.Fetch(ctx, url)
	if err != nil {
		return Known{}, errors.New("could not be fetched from its origin")
	}
	var n noteJSON
	if err := json.Unmarshal(doc, &n); err != nil || federation.FirstType(n.Type) != "Note" || n.ID != url {
		return Known{}, errors.New("it is not the notice's Note")
	}
	if !federation.SameOrigin(n.AttributedTo, url) {
		return Known{}, errors.New("its project is not on its origin")
	}
	if n.Statement == nil {
		return Known{}, errors.New("it carries no statement anyone signed")
	}
	proofs, err := proof.Verify(doc, g.keyOf(ctx, n.AttributedTo, time.Time{}))
	if err != nil || len(proofs) != 1 {
		return Known{}, fmt.Errorf("the project's proof does not verify: %v", err)
	}
	st, err := federation.ParseStatement(n.Statement)
	if err != nil || st.Project != n.AttributedTo {
		return Known{}, errors.New("its statement is not about its project")
	}
	published, _ := time.Parse(time.RFC3339, n.Published)
	signed, err := proof.Verify(n.Statement, g.keyOf(ctx, "", published))
	if err != nil {
		return Known{}, fmt.Errorf("a proof on its statement does not verify: %v", err)
	}
	k := Known{URL: url, Project: n.AttributedTo, Published: published, Notice: st.Notice, Endorsed: n.Endorsed, RevokedBy: n.RevokedBy}
	for _, p := range signed {
		k.Signers = append(k.Signers, actorOf(p.VerificationMethod))
	}
	return k, nil
}

// keyOf resolves a verification method to a key its actor lists at its origin (only owner's keys,
// when owner is set), not revoked before at (nor at all when at is zero).
func (g *Gatherer) keyOf(ctx context.Context, owner string, at time.Time) func(string) (ed25519.PublicKey, error) {
	return func(vm string) (ed25519.PublicKey, error) {
		actor := actorOf(vm)
		if owner != "" && actor != owner {
			return nil, fmt.Errorf("%s is not a key of %s", vm, owner)
		}
		keys, err := g.fetch.AssertionKeys(ctx, actor)
		if err != nil {
			return nil, fmt.Errorf("the keys of %s could not be fetched", actor)
		}
		for _, k := range keys {
			if k.ID != vm {
				continue
			}
			if !k.Revoked.IsZero() && (at.IsZero() || !at.Before(k.Revoked)) {
				return nil, fmt.Errorf("%s was revoked on %s", vm, k.Revoked.Format(notice.Date))
			}
			return k.Key, nil
		}
		return nil, fmt.Errorf("%s does not list the key %s", actor, vm)
	}
}

// verifyRoles checks each role the person's instance listed against the project actor it names as
// evidence, at that actor's origin, which must be the person's.
func (g *Gatherer) verifyRoles(ctx context.Context, r *Record, roles []ServedRole) {
	for _, role := range roles {
		what := role.Role + " (" + role.Evidence + ")"
		if !federation.SameOrigin(role.Evidence, r.Person) {
			r.Unverified = append(r.Unverified, Unverified{What: what, Reason: "the evidence is not on their instance"})
			continue
		}
		project, err := g.fetch.UpstreamActor(ctx, role.Evidence)
		if err != nil {
			r.Unverified = append(r.Unverified, Unverified{What: what, Reason: "the project actor could not be fetched"})
			continue
		}
		switch role.Role {
		case "steward":
			i := slices.IndexFunc(project.Stewards, func(s federation.StewardRef) bool { return s.ID == r.Person })
			if i < 0 {
				r.Unverified = append(r.Unverified, Unverified{What: what, Reason: "the project's instance does not list them as a steward"})
				continue
			}
			r.Stewards = append(r.Stewards, Steward{Instance: origin(role.Evidence), Since: project.Stewards[i].Since})
		case "maintainer":
			if !slices.Contains(project.Genesis.Maintainers, r.Person) {
				r.Unverified = append(r.Unverified, Unverified{What: what, Reason: "the project's genesis does not name them"})
				continue
			}
			r.addProject(Project{Project: role.Evidence, Since: project.Genesis.Since, How: "first maintainer"})
		default:
			r.Unverified = append(r.Unverified, Unverified{What: what, Reason: "an unknown role"})
		}
	}
}

func actorFacts(doc []byte) (name, shown, typ string, published time.Time) {
	var a struct {
		Type      json.RawMessage `json:"type"`
		Name      string          `json:"preferredUsername"`
		Shown     string          `json:"name"`
		Published string          `json:"published"`
	}
	if json.Unmarshal(doc, &a) != nil {
		return "", "", "", time.Time{}
	}
	published, _ = time.Parse(time.RFC3339, a.Published)
	return a.Name, a.Shown, federation.FirstType(a.Type), published
}

func sortedKnown(known map[string]Known) []Known {
	out := make([]Known, 0, len(known))
	for _, k := range known {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Known) int {
		if c := a.Published.Compare(b.Published); c != 0 {
			return c
		}
		return strings.Compare(a.URL, b.URL)
	})
	return out
}

func actorOf(vm string) string {
	before, _, _ := strings.Cut(vm, "#")
	return before
}

func origin(id string) string {
	scheme, rest, ok := strings.Cut(id, "://")
	if !ok {
		return id
	}
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host
}

// keyMemo keeps each actor's keys for the gathering of one record.
type keyMemo struct {
	Fetcher
	keys map[string]keysOrError
}

type keysOrError struct {
	keys []federation.AssertionKey
	err  error
}

func (m *keyMemo) AssertionKeys(ctx context.Context, actor string) ([]federation.AssertionKey, error) {
	k, ok := m.keys[actor]
	if !ok {
		k.keys, k.err = m.Fetcher.AssertionKeys(ctx, actor)
		m.keys[actor] = k
	}
	return k.keys, k.err
}
