package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	bnotice "baton/notice"
	"baton/store"
)

// Fingerprints of release-signing keys, as notices name them.
const (
	pgpLasse = "3690C240CE51B4670D30AD1C38EE757D69184620"
	pgpJia   = "22D465F2B4C173803B20C6DE59FCF207FEA7F445"
	sshJia   = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"
)

func pgpKey(fp, holder string) bnotice.SigningKey {
	return bnotice.SigningKey{Fingerprint: fp, Type: bnotice.OpenPGP, Holder: holder}
}

func sshKey(fp, holder string) bnotice.SigningKey {
	return bnotice.SigningKey{Fingerprint: fp, Type: bnotice.SSH, Holder: holder}
}

// foundedProject is a project that came with its history: its record starts long before it joined,
// with keys already in use.
func foundedProject(name string) store.Actor {
	a := testActor(name)
	a.RecordSince = when.AddDate(-16, 0, 0).Add(-987654321)
	a.SigningKeys = []bnotice.SigningKey{pgpKey(pgpLasse, "lasse"), sshKey(sshJia, "")}
	return a
}

// wantGenesisKeys checks a project's genesis keys, in order, as Actor and ListActors read them.
func wantGenesisKeys(t *testing.T, s store.Store, project string, want ...bnotice.SigningKey) {
	t.Helper()
	a, err := s.Actor(ctx(t), project)
	noErr(t, "Actor", err)
	list, err := s.ListActors(ctx(t))
	noErr(t, "ListActors", err)
	i := slices.IndexFunc(list, func(l store.Actor) bool { return l.Name == project })
	if i < 0 {
		t.Fatalf("ListActors does not list %q", project)
	}
	for _, got := range [][]bnotice.SigningKey{a.SigningKeys, list[i].SigningKeys} {
		if !slices.Equal(got, want) {
			t.Fatalf("genesis keys of %q = %+v, want %+v", project, got, want)
		}
	}
}

func testGenesis(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testGenesisRoundTrip(t, open(t)) })
	t.Run("AddKeys", func(t *testing.T) { testAddGenesisKeys(t, open(t)) })
	t.Run("OnlyProjects", func(t *testing.T) { testGenesisOnlyProjects(t, open(t)) })
	t.Run("RefusedOncePublished", func(t *testing.T) { testGenesisOncePublished(t, open(t)) })
	t.Run("ConcurrentAdds", func(t *testing.T) { testConcurrentGenesisKeys(t, open(t)) })
}

func testGenesisRoundTrip(t *testing.T, s store.Store) {
	founded, plain := foundedProject("xz"), testActor("curl")
	noErr(t, "CreateActor", s.CreateActor(ctx(t), founded))
	noErr(t, "CreateActor", s.CreateActor(ctx(t), plain))
	got, err := s.Actor(ctx(t), "xz")
	noErr(t, "Actor", err)
	wantActor(t, got, founded)
	if !got.RecordStart().Equal(founded.RecordSince) || got.RecordStart().UnixNano() != founded.RecordSince.UnixNano() {
		t.Fatalf("RecordStart = %v, want RecordSince %v", got.RecordStart(), founded.RecordSince)
	}
	got, err = s.Actor(ctx(t), "curl")
	noErr(t, "Actor", err)
	wantActor(t, got, plain)
	if !got.RecordSince.IsZero() || len(got.SigningKeys) != 0 || !got.RecordStart().Equal(plain.Created) {
		t.Fatalf("an actor created without a genesis reads back with RecordSince %v, keys %v, RecordStart %v",
			got.RecordSince, got.SigningKeys, got.RecordStart())
	}
	list, err := s.ListActors(ctx(t))
	noErr(t, "ListActors", err)
	wantInt(t, "len(ListActors)", len(list), 2)
	wantActor(t, list[0], plain)
	wantActor(t, list[1], founded)
}

