package upstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"baton/notice"
	"baton/refusal"
	"baton/store"
)

// What a distro remembers of the notices it refused. A refusal that trying again would not change is
// kept in the store with its reason, for that version of the notice (a digest of its document), so a
// catch-up neither fetches keys to verify it again nor logs it again, across restarts and replicas:
//
//   - a refusal of the document itself (its form, its project's proof, its statement's proofs) stands
//     until the upstream is followed anew, whose key as it is then may make it verify;
//   - a refusal by the trust policy stands while what it was judged against stays as it was (the
//     upstream's genesis and stewards, the notices mirrored before it and their proofs, this instance's
//     policy, the day): a notice refused for a handover that was missed passes once the handover is
//     caught up.
//
// A notice that could not be verified because a key, an actor or the notice itself could not be
// fetched is answered 503 and not remembered: the upstream delivers it again, and the next catch-up
// reads it again.

// maxRejectedPerUpstream bounds the refusals kept for one upstream; past it the oldest are forgotten.
const maxRejectedPerUpstream = 10_000

// maxReasonBytes bounds a reason kept: reasons quote ids from the documents refused.
const maxReasonBytes = 2000

// documentDigest names one version of a notice: the SHA-256 of its document, whitespace aside.
func documentDigest(doc []byte) string {
	var compact bytes.Buffer
	sum := sha256.Sum256(doc)
	if json.Compact(&compact, doc) == nil {
		sum = sha256.Sum256(compact.Bytes())
	}
	return hex.EncodeToString(sum[:])
}

// noteID is the id a Note says it has, or "" when it is not a JSON object with one.
func noteID(doc []byte) string {
	var n struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(doc, &n) != nil {
		return ""
	}
	return n.ID
}

// errRejectedBefore is the cause of a refusal answered from what was kept, without verifying again.
var errRejectedBefore = errors.New("refused before")

// standing returns the kept refusal of one version of a notice, if it still stands: nil when there is
// none, or when it was a refusal by the policy and what it was judged against has changed since.
func (w *Watcher) standing(ctx context.Context, up store.Upstream, id, digest string) (*Error, error) {
	if id == "" {
		return nil, nil
	}
	r, err := w.store.RejectedNotice(ctx, up.Actor, id, digest)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if r.Basis != "" {
		basis, err := w.basisOf(ctx, up)
		if err != nil || basis != r.Basis {
			return nil, err
		}
	}
	return keptRefusal(r), nil
}

// keptRefusal is the answer to a version of a notice refused before: the reason it was given then.
func keptRefusal(r store.RejectedNotice) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Reason: r.Reason,
		Err: fmt.Errorf("%w on %s", errRejectedBefore, r.At.UTC().Format(time.RFC3339))}
}

// reject keeps a refusal of one version of a notice, if it is one trying again would not change (a
// 422): basis is empty for a refusal of the document, or what the policy judged it against. That it
// was logged is remembered too. A failure to keep it is logged: the refusal stands all the same.
func (w *Watcher) reject(ctx context.Context, up store.Upstream, id, digest string, err error, basis string) {
	e, ok := refusal.As(err)
	if !ok || e.Status != http.StatusUnprocessableEntity || id == "" {
		return
	}
	w.reported.first(up.Actor, digest)
	r := store.RejectedNotice{Upstream: up.Actor, ID: id, Digest: digest, Reason: truncate(e.Reason, maxReasonBytes),
		Basis: basis, At: w.now().UTC()}
	if err := w.store.RejectNotice(ctx, r, maxRejectedPerUpstream); err != nil {
		w.log.Error("keep a refused upstream notice", "upstream", up.Actor, "notice", id, "err", err)
	}
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// basisOf names what the trust policy judges the upstream's next notice against, as it stands now.
func (w *Watcher) basisOf(ctx context.Context, up store.Upstream) (string, error) {
	h, err := w.history(ctx, up)
	if err != nil {
		return "", err
	}
	return w.policyBasis(up, h), nil
}

// policyBasis names what the trust policy judged an upstream's notice against: the upstream's genesis
// and stewards, the notices mirrored with their proofs, this instance's policy, and the day (windows
// and changes of rights dated ahead take effect as days pass). Times are written as instants, so the
// same state read from another backend has the same name.
func (w *Watcher) policyBasis(up store.Upstream, h history) string {
	sum := sha256.New()
	g := up.Genesis
	fmt.Fprintf(sum, "genesis %q %d %d %q\n", g.Project, g.Since.UnixNano(), g.Added.UnixNano(), g.Maintainers)
	for _, k := range g.Keys {
		fmt.Fprintf(sum, "key %q %q %q\n", k.Fingerprint, k.Type, k.Holder)
	}
	for _, s := range up.Stewards {
		fmt.Fprintf(sum, "steward %q %d\n", s.ID, s.Since.UnixNano())
	}
	for _, s := range h.signed {
		fmt.Fprintf(sum, "notice %q\n", s.ID)
		for _, p := range s.Proofs {
			fmt.Fprintf(sum, "proof %q %q %d\n", p.Person, p.Key, p.Created.UnixNano())
		}
	}
	fmt.Fprintf(sum, "policy %+v\nday %s\n", w.policy, w.now().UTC().Format(notice.Date))
	return "policy:" + hex.EncodeToString(sum.Sum(nil))
}

// reportedRejections remembers, in this process, which refused versions of notices were logged and
// counted, so that a refusal kept in the store is logged once per process (the first catch-up after a
// start says what stands refused), not at every catch-up. It is bounded: past its bound it starts
// afresh, and some are logged once more.
type reportedRejections struct {
	mu   sync.Mutex
	seen map[string]bool
}

// maxReported bounds what reportedRejections holds.
const maxReported = 10_000

// first marks a version of an upstream's notice as logged and reports whether it was not before.
func (r *reportedRejections) first(upstream, digest string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := upstream + " " + digest
	if r.seen[key] {
		return false
	}
	if r.seen == nil || len(r.seen) >= maxReported {
		r.seen = map[string]bool{}
	}
	r.seen[key] = true
	return true
}

// forget forgets what was logged: an upstream is followed anew, and its refusals were dropped.
func (r *reportedRejections) forget() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = nil
}
