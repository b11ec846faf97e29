package upstream

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
)

// verified is an upstream notice whose proofs all checked out: as it is kept, and as the trust policy
// reads it (Signed is zero for a notice without a maintainer-signed statement).
type verified struct {
	mirrored store.MirroredNotice
	signed   notice.Signed
	hasStmt  bool
}

// noteJSON is what verification reads of a Note.
type noteJSON struct {
	ID           string          `json:"id"`
	Type         json.RawMessage `json:"type"`
	AttributedTo string          `json:"attributedTo"`
	Published    string          `json:"published"`
	To           json.RawMessage `json:"to"`
	Kind         string          `json:"noticeKind"`
	Statement    json.RawMessage `json:"statement"`
}

// verify checks an upstream's Note from the ground up, trusting nothing the sender says: it is a public
// notice of that project, hosted where the project is; the project signed it with the key it had when
// first followed; and every proof on the statement inside was made with a key its person's actor lists
// at its origin, before any revocation of that key.
func (w *Watcher) verify(ctx context.Context, up store.Upstream, doc []byte) (verified, error) {
	var n noteJSON
	if err := json.Unmarshal(doc, &n); err != nil {
		return verified{}, refuse(http.StatusBadRequest, "the notice is not a JSON object: %v", err)
	}
	if err := checkEnvelope(up, n); err != nil {
		return verified{}, err
	}
	published, _ := time.Parse(time.RFC3339, n.Published)
	if err := w.checkProjectProof(ctx, up, doc); err != nil {
		return verified{}, err
	}
	v := verified{mirrored: store.MirroredNotice{ID: n.ID, Upstream: up.Actor, Kind: n.Kind, Document: doc,
		Published: published, Received: w.now()}}
	if n.Statement == nil {
		return v, nil // whether a notice without a statement may speak for the project, judge decides
	}
	st, proofs, err := w.checkStatement(ctx, up, n.Statement, published)
	if err != nil {
		return verified{}, err
	}
	v.mirrored.Proofs, v.hasStmt = proofs, true
	v.signed = notice.Signed{ID: n.ID, Published: published, Notice: st.Notice, Proofs: proofs, ByInstance: st.ByProject()}
	return v, nil
}

// checkEnvelope checks what a Note says of itself before any key is fetched.
func checkEnvelope(up store.Upstream, n noteJSON) error {
	switch {
	case federation.FirstType(n.Type) != "Note":
		return refuse(http.StatusUnprocessableEntity, "the object is a %q, not a notice's Note", federation.FirstType(n.Type))
	case n.AttributedTo != up.Actor:
		return refuse(http.StatusUnprocessableEntity, "the notice is attributed to %q, not to %s", n.AttributedTo, up.Actor)
	case !federation.SameOrigin(n.ID, up.Actor):
		return refuse(http.StatusUnprocessableEntity, "the notice's id %q is not on %s's host", n.ID, up.Actor)
	case n.Kind == "":
		return refuse(http.StatusUnprocessableEntity, "the Note %s is not a notice: it has no noticeKind", n.ID)
	case !addressedToPublic(n.To):
		return refuse(http.StatusUnprocessableEntity, "the notice %s is not public", n.ID)
	}
	if _, err := time.Parse(time.RFC3339, n.Published); err != nil {
		return refuse(http.StatusUnprocessableEntity, "the notice %s has no readable published time", n.ID)
	}
	return nil
}

func addressedToPublic(raw json.RawMessage) bool {
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return false
		}
		list = []string{one}
	}
	return slices.Contains(list, federation.Public) || slices.Contains(list, "as:Public") || slices.Contains(list, "Public")
}

// unavailableError is an actor that could not be fetched, or came back as something other than the
// actor document asked for (an error page, a redirect to another host): verification needs it, so the
// notice is answered 503 and tried again later, never kept as refused.
type unavailableError struct {
	actor string
	err   error
}

func (e *unavailableError) Error() string { return e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// assertionKeys fetches the keys an actor lists. What the fetched actor document says is final (a key
// it does not list, or lists as revoked); failing to fetch it is an *unavailableError, unless the
// actor's id is not a URL that can be fetched at all, or lies where this instance may not connect.
func (w *Watcher) assertionKeys(ctx context.Context, actor string) ([]federation.AssertionKey, error) {
	if u, err := url.Parse(actor); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%q is not the URL of an actor", actor)
	}
	keys, err := w.resolver.AssertionKeys(ctx, actor)
	if err != nil && !errors.Is(err, federation.ErrPrivateAddress) {
		return nil, &unavailableError{actor: actor, err: err}
	}
	return keys, err
}

