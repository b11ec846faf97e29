package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"baton/store"
)

// RunMove checks store.Move from stores made by openFrom into stores made by openTo (each call a new,
// empty store): everything an instance keeps arrives as it was, queued deliveries keep their state,
// notice ids are not handed out again, each actor's revision counts its notices, and a store that holds
// an instance is never moved into.
func RunMove(t *testing.T, openFrom, openTo func(t *testing.T) store.Movable) {
	t.Run("Everything", func(t *testing.T) {
		from, to := openFrom(t), openTo(t)
		maxID := fill(t, from)
		moved, err := store.Move(ctx(t), from, to)
		noErr(t, "Move", err)
		want, got := contents(t, from), contents(t, to)
		wantSameLines(t, got, want)
		if fmt.Sprint(moved.Settings) != "[admin-token instance-key]" || moved.Notices != 4 || moved.Deliveries != 6 || moved.Seen != 2 || moved.Followers != 3 || moved.Mirrored != 2 || moved.Rejected != 3 ||
			moved.Delivered != 1 || moved.Cases != 2 || moved.Offers != 2 {
			t.Errorf("Move counted %+v", moved)
		}
		if id := nextID(t, to); id <= maxID {
			t.Errorf("NextNoticeID after the move = %d, want above %d", id, maxID)
		}
		// The deliveries due at once come out of the new queue, with the attempts they had.
		got2 := claim(t, to, time.Now(), 10, time.Minute)
		wantStrings(t, "claimed after the move", sortedInboxes(got2), []string{"https://a.example/inbox", "https://b.example/inbox",
			"https://d.example/inbox", "https://e.example/inbox"})
		// The project keeps its genesis, and publishes on from the revision its notices make.
		xz, err := to.Actor(ctx(t), "xz")
		noErr(t, "Actor", err)
		wantActor(t, xz, foundedProject("xz"))
		wantRevision(t, to, "xz", 4)
		publish(t, to, notice(t, to, "xz", true), 2)
	})
	t.Run("LargeFanOut", func(t *testing.T) { testMoveLargeFanOut(t, openFrom, openTo) })
	t.Run("IntoAnInstance", func(t *testing.T) {
		from, to := openFrom(t), openTo(t)
		fill(t, from)
		mustCreateActors(t, to, "curl")
		before := contents(t, to)
		_, err := store.Move(ctx(t), from, to)
		if !errors.Is(err, store.ErrNotEmpty) {
			t.Fatalf("Move into a store with an actor: %v, want ErrNotEmpty", err)
		}
		wantSameLines(t, contents(t, to), before)
	})
}

// fill stores one of everything an instance keeps, and returns the highest notice id.
func fill(t *testing.T, s store.Movable) int64 {
	t.Helper()
	c := ctx(t)
	_, err := s.InitSetting(c, "instance-key", []byte("-----BEGIN PRIVATE KEY-----\x00\xff"))
	noErr(t, "InitSetting", err)
	_, err = s.InitSetting(c, "admin-token", []byte("hash"))
	noErr(t, "InitSetting", err)
	noErr(t, "CreateActor", s.CreateActor(c, foundedProject("xz")))
	mustCreateActors(t, s, "lasse")
	mustCreatePackages(t, s, "xz-utils")
	noErr(t, "AddKey", s.AddKey(c, store.PersonKey{Person: "lasse", Fingerprint: "SHA256:old", PublicKey: seed(1), Added: when}))
	noErr(t, "AddKey", s.AddKey(c, store.PersonKey{Person: "lasse", Fingerprint: "SHA256:new", PublicKey: seed(2), Added: when.Add(time.Hour)}))
	noErr(t, "RevokeKey", s.RevokeKey(c, "lasse", "SHA256:old", when.Add(2*time.Hour)))
	noErr(t, "AddRole", s.AddRole(c, store.Role{Person: "lasse", Project: "xz", Since: when}))
	noErr(t, "AddRole", s.AddRole(c, store.Role{Person: "lasse", Since: when.Add(time.Minute)}))

	var last int64
	for i, public := range []bool{true, false, true, true} {
		n := notice(t, s, "xz", public)
		if i == 2 {
			n.StatementID = "urn:uuid:statement-2"
		}
		nextID(t, s) // a reserved id never published leaves a gap
		publish(t, s, n, 0)
		last = n.ID
	}
	mustAddFollowers(t, s, follower("xz", 2, true), follower("xz", 1, false), follower("xz-utils", 3, true))

	xz := testUpstream("xz")
	mustPutUpstreams(t, s, xz)
	mustAddWatches(t, s, store.Watch{Package: "xz-utils", Upstream: xz.Actor, Purl: "pkg:deb/debian/xz-utils", Created: when})
	mirror(t, s, mirrored(xz, 2, when.Add(time.Hour)), nil, true, 0)
	mirror(t, s, mirrored(xz, 1, when), nil, true, 0)
	policy := rejection(xz, 4, "b", when.Add(2*time.Hour))
	policy.Basis = "policy:3f2a"
	mustReject(t, s, 0, rejection(xz, 3, "b", when.Add(3*time.Hour)), policy, rejection(xz, 3, "c", when))

	opened := testCase("e5")
	opened.Closed, opened.ClosedBy, opened.LedTo = time.Time{}, "", 0
	noErr(t, "CreateCase", s.CreateCase(c, opened))
	noErr(t, "CreateCase", s.CreateCase(c, testCase("a1")))

	accepted := offer("urn:uuid:1", "ann", true, when)
	mustPutOffers(t, s, accepted, offer("https://social.example/statuses/9", "bob", false, when.Add(time.Hour)))
	_, err = s.AcceptOffer(c, accepted.ID, "https://a.example/users/steward1", when.Add(2*time.Hour))
	noErr(t, "AcceptOffer", err)

	fillQueue(t, s)
	noErr(t, "MarkSeen", s.MarkSeen(c, "https://social1.example/activities/1", time.UnixMicro(1_700_000_000_000_001)))
	noErr(t, "MarkSeen", s.MarkSeen(c, "https://social2.example/activities/2", time.UnixMicro(1_700_000_000_000_002)))
	return last
}

