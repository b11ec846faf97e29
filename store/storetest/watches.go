package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	bnotice "baton/notice"
	"baton/store"
)

// packageActor is a distro's package as the admin creates it: no RSA key until one is needed.
func packageActor(name string) store.Actor {
	return store.Actor{
		Name:        name,
		Kind:        store.KindPackage,
		DisplayName: "Debian package " + name,
		Summary:     "Notices about " + name + " from upstream.",
		Created:     when,
	}
}

func mustCreatePackages(t *testing.T, s store.Store, names ...string) {
	t.Helper()
	for _, name := range names {
		if err := s.CreateActor(ctx(t), packageActor(name)); err != nil {
			t.Fatalf("CreateActor(package %q): %v", name, err)
		}
	}
}

// testUpstream makes an upstream project at its own instance, every field set.
func testUpstream(name string) store.Upstream {
	base := "https://" + name + ".example"
	return store.Upstream{
		Actor:       base + "/" + name,
		Name:        name,
		Inbox:       base + "/" + name + "/inbox",
		SharedInbox: base + "/inbox",
		Outbox:      base + "/" + name + "/outbox",
		ProofKey:    "z6Mk" + name + "Key",
		Genesis: bnotice.Genesis{
			Project:     name,
			Maintainers: []string{base + "/lasse", base + "/jia"},
			Keys: []bnotice.SigningKey{
				{Fingerprint: "3690C240CE51B4670D30AD1C38EE757D69184620", Type: bnotice.OpenPGP, Holder: base + "/lasse"},
				{Fingerprint: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", Type: bnotice.SSH, Holder: base + "/jia"},
			},
			Since: when.Add(-365 * 24 * time.Hour),
		},
		Stewards: []store.Steward{
			{ID: base + "/stewards/ann", Since: when.Add(-48 * time.Hour)},
			{ID: base + "/stewards/bo", Since: when.Add(-time.Nanosecond)},
		},
		FollowID: "https://distro.example/actor#follow-" + name,
		Follow:   store.FollowPending,
		Synced:   when.Add(time.Hour),
		Created:  when,
	}
}

func mustPutUpstreams(t *testing.T, s store.Store, us ...store.Upstream) {
	t.Helper()
	for _, u := range us {
		if err := s.PutUpstream(ctx(t), u); err != nil {
			t.Fatalf("PutUpstream(%s): %v", u.Actor, err)
		}
	}
}

func sameTime(a, b time.Time) bool { return a.Equal(b) && a.IsZero() == b.IsZero() }

func sameGenesis(a, b bnotice.Genesis) bool {
	if a.Project != b.Project || fmt.Sprintf("%q", a.Maintainers) != fmt.Sprintf("%q", b.Maintainers) ||
		len(a.Keys) != len(b.Keys) || !sameTime(a.Since, b.Since) {
		return false
	}
	for i := range a.Keys {
		if a.Keys[i] != b.Keys[i] {
			return false
		}
	}
	return true
}

func sameUpstream(a, b store.Upstream) bool {
	if a.Actor != b.Actor || a.Name != b.Name || a.Inbox != b.Inbox || a.SharedInbox != b.SharedInbox ||
		a.Outbox != b.Outbox || a.ProofKey != b.ProofKey || !sameGenesis(a.Genesis, b.Genesis) ||
		a.FollowID != b.FollowID || a.Follow != b.Follow || !sameTime(a.Synced, b.Synced) ||
		!sameTime(a.Created, b.Created) || len(a.Stewards) != len(b.Stewards) {
		return false
	}
	for i := range a.Stewards {
		if a.Stewards[i].ID != b.Stewards[i].ID || !sameTime(a.Stewards[i].Since, b.Stewards[i].Since) {
			return false
		}
	}
	return true
}

func wantUpstream(t *testing.T, what string, got, want store.Upstream) {
	t.Helper()
	if !sameUpstream(got, want) {
		t.Fatalf("%s: upstream\n got %+v\nwant %+v", what, got, want)
	}
}

func wantUpstreams(t *testing.T, what string, got, want []store.Upstream) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d upstreams, want %d", what, len(got), len(want))
	}
	for i := range want {
		wantUpstream(t, fmt.Sprintf("%s, upstream %d", what, i), got[i], want[i])
	}
}

