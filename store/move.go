package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Movable is a backend an instance can be moved from or into.
type Movable interface {
	Store
	Transfer
}

// Moved counts what Move copied.
type Moved struct {
	Settings                                                                                                                    []string // the keys of the settings copied, sorted
	Actors, Keys, Roles, Notices, Followers, Upstreams, Watches, Mirrored, Rejected, Cases, Offers, Deliveries, Delivered, Seen int
}

// ErrNotEmpty is Move's answer when the store to move into holds an instance already.
var ErrNotEmpty = errors.New("holds an instance already")

// Move copies everything an instance keeps from one store into another, empty one: settings (its keys
// and admin token), actors (a project's genesis record included), people's keys, roles, notices with
// their ids, followers in the order they followed, upstreams, watches, mirrored notices, the upstream
// notices refused (with their reasons, in the order recorded), relief cases (sealed, as they are), the
// answers to calls for stewards (accepted ones marked), the delivery queue as it stands (due
// times, attempts and failures kept), how many deliveries of each activity were completed (what
// DeliveryStatus reports as delivered) and the activity ids seen. Each actor's notice revision starts
// again from its notices, one each (updates are not counted again): nothing writes during a move, so
// no revision read before it is still in use. Remote keys are not copied: they are a cache, fetched
// again when needed. Nothing may be writing to either store meanwhile; a Move that fails half-way
// leaves the target partly filled, to be emptied before trying again.
func Move(ctx context.Context, from, to Movable) (Moved, error) {
	var m Moved
	if err := mustBeEmpty(ctx, to); err != nil {
		return m, err
	}
	steps := []struct {
		what string
		run  func(context.Context, Movable, Movable, *Moved) error
	}{
		{"settings", moveSettings}, {"actors", moveActors}, {"keys", moveKeys}, {"roles", moveRoles},
		{"notices", moveNotices}, {"followers", moveFollowers}, {"upstreams and watches", moveWatches},
		{"mirrored notices", moveMirrored}, {"rejected notices", moveRejected}, {"relief cases", moveCases}, {"offers", moveOffers},
		{"deliveries", moveDeliveries},
		{"delivery counts", moveDelivered}, {"seen activities", moveSeen},
	}
	for _, step := range steps {
		if err := step.run(ctx, from, to, &m); err != nil {
			return m, fmt.Errorf("moving %s: %w", step.what, err)
		}
	}
	return m, nil
}

func mustBeEmpty(ctx context.Context, to Movable) error {
	settings, err := to.SettingKeys(ctx)
	if err != nil {
		return err
	}
	actors, err := to.ListActors(ctx)
	if err != nil {
		return err
	}
	if len(settings) > 0 || len(actors) > 0 {
		return fmt.Errorf("the store to move into %w (%d settings, %d actors): move only into an empty one", ErrNotEmpty, len(settings), len(actors))
	}
	return nil
}

func moveSettings(ctx context.Context, from, to Movable, m *Moved) error {
	keys, err := from.SettingKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, err := from.Setting(ctx, k)
		if err != nil {
			return err
		}
		if _, err := to.InitSetting(ctx, k, v); err != nil {
			return err
		}
		m.Settings = append(m.Settings, k)
	}
	return nil
}

// moveCases copies relief cases as they are: their messages stay sealed, and move with their revision.
func moveCases(ctx context.Context, from, to Movable, m *Moved) error {
	cases, err := from.ListCases(ctx)
	if err != nil {
		return err
	}
	for _, c := range cases {
		if err := to.CreateCase(ctx, c); err != nil {
			return fmt.Errorf("case %s: %w", c.ID, err)
		}
		m.Cases++
	}
	return nil
}

func moveActors(ctx context.Context, from, to Movable, m *Moved) error {
	actors, err := from.ListActors(ctx)
	if err != nil {
		return err
	}
	for _, a := range actors {
		if err := to.CreateActor(ctx, a); err != nil {
			return fmt.Errorf("%s: %w", a.Name, err)
		}
		m.Actors++
	}
	return nil
}

func moveKeys(ctx context.Context, from, to Movable, m *Moved) error {
	return eachActor(ctx, from, func(a Actor) error {
		keys, err := from.PersonKeys(ctx, a.Name)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := to.AddKey(ctx, PersonKey{Person: k.Person, Fingerprint: k.Fingerprint, PublicKey: k.PublicKey, Added: k.Added}); err != nil {
				return fmt.Errorf("%s %s: %w", k.Person, k.Fingerprint, err)
			}
			if !k.Revoked.IsZero() {
				if err := to.RevokeKey(ctx, k.Person, k.Fingerprint, k.Revoked); err != nil {
					return fmt.Errorf("%s %s: %w", k.Person, k.Fingerprint, err)
				}
			}
			m.Keys++
		}
		return nil
	})
}