// fillQueue leaves deliveries in every state: due at once (never tried), leased (its worker died),
// retried later after failing, given up, and delivered.
func fillQueue(t *testing.T, s store.Movable) {
	t.Helper()
	// Two deliveries of "done" were completed: only their count is left.
	enqueue(t, s, activity("done"), "https://f.example/inbox", "https://g.example/inbox")
	noErr(t, "Complete", s.Complete(ctx(t), deliveryIDs(claimAll(t, s, time.Now(), time.Hour, 2))...))
	enqueue(t, s, activity("first"), "https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox")
	claimed := claimAll(t, s, time.Now(), time.Hour, 3)
	byInbox := map[string]int64{}
	for _, d := range claimed {
		byInbox[d.Inbox] = d.ID
	}
	// a.example stays leased; b.example failed once and is due again now; c.example is due in 2031.
	noErr(t, "Retry", s.Retry(ctx(t), byInbox["https://c.example/inbox"], time.Date(2031, 1, 2, 3, 4, 5, 6000, time.UTC), "timeout"))
	enqueue(t, s, activity("second"), "https://d.example/inbox", "https://gone.example/inbox")
	for _, d := range claimAll(t, s, time.Now(), time.Hour, 2) {
		if d.Inbox == "https://gone.example/inbox" {
			noErr(t, "Fail", s.Fail(ctx(t), d.ID, "410 Gone"))
		} else {
			noErr(t, "Retry", s.Retry(ctx(t), d.ID, time.UnixMicro(2_000_000), "reset"))
		}
	}
	noErr(t, "Retry", s.Retry(ctx(t), byInbox["https://b.example/inbox"], time.UnixMicro(1_000_000), "503 Service Unavailable"))
	enqueue(t, s, activity("third"), "https://e.example/inbox")
}