func sameWatch(a, b store.Watch) bool {
	return a.Package == b.Package && a.Upstream == b.Upstream && a.Purl == b.Purl && sameTime(a.Created, b.Created)
}

func wantWatches(t *testing.T, what string, got, want []store.Watch) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d watches %+v, want %d %+v", what, len(got), got, len(want), want)
	}
	for i := range want {
		if !sameWatch(got[i], want[i]) {
			t.Fatalf("%s: watch %d\n got %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

func mustAddWatches(t *testing.T, s store.Store, ws ...store.Watch) {
	t.Helper()
	for _, w := range ws {
		if err := s.AddWatch(ctx(t), w); err != nil {
			t.Fatalf("AddWatch(%s <- %s): %v", w.Package, w.Upstream, err)
		}
	}
}

func testInitActorKey(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CompareAndSet", func(t *testing.T) {
		s := open(t)
		mustCreatePackages(t, s, "xz-utils")
		mustCreateActors(t, s, "curl")
		const first, second = "-----BEGIN PRIVATE KEY-----\nfirst\n-----END PRIVATE KEY-----\n", "second"

		got, err := s.InitActorKey(ctx(t), "xz-utils", first)
		noErr(t, "InitActorKey", err)
		wantStrings(t, "InitActorKey of a package without a key", []string{got}, []string{first})
		got, err = s.InitActorKey(ctx(t), "xz-utils", second)
		noErr(t, "InitActorKey again", err)
		wantStrings(t, "InitActorKey of a package with a key", []string{got}, []string{first})

		a, err := s.Actor(ctx(t), "xz-utils")
		noErr(t, "Actor", err)
		want := packageActor("xz-utils")
		want.RSAKeyPEM = first
		wantActor(t, a, want)

		// An actor created with a key keeps it.
		got, err = s.InitActorKey(ctx(t), "curl", second)
		noErr(t, "InitActorKey of a project", err)
		wantStrings(t, "InitActorKey of a project", []string{got}, []string{testActor("curl").RSAKeyPEM})
		a, err = s.Actor(ctx(t), "curl")
		noErr(t, "Actor", err)
		wantActor(t, a, testActor("curl"))

		_, err = s.InitActorKey(ctx(t), "nobody", first)
		wantErr(t, "InitActorKey of a missing actor", err, store.ErrNotFound)
		_, err = s.Actor(ctx(t), "nobody")
		wantErr(t, "Actor after InitActorKey of a missing actor", err, store.ErrNotFound)
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		mustCreatePackages(t, s, "zstd")
		const workers = 8
		got := make([]string, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				k, err := s.InitActorKey(ctx(t), "zstd", fmt.Sprintf("key-%d", w))
				if err != nil {
					t.Errorf("InitActorKey: %v", err)
				}
				got[w] = k
			})
		}
		wg.Wait()
		a, err := s.Actor(ctx(t), "zstd")
		noErr(t, "Actor", err)
		for w, k := range got {
			if k != a.RSAKeyPEM || k == "" {
				t.Fatalf("worker %d got key %q, the actor has %q: every replica must agree on one key", w, k, a.RSAKeyPEM)
			}
		}
	})
}

