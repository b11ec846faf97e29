package ledger

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// History is what a project's state is folded from.
type History struct {
	Genesis       notice.Genesis
	Notices       []notice.Signed // in the order published
	Stewards      []string        // the stewards now
	stewardsSince map[string]time.Time
	Stored        map[string]store.Notice // by notice id
}

// History loads a project's first maintainers, its notices with their verified proofs, and the stewards.
func (l *Ledger) History(ctx context.Context, project string) (History, error) {
	a, err := store.Project(ctx, l.store, project)
	if err != nil {
		return History{}, err
	}
	// Notices are dated to the second; so is the genesis, or a notice published in the project's
	// first second would come before the project had maintainers.
	genesis := notice.Genesis{Project: project, Since: a.RecordStart().Truncate(time.Second), Added: a.Created.Truncate(time.Second), Keys: a.SigningKeys}
	h := History{Genesis: genesis, Stored: map[string]store.Notice{}}
	if h.Genesis.Maintainers, err = l.roleHolders(ctx, project); err != nil {
		return History{}, err
	}
	stewards, err := l.store.RoleHolders(ctx, "")
	if err != nil {
		return History{}, err
	}
	h.stewardsSince = map[string]time.Time{}
	for _, r := range stewards {
		id := l.urls.Actor(r.Person)
		h.Stewards = append(h.Stewards, id)
		h.stewardsSince[id] = r.Since
	}
	stored, err := l.allNotices(ctx, project)
	if err != nil {
		return History{}, err
	}
	for _, n := range stored {
		v, err := federation.ParseNote(n.Document)
		if err != nil {
			continue
		}
		if v.Statement == nil {
			// The admin's notice for a project without maintainers, as published before the instance
			// wrote its own statements: kind and dates are all it kept.
			if len(h.Genesis.Maintainers) == 0 && n.Public {
				h.Notices = append(h.Notices, notice.Signed{ID: l.urls.Notice(n.ID), Published: n.Published, ByInstance: true,
					Notice: notice.Notice{Project: project, Kind: notice.Kind(v.Kind), Since: v.Since, Until: v.Until}})
				h.Stored[l.urls.Notice(n.ID)] = n
			}
			continue
		}
		st, err := federation.ParseStatement(v.Statement)
		if err != nil {
			return History{}, fmt.Errorf("notice %d: %w", n.ID, err)
		}
		proofs, err := l.storedProofs(ctx, st.Raw)
		if err != nil {
			return History{}, fmt.Errorf("notice %d: %w", n.ID, err)
		}
		st.Notice.Project = project
		id := l.urls.Notice(n.ID)
		sn := notice.Signed{ID: id, Published: n.Published, Notice: st.Notice, Proofs: proofs, ByInstance: st.ByProject()}
		h.Notices = append(h.Notices, sn)
		h.Stored[id] = n
		// A notice admitted before instances kept a record start may be dated before the project was
		// added: it is part of the record all the same, so the record reaches back to it.
		if e := sn.Effective(); e.Before(h.Genesis.Since) {
			h.Genesis.Since = e
		}
	}
	if err := l.remoteStewards(ctx, &h); err != nil {
		return History{}, err
	}
	return h, nil
}

// Fold is the project's state at a time, as known then.
func (h History) Fold(p notice.Policy, at time.Time) notice.State {
	return notice.Fold(h.Genesis, h.Notices, h.StewardsAt(at), p, at)
}

// FoldHindsight is the project's state at a time knowing what is known at now (the auditor's view).
func (h History) FoldHindsight(p notice.Policy, at, now time.Time) notice.State {
	return notice.FoldHindsight(h.Genesis, h.Notices, h.StewardsAt(at), p, at, now)
}

// StewardSince is when the steward id became one.
func (h History) StewardSince(id string) time.Time { return h.stewardsSince[id] }

// StewardsAt is who were stewards at a time: an audit of a past date must not count endorsements by
// someone who became a steward later.
func (h History) StewardsAt(at time.Time) []string {
	var out []string
	for _, id := range h.Stewards {
		if !h.stewardsSince[id].After(at) {
			out = append(out, id)
		}
	}
	return out
}

func (l *Ledger) roleHolders(ctx context.Context, project string) ([]string, error) {
	roles, err := l.store.RoleHolders(ctx, project)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = l.urls.Actor(r.Person)
	}
	return ids, nil
}

// allNotices returns a project's notices oldest first.
func (l *Ledger) allNotices(ctx context.Context, project string) ([]store.Notice, error) {
	var all []store.Notice
	before := int64(0)
	for {
		page, err := l.store.ListNotices(ctx, project, before, 500, false)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < 500 {
			break
		}
		before = page[len(page)-1].ID
	}
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	return all, nil
}

// storedProofs says who made the proofs of a statement the instance stored: they were verified when
// they arrived, so reading them needs no cryptography, only the signers' keys to name the people.
func (l *Ledger) storedProofs(ctx context.Context, doc []byte) ([]notice.Proof, error) {
	list, err := proofEntries(doc)
	if err != nil {
		return nil, err
	}
	out := make([]notice.Proof, 0, len(list))
	for _, e := range list {
		person, fp, err := l.storedKey(ctx, e.VerificationMethod)
		if err != nil {
			return nil, err
		}
		created, _ := time.Parse(time.RFC3339, e.Created)
		out = append(out, notice.Proof{Person: person, Key: fp, Created: created})
	}
	return out, nil
}

// storedKey names the person and key of a stored proof.
func (l *Ledger) storedKey(ctx context.Context, vm string) (string, string, error) {
	actorID, _, _ := strings.Cut(vm, "#")
	if l.urls.LocalActorName(actorID) == "" {
		return storedRemoteKey(actorID, vm)
	}
	_, person, fp, err := l.personKey(ctx, vm, false, false)
	return person, fp, err
}

// storedStatement reads the statement a stored notice carries.
func (l *Ledger) storedStatement(stored store.Notice) (federation.Statement, error) {
	view, err := federation.ParseNote(stored.Document)
	if err != nil || view.Statement == nil {
		return federation.Statement{}, Refuse(422, "notice %d carries no signed statement", stored.ID)
	}
	st, err := federation.ParseStatement(view.Statement)
	if err != nil {
		return federation.Statement{}, fmt.Errorf("notice %d: stored statement: %w", stored.ID, err)
	}
	return st, nil
}

// revocationOf is the revocation among h's notices that withdrew id; zero if none did.
func (h History) RevocationOf(id string) notice.Signed {
	for _, s := range h.Notices {
		if s.Notice.Kind == notice.Revocation && slices.Contains(s.Notice.Revokes, id) {
			return s
		}
	}
	return notice.Signed{}
}

// Maintains reports whether person (an actor id) holds a right in project now: a maintainer, on
// hiatus or not.
func (l *Ledger) Maintains(ctx context.Context, project, person string) (bool, error) {
	h, err := l.History(ctx, project)
	if err != nil {
		return false, err
	}
	for _, m := range h.Fold(l.policy, l.now()).Maintainers {
		if m.Person == person {
			return true, nil
		}
	}
	return false, nil
}