func moveRoles(ctx context.Context, from, to Movable, m *Moved) error {
	projects := []string{""} // the stewards
	err := eachActor(ctx, from, func(a Actor) error {
		if a.Kind == KindProject {
			projects = append(projects, a.Name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range projects {
		roles, err := from.RoleHolders(ctx, p)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if err := to.AddRole(ctx, r); err != nil {
				return fmt.Errorf("%s of %q: %w", r.Person, r.Project, err)
			}
			m.Roles++
		}
	}
	return nil
}

// movePage is how many notices, follows or deliveries are read or written at a time.
const movePage = 500

func moveNotices(ctx context.Context, from, to Movable, m *Moved) error {
	return eachActor(ctx, from, func(a Actor) error {
		for before := int64(0); ; {
			page, err := from.ListNotices(ctx, a.Name, before, movePage, false)
			if err != nil || len(page) == 0 {
				return err
			}
			for _, n := range page {
				if err := to.RestoreNotice(ctx, n); err != nil {
					return fmt.Errorf("notice %d: %w", n.ID, err)
				}
				m.Notices++
			}
			before = page[len(page)-1].ID
		}
	})
}

func moveFollowers(ctx context.Context, from, to Movable, m *Moved) error {
	return eachActor(ctx, from, func(a Actor) error {
		for after := int64(0); ; {
			page, next, err := from.ListFollowers(ctx, a.Name, after, movePage)
			if err != nil || len(page) == 0 {
				return err
			}
			for _, f := range page {
				if err := to.AddFollower(ctx, f); err != nil {
					return fmt.Errorf("%s following %s: %w", f.Actor, f.Local, err)
				}
				m.Followers++
			}
			after = next
		}
	})
}

func moveWatches(ctx context.Context, from, to Movable, m *Moved) error {
	upstreams, err := from.ListUpstreams(ctx)
	if err != nil {
		return err
	}
	for _, u := range upstreams {
		if err := to.PutUpstream(ctx, u); err != nil {
			return fmt.Errorf("%s: %w", u.Actor, err)
		}
		m.Upstreams++
	}
	watches, err := from.ListWatches(ctx)
	if err != nil {
		return err
	}
	for _, w := range watches {
		if err := to.AddWatch(ctx, w); err != nil {
			return fmt.Errorf("%s: %w", w.Package, err)
		}
		m.Watches++
	}
	return nil
}

func moveMirrored(ctx context.Context, from, to Movable, m *Moved) error {
	upstreams, err := from.ListUpstreams(ctx)
	if err != nil {
		return err
	}
	for _, u := range upstreams {
		notices, err := from.MirroredNotices(ctx, u.Actor)
		if err != nil {
			return err
		}
		// Oldest received first, so the order of notices published at the same time stays.
		slices.SortStableFunc(notices, func(a, b MirroredNotice) int { return a.Received.Compare(b.Received) })
		for _, n := range notices {
			if _, _, err := to.MirrorNotice(ctx, n, nil); err != nil {
				return fmt.Errorf("%s: %w", n.ID, err)
			}
			m.Mirrored++
		}
	}
	return nil
}

func moveRejected(ctx context.Context, from, to Movable, m *Moved) error {
	upstreams, err := from.ListUpstreams(ctx)
	if err != nil {
		return err
	}
	for _, u := range upstreams {
		rejected, err := from.RejectedNotices(ctx, u.Actor)
		if err != nil {
			return err
		}
		for _, r := range rejected {
			if err := to.RejectNotice(ctx, r, 0); err != nil {
				return fmt.Errorf("%s: %w", r.ID, err)
			}
			m.Rejected++
		}
	}
	return nil
}

// moveDeliveries queues each run of deliveries of one activity together, so the activity is stored
// once per run rather than once per delivery.
func moveDeliveries(ctx context.Context, from, to Movable, m *Moved) error {
	var run []QueuedDelivery
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		err := to.RestoreDeliveries(ctx, run[0].Activity, run)
		m.Deliveries += len(run)
		run = run[:0]
		return err
	}
	err := from.EachDelivery(ctx, func(d QueuedDelivery) error {
		if len(run) > 0 && (!sameActivity(run[0].Activity, d.Activity) || len(run) == movePage) {
			if err := flush(); err != nil {
				return err
			}
		}
		run = append(run, d)
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

func sameActivity(a, b Activity) bool {
	return a.ID == b.ID && a.Signer == b.Signer && bytes.Equal(a.Body, b.Body)
}

func moveDelivered(ctx context.Context, from, to Movable, m *Moved) error {
	return from.EachDelivered(ctx, func(id string, n int) error {
		m.Delivered++
		return to.RestoreDelivered(ctx, id, n)
	})
}

func moveSeen(ctx context.Context, from, to Movable, m *Moved) error {
	return from.EachSeen(ctx, func(id string, at time.Time) error {
		m.Seen++
		return to.MarkSeen(ctx, id, at)
	})
}

func eachActor(ctx context.Context, s Movable, fn func(Actor) error) error {
	actors, err := s.ListActors(ctx)
	if err != nil {
		return err
	}
	for _, a := range actors {
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}