// proofsRefused is the refusal for an error from proof.Verify: 503 when an actor whose keys it needed
// could not be fetched, else 422 with what.
func proofsRefused(err error, what string) error {
	if u, ok := errors.AsType[*unavailableError](err); ok {
		return &Error{Status: http.StatusServiceUnavailable,
			Reason: fmt.Sprintf("%s: the keys of %s could not be fetched to verify them; try again later", what, u.actor), Err: u.err}
	}
	return refuse(http.StatusUnprocessableEntity, "%s: %v", what, err)
}

// checkProjectProof checks that the project signed the Note with the key it was first followed with.
// A project whose key changes without notice is what a takeover of its instance would look like, so a
// notice signed with another key is refused until an admin looks (baton watch refresh).
func (w *Watcher) checkProjectProof(ctx context.Context, up store.Upstream, doc []byte) error {
	proofs, err := proof.Verify(doc, func(vm string) (ed25519.PublicKey, error) {
		if actorOf(vm) != up.Actor {
			return nil, fmt.Errorf("%s is not a key of the project", vm)
		}
		keys, err := w.assertionKeys(ctx, up.Actor)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if k.ID != vm {
				continue
			}
			if k.Multibase != up.ProofKey {
				return nil, fmt.Errorf("the project's key %s changed without notice (it was %s when this instance first followed it; if the project rotated it, remove every watch of it and watch it again to accept the new key)", vm, up.ProofKey)
			}
			if !k.Revoked.IsZero() {
				return nil, fmt.Errorf("the project revoked its key %s on %s", vm, k.Revoked.Format(time.RFC3339))
			}
			return k.Key, nil
		}
		return nil, fmt.Errorf("the project does not list the key %s", vm)
	})
	if err != nil {
		return proofsRefused(err, "the project's proof on the notice")
	}
	if len(proofs) != 1 {
		return refuse(http.StatusUnprocessableEntity, "the notice carries %d proofs; a project signs its Note once, for assertionMethod", len(proofs))
	}
	return nil
}

// checkStatement verifies every proof on a statement with the keys its people publish at their origin,
// and says who made each: the trust policy counts people, by their actor ids.
func (w *Watcher) checkStatement(ctx context.Context, up store.Upstream, raw []byte, published time.Time) (federation.Statement, []notice.Proof, error) {
	st, err := federation.ParseStatement(raw)
	if err != nil {
		return federation.Statement{}, nil, refuse(http.StatusUnprocessableEntity, "%v", err)
	}
	if st.Project != up.Actor {
		return federation.Statement{}, nil, refuse(http.StatusUnprocessableEntity, "the statement is about %s, not %s", st.Project, up.Actor)
	}
	st.Notice.Project = up.Genesis.Project // the name the state is folded under, pinned at first follow
	if st.ByProject() && proof.Unsigned(raw) {
		return st, nil, nil // the upstream instance spoke for a project without maintainers: the Note's proof is its word
	}
	keys := personKeys{w: w, ctx: ctx, byActor: map[string][]federation.AssertionKey{}}
	proofs, err := proof.Verify(raw, keys.resolve)
	if err != nil {
		return federation.Statement{}, nil, proofsRefused(err, "the statement's proofs")
	}
	out := make([]notice.Proof, len(proofs))
	for i, p := range proofs {
		k := keys.find(p.VerificationMethod)
		if p.Created.IsZero() {
			p.Created = published // undated: made no earlier than the Note, for the revocation check and the policy
		}
		if !k.Revoked.IsZero() && !p.Created.Before(k.Revoked) {
			return federation.Statement{}, nil, refuse(http.StatusUnprocessableEntity, "%s was used on %s, after it was revoked on %s",
				p.VerificationMethod, p.Created.Format(time.RFC3339), k.Revoked.Format(time.RFC3339))
		}
		fp, err := proof.Fingerprint(k.Key)
		if err != nil {
			return federation.Statement{}, nil, err
		}
		out[i] = notice.Proof{Person: actorOf(p.VerificationMethod), Key: fp, Created: p.Created}
	}
	return st, out, nil
}

// personKeys fetches each signer's actor once per statement.
type personKeys struct {
	w       *Watcher
	ctx     context.Context
	byActor map[string][]federation.AssertionKey
}

func (k personKeys) resolve(vm string) (ed25519.PublicKey, error) {
	actor := actorOf(vm)
	if _, ok := k.byActor[actor]; !ok {
		keys, err := k.w.assertionKeys(k.ctx, actor)
		if err != nil {
			return nil, err
		}
		k.byActor[actor] = keys
	}
	if key := k.find(vm); key.Key != nil {
		return key.Key, nil
	}
	return nil, fmt.Errorf("%s does not list the key %s", actor, vm)
}

func (k personKeys) find(vm string) federation.AssertionKey {
	for _, key := range k.byActor[actorOf(vm)] {
		if key.ID == vm {
			return key
		}
	}
	return federation.AssertionKey{}
}

func actorOf(vm string) string {
	before, _, _ := strings.Cut(vm, "#")
	return before
}