func testWatches(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("UpstreamRoundTrip", func(t *testing.T) {
		s := open(t)
		_, err := s.Upstream(ctx(t), testUpstream("xz").Actor)
		wantErr(t, "Upstream of an empty store", err, store.ErrNotFound)

		full := testUpstream("xz")
		// Nothing read yet: no genesis, no stewards, never synced.
		bare := store.Upstream{Actor: "https://bare.example/p", Name: "p", Inbox: "https://bare.example/p/inbox",
			Follow: store.FollowPending, Created: when}
		mustPutUpstreams(t, s, full, bare)
		for _, want := range []store.Upstream{full, bare} {
			got, err := s.Upstream(ctx(t), want.Actor)
			noErr(t, "Upstream", err)
			wantUpstream(t, "Upstream("+want.Actor+")", got, want)
		}
		got, err := s.Upstream(ctx(t), bare.Actor)
		noErr(t, "Upstream", err)
		if !got.Synced.IsZero() || !got.Genesis.Since.IsZero() || len(got.Genesis.Keys) != 0 || len(got.Stewards) != 0 {
			t.Fatalf("bare upstream came back with %+v", got)
		}
		for _, actor := range []string{full.Actor + "/", "https://xz.example", full.Name, ""} {
			_, err := s.Upstream(ctx(t), actor)
			wantErr(t, fmt.Sprintf("Upstream(%q)", actor), err, store.ErrNotFound)
		}
	})

	t.Run("PutUpstreamReplaces", func(t *testing.T) {
		s := open(t)
		mustCreatePackages(t, s, "xz-utils")
		first, other := testUpstream("xz"), testUpstream("zlib")
		mustPutUpstreams(t, s, first, other)
		w := store.Watch{Package: "xz-utils", Upstream: first.Actor, Purl: "pkg:deb/debian/xz-utils", Created: when}
		mustAddWatches(t, s, w)

		again := first
		again.Name = "xz-renamed"
		again.Inbox += "2"
		again.SharedInbox = ""
		again.Outbox += "2"
		again.ProofKey = "z6MkOther"
		again.Genesis = bnotice.Genesis{Project: "xz", Maintainers: []string{"https://xz.example/lasse"},
			Keys: []bnotice.SigningKey{first.Genesis.Keys[0]}, Since: when.Add(time.Second)}
		again.Stewards = []store.Steward{{ID: "https://xz.example/stewards/cy", Since: when}}
		again.FollowID = ""
		again.Follow = store.FollowNone
		again.Synced = when.Add(2 * time.Hour)
		again.Created = when.Add(time.Minute)
		mustPutUpstreams(t, s, again)

		got, err := s.Upstream(ctx(t), first.Actor)
		noErr(t, "Upstream", err)
		wantUpstream(t, "after replacing", got, again)
		got, err = s.Upstream(ctx(t), other.Actor)
		noErr(t, "Upstream", err)
		wantUpstream(t, "the other upstream", got, other)
		list, err := s.ListUpstreams(ctx(t))
		noErr(t, "ListUpstreams", err)
		wantUpstreams(t, "ListUpstreams after replacing", list, []store.Upstream{again, other})

		// Replacing an upstream keeps the watches of it.
		got2, err := s.Watch(ctx(t), "xz-utils")
		noErr(t, "Watch after PutUpstream", err)
		wantWatches(t, "watch after PutUpstream", []store.Watch{got2}, []store.Watch{w})

		// Stewards can all go.
		again.Stewards = nil
		mustPutUpstreams(t, s, again)
		got, err = s.Upstream(ctx(t), first.Actor)
		noErr(t, "Upstream", err)
		wantUpstream(t, "after the stewards went", got, again)
	})

	t.Run("ListUpstreamsInActorOrder", func(t *testing.T) {
		s := open(t)
		list, err := s.ListUpstreams(ctx(t))
		noErr(t, "ListUpstreams(empty)", err)
		wantUpstreams(t, "ListUpstreams of an empty store", list, nil)
		byName := map[string]store.Upstream{}
		for _, name := range []string{"zstd", "curl", "openssl", "bash"} {
			byName[name] = testUpstream(name)
			mustPutUpstreams(t, s, byName[name])
		}
		list, err = s.ListUpstreams(ctx(t))
		noErr(t, "ListUpstreams", err)
		wantUpstreams(t, "ListUpstreams", list, []store.Upstream{byName["bash"], byName["curl"], byName["openssl"], byName["zstd"]})
	})

	t.Run("AddWatch", func(t *testing.T) {
		s := open(t)
		mustCreatePackages(t, s, "xz-utils", "liblzma5", "zlib1g", "curl")
		xz, zlib := testUpstream("xz"), testUpstream("zlib")
		mustPutUpstreams(t, s, xz, zlib)

		_, err := s.Watch(ctx(t), "xz-utils")
		wantErr(t, "Watch before AddWatch", err, store.ErrNotFound)

		// Added out of package order, each a different time, one without a purl.
		ws := []store.Watch{
			{Package: "zlib1g", Upstream: zlib.Actor, Purl: "pkg:deb/debian/zlib1g?arch=amd64", Created: when},
			{Package: "xz-utils", Upstream: xz.Actor, Purl: "pkg:deb/debian/xz-utils", Created: when.Add(time.Second)},
			{Package: "liblzma5", Upstream: xz.Actor, Created: when.Add(-time.Nanosecond)},
		}
		mustAddWatches(t, s, ws...)
		for _, want := range ws {
			got, err := s.Watch(ctx(t), want.Package)
			noErr(t, "Watch", err)
			wantWatches(t, "Watch("+want.Package+")", []store.Watch{got}, []store.Watch{want})
		}

		// A package comes from one upstream: a second watch fails and changes nothing.
		twice := ws[1]
		twice.Upstream, twice.Purl = zlib.Actor, "pkg:deb/debian/other"
		wantErr(t, "AddWatch of a watched package", s.AddWatch(ctx(t), twice), store.ErrExists)
		wantErr(t, "AddWatch of the same watch", s.AddWatch(ctx(t), ws[1]), store.ErrExists)
		got, err := s.Watch(ctx(t), "xz-utils")
		noErr(t, "Watch", err)
		wantWatches(t, "Watch after a second AddWatch", []store.Watch{got}, []store.Watch{ws[1]})

		// No watch without its upstream stored, nor without its package actor.
		if err := s.AddWatch(ctx(t), store.Watch{Package: "curl", Upstream: "https://curl.example/curl", Created: when}); err == nil {
			t.Fatalf("AddWatch of an upstream not stored succeeded")
		}
		_, err = s.Watch(ctx(t), "curl")
		wantErr(t, "Watch after AddWatch of an upstream not stored", err, store.ErrNotFound)
		if err := s.AddWatch(ctx(t), store.Watch{Package: "nobody", Upstream: xz.Actor, Created: when}); err == nil {
			t.Fatalf("AddWatch of a package without an actor succeeded")
		}
		_, err = s.Watch(ctx(t), "nobody")
		wantErr(t, "Watch after AddWatch of a package without an actor", err, store.ErrNotFound)

		list, err := s.ListWatches(ctx(t))
		noErr(t, "ListWatches", err)
		wantWatches(t, "ListWatches", list, []store.Watch{ws[2], ws[1], ws[0]})
		of, err := s.WatchesOf(ctx(t), xz.Actor)
		noErr(t, "WatchesOf(xz)", err)
		wantWatches(t, "WatchesOf(xz)", of, []store.Watch{ws[2], ws[1]})
		of, err = s.WatchesOf(ctx(t), zlib.Actor)
		noErr(t, "WatchesOf(zlib)", err)
		wantWatches(t, "WatchesOf(zlib)", of, []store.Watch{ws[0]})
		of, err = s.WatchesOf(ctx(t), "https://nowhere.example/p")
		noErr(t, "WatchesOf(unknown)", err)
		wantWatches(t, "WatchesOf(unknown)", of, nil)
	})

	t.Run("RemoveWatch", func(t *testing.T) {
		s := open(t)
		mustCreatePackages(t, s, "xz-utils", "liblzma5")
		xz := testUpstream("xz")
		mustPutUpstreams(t, s, xz)
		a := store.Watch{Package: "xz-utils", Upstream: xz.Actor, Purl: "pkg:deb/debian/xz-utils", Created: when}
		b := store.Watch{Package: "liblzma5", Upstream: xz.Actor, Created: when}
		mustAddWatches(t, s, a, b)

		noErr(t, "RemoveWatch", s.RemoveWatch(ctx(t), "xz-utils"))
		_, err := s.Watch(ctx(t), "xz-utils")
		wantErr(t, "Watch after RemoveWatch", err, store.ErrNotFound)
		wantErr(t, "RemoveWatch twice", s.RemoveWatch(ctx(t), "xz-utils"), store.ErrNotFound)
		wantErr(t, "RemoveWatch of a package never watched", s.RemoveWatch(ctx(t), "nobody"), store.ErrNotFound)
		list, err := s.ListWatches(ctx(t))
		noErr(t, "ListWatches", err)
		wantWatches(t, "ListWatches after RemoveWatch", list, []store.Watch{b})
		of, err := s.WatchesOf(ctx(t), xz.Actor)
		noErr(t, "WatchesOf", err)
		wantWatches(t, "WatchesOf after RemoveWatch", of, []store.Watch{b})

		// The package actor and the upstream stay.
		act, err := s.Actor(ctx(t), "xz-utils")
		noErr(t, "Actor after RemoveWatch", err)
		wantActor(t, act, packageActor("xz-utils"))
		u, err := s.Upstream(ctx(t), xz.Actor)
		noErr(t, "Upstream after RemoveWatch", err)
		wantUpstream(t, "Upstream after RemoveWatch", u, xz)

		// The package can be watched again.
		a.Created = when.Add(time.Hour)
		mustAddWatches(t, s, a)
		got, err := s.Watch(ctx(t), "xz-utils")
		noErr(t, "Watch after watching again", err)
		wantWatches(t, "Watch after watching again", []store.Watch{got}, []store.Watch{a})
	})
}

