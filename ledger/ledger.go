// Package ledger is each project's record on this instance: it loads a project's genesis and notices
// with the proofs that verified (History), folds them as package notice says, verifies proofs against
// the keys of this instance's people, and judges whether a maintainer's statement or an endorsement may
// join the record: notice.Admit, notice.Authorize and notice.MaySign, with proofs made recently. Each
// judgement is made on a revision of the project's notices, and the caller stores the result only if
// that revision is still the latest (store.ErrConflict otherwise), so replicas sharing a store never
// admit two conflicting statements nor lose an endorsement. It also authenticates stewards' signed
// queries. It renders and sends nothing: package outbox does.
package ledger

import (
	"time"

	"baton/federation"
	"baton/notice"
	"baton/refusal"
	"baton/store"
)

// Ledger judges what may join projects' records.
type Ledger struct {
	store  store.Store
	urls   federation.URLs
	policy notice.Policy
	now    func() time.Time
	remote Remote // people on other instances; none without WithRemote
}

// New makes a Ledger. A zero policy is notice.DefaultPolicy; a nil now is time.Now.
func New(st store.Store, urls federation.URLs, policy notice.Policy, now func() time.Time) *Ledger {
	if policy == (notice.Policy{}) {
		policy = notice.DefaultPolicy()
	}
	if now == nil {
		now = time.Now
	}
	return &Ledger{store: st, urls: urls, policy: policy, now: now}
}

// Policy is the trust policy the ledger judges by.
func (l *Ledger) Policy() notice.Policy { return l.policy }

// Attempts bounds how often a statement or endorsement is judged again because another one joined
// the record meanwhile (through this replica or another sharing the store).
const Attempts = 8

// Error is a statement, endorsement or query refused for what it says or who signed it, as opposed to
// a failure of the instance.
type Error = refusal.Error

// Refuse makes an Error.
func Refuse(status int, format string, args ...any) error {
	return refusal.New(status, format, args...)
}
