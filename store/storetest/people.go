package storetest

import (
	"bytes"
	"testing"
	"time"

	"baton/store"
)

func testKeys(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	mustCreateActors(t, s, "lasse", "jia")
	first := store.PersonKey{Person: "lasse", Fingerprint: "SHA256:first", PublicKey: seed(1), Added: when}
	second := store.PersonKey{Person: "lasse", Fingerprint: "SHA256:second", PublicKey: seed(2), Added: when.Add(time.Hour)}
	jias := store.PersonKey{Person: "jia", Fingerprint: "SHA256:first", PublicKey: seed(1), Added: when} // the same key, another person
	for _, k := range []store.PersonKey{first, second, jias} {
		noErr(t, "AddKey "+k.Person+" "+k.Fingerprint, s.AddKey(ctx(t), k))
	}
	wantErr(t, "AddKey twice", s.AddKey(ctx(t), first), store.ErrExists)

	wantKeys := func(what, person string, want ...store.PersonKey) {
		t.Helper()
		got, err := s.PersonKeys(ctx(t), person)
		noErr(t, "PersonKeys", err)
		if len(got) != len(want) {
			t.Fatalf("%s: %d keys, want %d", what, len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Person != w.Person || g.Fingerprint != w.Fingerprint || !bytes.Equal(g.PublicKey, w.PublicKey) ||
				!g.Added.Equal(w.Added) || !g.Revoked.Equal(w.Revoked) || g.Revoked.IsZero() != w.Revoked.IsZero() {
				t.Fatalf("%s: key %d = %+v, want %+v", what, i, g, w)
			}
		}
	}
	wantKeys("lasse's keys", "lasse", first, second)
	wantKeys("nobody's keys", "nobody")

	revokedAt := when.Add(48 * time.Hour)
	noErr(t, "RevokeKey", s.RevokeKey(ctx(t), "lasse", "SHA256:first", revokedAt))
	first.Revoked = revokedAt
	wantKeys("after revoking", "lasse", first, second)
	wantKeys("another person's copy of the key is untouched", "jia", jias)
	wantErr(t, "RevokeKey twice", s.RevokeKey(ctx(t), "lasse", "SHA256:first", revokedAt), store.ErrNotFound)
	wantErr(t, "RevokeKey unknown", s.RevokeKey(ctx(t), "lasse", "SHA256:none", revokedAt), store.ErrNotFound)
}

func testRoles(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	mustCreateActors(t, s, "xz", "lasse", "jia", "steward1")
	roles := []store.Role{
		{Person: "lasse", Project: "xz", Since: when},
		{Person: "steward1", Since: when.Add(time.Hour)},
		{Person: "jia", Project: "xz", Since: when.Add(2 * time.Hour)},
	}
	for _, r := range roles {
		noErr(t, "AddRole", s.AddRole(ctx(t), r))
	}
	wantErr(t, "AddRole twice", s.AddRole(ctx(t), roles[0]), store.ErrExists)
	wantRoles := func(what, project string, want ...store.Role) {
		t.Helper()
		got, err := s.RoleHolders(ctx(t), project)
		noErr(t, "RoleHolders", err)
		if len(got) != len(want) {
			t.Fatalf("%s: %d roles, want %d", what, len(got), len(want))
		}
		for i := range want {
			if got[i].Person != want[i].Person || got[i].Project != want[i].Project || !got[i].Since.Equal(want[i].Since) {
				t.Fatalf("%s: role %d = %+v, want %+v", what, i, got[i], want[i])
			}
		}
	}
	wantRoles("xz's maintainers, in the order granted", "xz", roles[0], roles[2])
	wantRoles("the stewards", "", roles[1])
	wantRoles("another project", "zlib")
}
