package outbox

import (
	"context"
	"crypto/ed25519"
	"html"
	"strings"

	vocab "github.com/go-ap/activitypub"

	"baton/federation"
	"baton/ledger"
	"baton/notice"
	"baton/store"
)

// ActorDocument writes a project's actor document, with its current status among the profile fields.
func (o *Outbox) ActorDocument(ctx context.Context, a store.Actor) ([]byte, error) {
	st, err := o.Standing(ctx, a.Name)
	if err != nil {
		return nil, err
	}
	return o.actorDocument(ctx, a, st)
}

// actorDocument writes a project's actor document for its standing.
func (o *Outbox) actorDocument(ctx context.Context, a store.Actor, st Standing) ([]byte, error) {
	signer, err := o.ActorKey(ctx, a)
	if err != nil {
		return nil, err
	}
	pub, err := federation.PublicKeyPEM(signer.Public())
	if err != nil {
		return nil, err
	}
	return o.urls.ActorDocument(federation.ActorProfile{
		Name:         a.Name,
		Username:     a.Name,
		Type:         vocab.ServiceType,
		DisplayName:  a.ShownName(),
		SummaryHTML:  actorSummary(a),
		Fields:       profileFields(a, st.Status, st.Maintainers),
		RSAPublicPEM: pub,
		ProofKey:     ed25519.NewKeyFromSeed(a.Ed25519Seed).Public().(ed25519.PublicKey),
		Published:    a.Created,
		Genesis:      &st.Genesis,
		Stewards:     st.Stewards,
	})
}

func actorSummary(a store.Actor) string {
	var b strings.Builder
	if a.Summary != "" {
		b.WriteString("<p>" + html.EscapeString(a.Summary) + "</p>")
	}
	b.WriteString("<p>Signed notices about who looks after " + html.EscapeString(a.ShownName()) +
		": hiatus, handovers, signing keys, scrutiny windows.</p>")
	return b.String()
}

// profileFields are the rows Mastodon shows under the bio: how the project stands, and its links.
func profileFields(a store.Actor, status string, maintainers []string) []federation.Field {
	fields := []federation.Field{{Name: "Status", ValueHTML: html.EscapeString(status)}}
	if len(maintainers) > 0 {
		fields = append(fields, federation.Field{Name: "Maintainers", ValueHTML: html.EscapeString(strings.Join(maintainers, ", "))})
	}
	if a.Homepage != "" {
		fields = append(fields, federation.Field{Name: "Homepage", ValueHTML: link(a.Homepage)})
	}
	if a.Repository != "" {
		fields = append(fields, federation.Field{Name: "Repository", ValueHTML: link(a.Repository)})
	}
	return fields
}

func link(u string) string {
	e := html.EscapeString(u)
	return `<a href="` + e + `" rel="me nofollow noopener noreferrer" target="_blank">` + e + `</a>`
}

// Status says how a project stands now, in the few words of its profile's Status field.
func (o *Outbox) Status(ctx context.Context, name string) (string, error) {
	st, err := o.Standing(ctx, name)
	return st.Status, err
}

// Standing is how a project stands now: its status line, its current maintainers by the names people
// read, and what `baton check` says.
type Standing struct {
	Status      string
	Maintainers []string
	Holders     []Holding       // each maintainer and the rights they hold
	Pending     []string        // who has not yet accepted what a handover offers them
	Signers     []notice.Signer // the release-signing keys announced, valid or not
	Verdict     notice.Verdict
	State       notice.State // what Verdict was made of, for the public
	// What another instance needs to judge the project's notices itself: its first maintainers and
	// the instance's stewards (docs/federation.md).
	Genesis  notice.Genesis
	Stewards []federation.StewardRef
}

// Standing folds a project's notices once for everything its profile and page show. A project with
// maintainers stands as their signed notices say (its state); one without, as the admin's notices say.
func (o *Outbox) Standing(ctx context.Context, name string) (Standing, error) {
	h, err := o.ledger.History(ctx, name)
	if err != nil {
		return Standing{}, err
	}
	return o.standing(ctx, h)
}

// standing is how the project whose history is h stands now.
func (o *Outbox) standing(ctx context.Context, h ledger.History) (Standing, error) {
	stewards := make([]federation.StewardRef, len(h.Stewards))
	for i, id := range h.Stewards {
		stewards[i] = federation.StewardRef{ID: id, Since: h.StewardSince(id).UTC()}
	}
	state := h.Fold(o.cfg.Policy, o.now()).ForPublic()
	st := Standing{Status: notice.StatusLine(state), Verdict: notice.Check(state), State: state, Genesis: h.Genesis, Stewards: stewards, Signers: state.Signers}
	for _, m := range state.Maintainers {
		st.Maintainers = append(st.Maintainers, o.PersonName(ctx, m.Person))
		st.Holders = append(st.Holders, Holding{Person: o.PersonName(ctx, m.Person), Rights: notice.RightsText(m.RightsHeld())})
	}
	for _, p := range state.Pending {
		if p.Waiting == "acceptance" {
			st.Pending = append(st.Pending, strings.Join(o.personNameList(ctx, p.People), ", ")+" has not accepted "+p.Notice)
		}
	}
	return st, nil
}

// Holding is a maintainer, by the name people read, and the rights they hold.
type Holding struct {
	Person string
	Rights string // "every right", or the rights named
}

func (o *Outbox) personNameList(ctx context.Context, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = o.PersonName(ctx, id)
	}
	return out
}