// mirrored makes an upstream's notice with a statement signed by two people, the second proof dated
// when the notice was published (zero Created).
func mirrored(u store.Upstream, n int, published time.Time) store.MirroredNotice {
	id := fmt.Sprintf("%s/notices/%d", u.Actor, n)
	return store.MirroredNotice{
		ID:       id,
		Upstream: u.Actor,
		Kind:     "release",
		Document: []byte(fmt.Sprintf(`{"id":%q,"content":"5.6.%d \u2014 naïve","proof":[{"proofValue":"z3x\u0000"}]}`, id, n)),
		Proofs: []bnotice.Proof{
			{Person: u.Genesis.Maintainers[0], Key: "SHA256:first", Created: published.Add(-time.Minute)},
			{Person: u.Genesis.Maintainers[1], Key: "SHA256:second"},
		},
		Published: published,
		Received:  published.Add(time.Second),
	}
}

func sameMirrored(a, b store.MirroredNotice) bool {
	if a.ID != b.ID || a.Upstream != b.Upstream || a.Kind != b.Kind || !bytes.Equal(a.Document, b.Document) ||
		!sameTime(a.Published, b.Published) || !sameTime(a.Received, b.Received) || len(a.Proofs) != len(b.Proofs) {
		return false
	}
	for i := range a.Proofs {
		if a.Proofs[i].Person != b.Proofs[i].Person || a.Proofs[i].Key != b.Proofs[i].Key ||
			!sameTime(a.Proofs[i].Created, b.Proofs[i].Created) {
			return false
		}
	}
	return true
}