// contents reads everything a store holds, as lines that name no backend's ids.
func contents(t *testing.T, s store.Movable) []string {
	t.Helper()
	c := ctx(t)
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	keys, err := s.SettingKeys(c)
	noErr(t, "SettingKeys", err)
	for _, k := range keys {
		v, err := s.Setting(c, k)
		noErr(t, "Setting", err)
		add("setting %s %q", k, v)
	}
	actors, err := s.ListActors(c)
	noErr(t, "ListActors", err)
	projects := []string{""}
	for _, a := range actors {
		add("actor %+v", a)
		if a.Kind == store.KindProject {
			projects = append(projects, a.Name)
		}
		pks, err := s.PersonKeys(c, a.Name)
		noErr(t, "PersonKeys", err)
		for _, k := range pks {
			add("key %s %s %x added %d revoked %d", k.Person, k.Fingerprint, k.PublicKey, k.Added.UnixNano(), k.Revoked.UnixNano())
		}
		ns, err := s.ListNotices(c, a.Name, 0, 100, false)
		noErr(t, "ListNotices", err)
		for _, n := range ns {
			add("notice %d %s %q %s %v %q %d", n.ID, n.Actor, n.StatementID, n.Kind, n.Public, n.Document, n.Published.UnixNano())
		}
		revision, err := s.Revision(c, a.Name)
		noErr(t, "Revision", err)
		add("revision of %s: %d", a.Name, revision)
		fs, _, err := s.ListFollowers(c, a.Name, 0, 100)
		noErr(t, "ListFollowers", err)
		for _, f := range fs {
			add("follower %s %s %s %s %s %d", f.Local, f.Actor, f.Inbox, f.SharedInbox, f.FollowID, f.Created.UnixNano())
		}
		count, err := s.CountFollowers(c, a.Name)
		noErr(t, "CountFollowers", err)
		add("followers of %s: %d", a.Name, count)
		if a.Kind == store.KindProject {
			lines = append(lines, offerContents(t, s, a.Name)...)
		}
	}
	for _, p := range projects {
		roles, err := s.RoleHolders(c, p)
		noErr(t, "RoleHolders", err)
		for _, r := range roles {
			add("role %s of %q since %d", r.Person, r.Project, r.Since.UnixNano())
		}
	}
	if n, err := s.NoticeByStatement(c, "urn:uuid:statement-2"); err == nil {
		add("statement-2 in notice %d", n.ID)
	}
	for _, public := range []bool{false, true} {
		n, err := s.CountNotices(c, "", public)
		noErr(t, "CountNotices", err)
		add("notices (public only: %v): %d", public, n)
	}
	cases, err := s.ListCases(c)
	noErr(t, "ListCases", err)
	for _, rc := range cases {
		add("case %s", caseLine(rc))
	}
	lines = append(lines, watchContents(t, s)...)
	lines = append(lines, queueContents(t, s)...)
	status, err := s.DeliveryStatus(c, "")
	noErr(t, "DeliveryStatus", err)
	for _, a := range status {
		add("delivery status %+v", a)
	}
	noErr(t, "EachSeen", s.EachSeen(c, func(id string, at time.Time) error {
		add("seen %s at %d", id, at.UnixNano())
		return nil
	}))
	return lines
}

func watchContents(t *testing.T, s store.Movable) []string {
	t.Helper()
	var lines []string
	ups, err := s.ListUpstreams(ctx(t))
	noErr(t, "ListUpstreams", err)
	for _, u := range ups {
		lines = append(lines, fmt.Sprintf("upstream %s %s genesis %v since %d stewards %d synced %d created %d", u.Actor, u.Name,
			u.Genesis.Keys, u.Genesis.Since.UnixNano(), len(u.Stewards), u.Synced.UnixNano(), u.Created.UnixNano()))
		ms, err := s.MirroredNotices(ctx(t), u.Actor)
		noErr(t, "MirroredNotices", err)
		for _, m := range ms {
			lines = append(lines, fmt.Sprintf("mirrored %s %s %q proofs %d published %d received %d", m.ID, m.Kind, m.Document,
				len(m.Proofs), m.Published.UnixNano(), m.Received.UnixNano()))
		}
		rs, err := s.RejectedNotices(ctx(t), u.Actor)
		noErr(t, "RejectedNotices", err)
		for _, r := range rs {
			lines = append(lines, fmt.Sprintf("rejected %s %s %s %q basis %q at %d", r.Upstream, r.ID, r.Digest, r.Reason, r.Basis, r.At.UnixNano()))
		}
	}
	ws, err := s.ListWatches(ctx(t))
	noErr(t, "ListWatches", err)
	for _, w := range ws {
		lines = append(lines, fmt.Sprintf("watch %+v", w))
	}
	return lines
}

func queueContents(t *testing.T, s store.Movable) []string {
	t.Helper()
	var lines []string
	noErr(t, "EachDelivery", s.EachDelivery(ctx(t), func(d store.QueuedDelivery) error {
		lines = append(lines, fmt.Sprintf("delivery to %s of %s by %s %q: attempts %d, due %d, failed %v, error %q, created %d",
			d.Inbox, d.Activity.ID, d.Activity.Signer, d.Activity.Body, d.Attempts, d.Due.UnixNano(), d.Failed, d.Error, d.Created.UnixNano()))
		return nil
	}))
	depth, err := s.QueueDepth(ctx(t))
	noErr(t, "QueueDepth", err)
	return append(lines, fmt.Sprintf("queue depth %d", depth))
}

func wantSameLines(t *testing.T, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("the store holds:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
}