func testAddGenesisKeys(t *testing.T, s store.Store) {
	a := testActor("xz")
	a.SigningKeys = []bnotice.SigningKey{pgpKey(pgpLasse, "lasse")}
	noErr(t, "CreateActor", s.CreateActor(ctx(t), a))
	// A base64 fingerprint in other case is another key; a hex one is the same.
	otherCase := "SHA256:" + swapCase(strings.TrimPrefix(sshJia, "SHA256:"))
	noErr(t, "AddGenesisKeys", s.AddGenesisKeys(ctx(t), "xz", []bnotice.SigningKey{
		pgpKey(strings.ToLower(pgpLasse), "someone else"), sshKey(sshJia, "jia"), sshKey(sshJia, "named twice"),
		sshKey(otherCase, "jia"),
	}))
	wantGenesisKeys(t, s, "xz", pgpKey(pgpLasse, "lasse"), sshKey(sshJia, "jia"), sshKey(otherCase, "jia"))
	noErr(t, "AddGenesisKeys of none", s.AddGenesisKeys(ctx(t), "xz", nil))
	noErr(t, "AddGenesisKeys", s.AddGenesisKeys(ctx(t), "xz", []bnotice.SigningKey{pgpKey(pgpJia, "jia")}))
	wantGenesisKeys(t, s, "xz", pgpKey(pgpLasse, "lasse"), sshKey(sshJia, "jia"), sshKey(otherCase, "jia"), pgpKey(pgpJia, "jia"))

	mustCreateActors(t, s, "curl") // a project without keys of its own
	noErr(t, "AddGenesisKeys", s.AddGenesisKeys(ctx(t), "curl", []bnotice.SigningKey{pgpKey(pgpJia, "")}))
	wantGenesisKeys(t, s, "curl", pgpKey(pgpJia, ""))
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		case 'A' <= r && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}

func testGenesisOnlyProjects(t *testing.T, s store.Store) {
	mustCreatePackages(t, s, "xz-utils")
	person := store.Actor{Name: "lasse", Kind: store.KindPerson, RSAKeyPEM: "PEM", Created: when}
	noErr(t, "CreateActor", s.CreateActor(ctx(t), person))
	for _, name := range []string{"nobody", "lasse", "xz-utils"} {
		err := s.AddGenesisKeys(ctx(t), name, []bnotice.SigningKey{pgpKey(pgpLasse, "")})
		wantErr(t, fmt.Sprintf("AddGenesisKeys(%q)", name), err, store.ErrNotFound)
	}
	wantGenesisKeys(t, s, "lasse")
	wantGenesisKeys(t, s, "xz-utils")
	if _, err := s.Actor(ctx(t), "nobody"); err == nil {
		t.Fatal("AddGenesisKeys of no actor made one")
	}
}

func testGenesisOncePublished(t *testing.T, s store.Store) {
	mustCreateActors(t, s, "xz", "curl")
	noErr(t, "AddGenesisKeys", s.AddGenesisKeys(ctx(t), "xz", []bnotice.SigningKey{pgpKey(pgpLasse, "lasse")}))
	publish(t, s, notice(t, s, "xz", false), 0) // a notice for stewards only counts too
	err := s.AddGenesisKeys(ctx(t), "xz", []bnotice.SigningKey{pgpKey(pgpJia, "jia")})
	wantErr(t, "AddGenesisKeys after the first notice", err, store.ErrConflict)
	wantGenesisKeys(t, s, "xz", pgpKey(pgpLasse, "lasse"))
	// Another project's notice holds nothing back.
	noErr(t, "AddGenesisKeys of another project", s.AddGenesisKeys(ctx(t), "curl", []bnotice.SigningKey{pgpKey(pgpJia, "jia")}))
	wantGenesisKeys(t, s, "curl", pgpKey(pgpJia, "jia"))
}

// testConcurrentGenesisKeys has adders add a key each, and one they share, at once: none is lost, and
// the shared one is there once.
func testConcurrentGenesisKeys(t *testing.T, s store.Store) {
	mustCreateActors(t, s, "xz")
	const adders = 8
	var done sync.WaitGroup
	for i := range adders {
		done.Go(func() {
			keys := []bnotice.SigningKey{pgpKey(fmt.Sprintf("%040X", i+1), ""), pgpKey(pgpLasse, "")}
			if err := s.AddGenesisKeys(ctx(t), "xz", keys); err != nil {
				t.Errorf("AddGenesisKeys by adder %d: %v", i, err)
			}
		})
	}
	done.Wait()
	a, err := s.Actor(ctx(t), "xz")
	noErr(t, "Actor", err)
	var got []string
	for _, k := range a.SigningKeys {
		got = append(got, k.Fingerprint)
	}
	want := []string{pgpLasse}
	for i := range adders {
		want = append(want, fmt.Sprintf("%040X", i+1))
	}
	slices.Sort(got)
	slices.Sort(want)
	wantStrings(t, "genesis keys after concurrent adds", got, want)
}