func wantMirrored(t *testing.T, what string, got, want []store.MirroredNotice) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d notices %v, want %d %v", what, len(got), mirroredIDs(got), len(want), mirroredIDs(want))
	}
	for i := range want {
		if !sameMirrored(got[i], want[i]) {
			t.Fatalf("%s: notice %d\n got %+v (document %q)\nwant %+v (document %q)", what, i, got[i], got[i].Document, want[i], want[i].Document)
		}
	}
}

func mirroredIDs(ns []store.MirroredNotice) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

func wantMirroredNotice(t *testing.T, s store.Store, want store.MirroredNotice) {
	t.Helper()
	got, err := s.MirroredNotice(ctx(t), want.ID)
	noErr(t, "MirroredNotice("+want.ID+")", err)
	wantMirrored(t, "MirroredNotice("+want.ID+")", []store.MirroredNotice{got}, []store.MirroredNotice{want})
}

// announcement makes the activity a package sends its followers about n.
func announcement(pkg string, n store.MirroredNotice) store.Announcement {
	return store.Announcement{Package: pkg, Activity: store.Activity{
		ID:     fmt.Sprintf("https://distro.example/%s/announce/%s", pkg, n.ID),
		Signer: pkg,
		Body:   []byte(fmt.Sprintf(`{"type":"Announce","actor":"https://distro.example/%s","object":%q}`, pkg, n.ID)),
	}}
}

func mirror(t *testing.T, s store.Store, n store.MirroredNotice, as []store.Announcement, wantAdded bool, wantQueued int) {
	t.Helper()
	added, queued, err := s.MirrorNotice(ctx(t), n, as)
	noErr(t, "MirrorNotice("+n.ID+")", err)
	if added != wantAdded {
		t.Fatalf("MirrorNotice(%s) added = %v, want %v", n.ID, added, wantAdded)
	}
	wantInt(t, "MirrorNotice("+n.ID+") queued", queued, wantQueued)
}

// wantDeliveries claims everything due and checks that each inbox got exactly the activities listed
// for it, each once.
func wantDeliveries(t *testing.T, s store.Store, what string, want map[string][]store.Activity) {
	t.Helper()
	ds := claim(t, s, time.Now().Add(time.Second), 1000, time.Minute)
	got := map[string][]store.Activity{}
	for _, d := range ds {
		got[d.Inbox] = append(got[d.Inbox], d.Activity)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: delivered to %q, want %d inboxes", what, sortedInboxes(ds), len(want))
	}
	for inbox, as := range want {
		g := got[inbox]
		if len(g) != len(as) {
			t.Fatalf("%s: %d deliveries to %s, want %d", what, len(g), inbox, len(as))
		}
		for _, a := range as {
			found := 0
			for _, ga := range g {
				if sameActivity(ga, a) {
					found++
				}
			}
			if found != 1 {
				t.Fatalf("%s: %s got %+v, want %s once", what, inbox, g, a.ID)
			}
		}
	}
}

func testMirror(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("QueuesEachInboxOnce", func(t *testing.T) {
		s := open(t)
		mustCreatePackages(t, s, "xz-utils", "curl")
		xz := testUpstream("xz")
		mustPutUpstreams(t, s, xz)
		mustAddWatches(t, s, store.Watch{Package: "xz-utils", Upstream: xz.Actor, Created: when})
		shared := "https://packagers.example/inbox"
		mustAddFollowers(t, s,
			store.Follower{Local: "xz-utils", Actor: "https://packagers.example/users/a", Inbox: "https://packagers.example/users/a/inbox",
				SharedInbox: shared, FollowID: "https://packagers.example/f/a", Created: when},
			store.Follower{Local: "xz-utils", Actor: "https://packagers.example/users/b", Inbox: "https://packagers.example/users/b/inbox",
				SharedInbox: shared, FollowID: "https://packagers.example/f/b", Created: when},
			follower("xz-utils", 1, false),
			follower("xz-utils", 2, true),
			follower("curl", 3, true), // follows another package: gets nothing
		)

		n := mirrored(xz, 1, when)
		a := announcement("xz-utils", n)
		mirror(t, s, n, []store.Announcement{a}, true, 3)
		wantDepth(t, s, 3)
		wantMirroredNotice(t, s, n)

		// The same notice again (another copy arrived): nothing new stored, nothing queued.
		dup := n
		dup.Document = []byte(`{"other":"copy"}`)
		dup.Proofs = nil
		dup.Received = when.Add(time.Hour)
		mirror(t, s, dup, []store.Announcement{announcement("xz-utils", dup), announcement("curl", dup)}, false, 0)
		wantDepth(t, s, 3)
		wantMirroredNotice(t, s, n)
		list, err := s.MirroredNotices(ctx(t), xz.Actor)
		noErr(t, "MirroredNotices", err)
		wantMirrored(t, "MirroredNotices after a duplicate", list, []store.MirroredNotice{n})

		wantDeliveries(t, s, "announcing to xz-utils' followers", map[string][]store.Activity{
			shared:                            {a.Activity},
			follower("", 1, false).Inbox:      {a.Activity},
			follower("", 2, true).SharedInbox: {a.Activity},
		})
	})

	t.Run("TwoPackages", func(t *testing.T) {
		s := open(t)
		mustCreatePackages(t, s, "xz-utils", "liblzma5", "zlib1g")
		xz := testUpstream("xz")
		mustPutUpstreams(t, s, xz)
		mustAddWatches(t, s,
			store.Watch{Package: "xz-utils", Upstream: xz.Actor, Created: when},
			store.Watch{Package: "liblzma5", Upstream: xz.Actor, Created: when})
		// Instance 1 follows both packages (through one shared inbox), instance 2 only xz-utils,
		// instance 3 only liblzma5.
		mustAddFollowers(t, s,
			follower("xz-utils", 1, true), follower("liblzma5", 1, true),
			follower("xz-utils", 2, false),
			follower("liblzma5", 3, true),
			follower("zlib1g", 4, true))

		n := mirrored(xz, 1, when)
		a, b := announcement("xz-utils", n), announcement("liblzma5", n)
		mirror(t, s, n, []store.Announcement{a, b}, true, 4)
		wantDepth(t, s, 4)
		wantDeliveries(t, s, "announcing to two packages' followers", map[string][]store.Activity{
			follower("", 1, true).SharedInbox: {a.Activity, b.Activity},
			follower("", 2, false).Inbox:      {a.Activity},
			follower("", 3, true).SharedInbox: {b.Activity},
		})

		// A package nobody follows yet: the notice is stored, nothing queued.
		m := mirrored(xz, 2, when.Add(time.Hour))
		mirror(t, s, m, []store.Announcement{announcement("xz-utils-doc", m)}, true, 0)
		// No announcement at all (no package watches it any more).
		o := mirrored(xz, 3, when.Add(2*time.Hour))
		mirror(t, s, o, nil, true, 0)
		wantDepth(t, s, 4)
		wantMirroredNotice(t, s, m)
		wantMirroredNotice(t, s, o)
	})

	t.Run("UpdateMirrored", func(t *testing.T) {
		s := open(t)
		xz := testUpstream("xz")
		mustPutUpstreams(t, s, xz)
		n, other := mirrored(xz, 1, when), mirrored(xz, 2, when.Add(time.Minute))
		mirror(t, s, n, nil, true, 0)
		mirror(t, s, other, nil, true, 0)

		endorsed := n
		endorsed.Document = []byte(`{"id":"` + n.ID + `","proof":[{"proofValue":"z1"},{"proofValue":"z2"}]}`)
		endorsed.Proofs = append(append([]bnotice.Proof{}, n.Proofs...),
			bnotice.Proof{Person: "https://xz.example/stewards/ann", Key: "SHA256:steward", Created: when.Add(time.Hour)})
		noErr(t, "UpdateMirrored", s.UpdateMirrored(ctx(t), n.ID, endorsed.Document, endorsed.Proofs))
		wantMirroredNotice(t, s, endorsed)
		wantMirroredNotice(t, s, other)

		// Proofs can go too (a key was found revoked).
		bare := endorsed
		bare.Proofs = nil
		noErr(t, "UpdateMirrored without proofs", s.UpdateMirrored(ctx(t), n.ID, bare.Document, nil))
		wantMirroredNotice(t, s, bare)

		wantErr(t, "UpdateMirrored of an unknown notice",
			s.UpdateMirrored(ctx(t), xz.Actor+"/notices/99", endorsed.Document, endorsed.Proofs), store.ErrNotFound)
		wantDepth(t, s, 0)
	})

	t.Run("ListInPublishedOrder", func(t *testing.T) {
		s := open(t)
		xz, zlib := testUpstream("xz"), testUpstream("zlib")
		mustPutUpstreams(t, s, xz, zlib)
		_, err := s.MirroredNotice(ctx(t), xz.Actor+"/notices/1")
		wantErr(t, "MirroredNotice of an empty store", err, store.ErrNotFound)

		// Received out of the order published; two published at the same instant (in the order received
		// then: 4 before 2).
		n1 := mirrored(xz, 1, when)
		n2 := mirrored(xz, 2, when.Add(time.Hour))
		n3 := mirrored(xz, 3, when.Add(-time.Hour))
		n4 := mirrored(xz, 4, when.Add(time.Hour))
		n5 := mirrored(xz, 5, when.Add(time.Nanosecond))
		n5.Kind = "handover"
		n5.Proofs = nil // no statement
		z1 := mirrored(zlib, 1, when.Add(-2*time.Hour))
		for _, n := range []store.MirroredNotice{n1, z1, n4, n3, n2, n5} {
			mirror(t, s, n, nil, true, 0)
		}
		list, err := s.MirroredNotices(ctx(t), xz.Actor)
		noErr(t, "MirroredNotices(xz)", err)
		wantMirrored(t, "MirroredNotices(xz)", list, []store.MirroredNotice{n3, n1, n5, n4, n2})
		list, err = s.MirroredNotices(ctx(t), zlib.Actor)
		noErr(t, "MirroredNotices(zlib)", err)
		wantMirrored(t, "MirroredNotices(zlib)", list, []store.MirroredNotice{z1})
		list, err = s.MirroredNotices(ctx(t), "https://nowhere.example/p")
		noErr(t, "MirroredNotices(unknown)", err)
		wantMirrored(t, "MirroredNotices(unknown)", list, nil)

		for _, n := range []store.MirroredNotice{n1, n2, n3, n4, n5, z1} {
			wantMirroredNotice(t, s, n)
		}
		got, err := s.MirroredNotice(ctx(t), n1.ID)
		noErr(t, "MirroredNotice", err)
		if !got.Proofs[1].Created.IsZero() {
			t.Fatalf("a proof dated when the notice was published came back dated %v", got.Proofs[1].Created)
		}
		for _, id := range []string{n1.ID + "0", xz.Actor, ""} {
			_, err := s.MirroredNotice(ctx(t), id)
			wantErr(t, fmt.Sprintf("MirroredNotice(%q)", id), err, store.ErrNotFound)
		}
	})
}
