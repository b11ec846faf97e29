package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"baton/store"
)

func testSettings(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("MissingIsNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Setting(ctx(t), "instance-key")
		wantErr(t, "Setting(missing)", err, store.ErrNotFound)
	})

	t.Run("FirstValueWins", func(t *testing.T) {
		s := open(t)
		first := []byte{0x00, 0x01, 0xfe, 0xff, 'k', 0x00}
		tests := []struct {
			key, value, want string
		}{
			{"instance-key", string(first), string(first)},
			{"instance-key", "second", string(first)},
			{"instance-key", string(first) + "longer", string(first)},
			{"admin-token", "hash-1", "hash-1"},
			{"admin-token", "hash-2", "hash-1"},
		}
		for i, tc := range tests {
			got, err := s.InitSetting(ctx(t), tc.key, []byte(tc.value))
			noErr(t, fmt.Sprintf("step %d: InitSetting(%q)", i, tc.key), err)
			if !bytes.Equal(got, []byte(tc.want)) {
				t.Fatalf("step %d: InitSetting(%q, %q) = %q, want %q", i, tc.key, tc.value, got, tc.want)
			}
		}
		for key, want := range map[string][]byte{"instance-key": first, "admin-token": []byte("hash-1")} {
			got, err := s.Setting(ctx(t), key)
			noErr(t, "Setting("+key+")", err)
			if !bytes.Equal(got, want) {
				t.Fatalf("Setting(%q) = %q, want %q", key, got, want)
			}
		}
		// The value handed in is the caller's: changing it afterwards changes nothing stored.
		first[0] = 'X'
		got, err := s.Setting(ctx(t), "instance-key")
		noErr(t, "Setting", err)
		if got[0] != 0x00 {
			t.Fatalf("Setting changed with the caller's slice: %q", got)
		}
	})

	t.Run("PutReplaces", func(t *testing.T) {
		s := open(t)
		noErr(t, "PutSetting of a new key", s.PutSetting(ctx(t), "admin-token", []byte("hash-1")))
		_, err := s.InitSetting(ctx(t), "admin-token", []byte("hash-init"))
		noErr(t, "InitSetting", err)
		value := []byte{0x00, 'h', 0xff}
		noErr(t, "PutSetting over a value", s.PutSetting(ctx(t), "admin-token", value))
		value[0] = 'X' // the caller's slice, not the stored value
		for _, tc := range []struct{ key, want string }{{"admin-token", "\x00h\xff"}, {"instance-key", ""}} {
			got, err := s.Setting(ctx(t), tc.key)
			if tc.want == "" {
				wantErr(t, "Setting of a key never put", err, store.ErrNotFound)
				continue
			}
			noErr(t, "Setting", err)
			if string(got) != tc.want {
				t.Fatalf("Setting(%q) = %q, want %q", tc.key, got, tc.want)
			}
		}
		keys, err := s.SettingKeys(ctx(t))
		noErr(t, "SettingKeys", err)
		if fmt.Sprint(keys) != "[admin-token]" {
			t.Fatalf("SettingKeys = %q, want one admin-token", keys)
		}
	})

	t.Run("DeleteRemovesOneKey", func(t *testing.T) {
		s := open(t)
		for _, key := range []string{"received-call b", "received-call a", "admin-token"} {
			noErr(t, "PutSetting", s.PutSetting(ctx(t), key, []byte(key)))
		}
		noErr(t, "DeleteSetting", s.DeleteSetting(ctx(t), "received-call a"))
		noErr(t, "DeleteSetting of a key not there", s.DeleteSetting(ctx(t), "received-call never"))
		_, err := s.Setting(ctx(t), "received-call a")
		wantErr(t, "Setting of a deleted key", err, store.ErrNotFound)
		keys, err := s.SettingKeys(ctx(t))
		noErr(t, "SettingKeys", err)
		if fmt.Sprint(keys) != "[admin-token received-call b]" {
			t.Fatalf("SettingKeys = %q, want admin-token and received-call b, sorted", keys)
		}
	})

	t.Run("ConcurrentInitAgrees", func(t *testing.T) {
		s := open(t)
		const n = 8
		results := make([][]byte, n)
		errs := make([]error, n)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i := range n {
			wg.Go(func() {
				start.Wait()
				results[i], errs[i] = s.InitSetting(ctx(t), "instance-key", []byte(fmt.Sprintf("key-of-replica-%d", i)))
			})
		}
		start.Done()
		wg.Wait()
		for i := range n {
			noErr(t, fmt.Sprintf("goroutine %d: InitSetting", i), errs[i])
		}
		stored, err := s.Setting(ctx(t), "instance-key")
		noErr(t, "Setting", err)
		valid := false
		for i := range n {
			valid = valid || string(stored) == fmt.Sprintf("key-of-replica-%d", i)
		}
		if !valid {
			t.Fatalf("stored value %q is none of the values offered", stored)
		}
		for i := range n {
			if !bytes.Equal(results[i], stored) {
				t.Errorf("goroutine %d got %q, stored value is %q", i, results[i], stored)
			}
		}
	})
}

func testActors(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		want := testActor("xz")
		noErr(t, "CreateActor", s.CreateActor(ctx(t), want))
		got, err := s.Actor(ctx(t), "xz")
		noErr(t, "Actor", err)
		wantActor(t, got, want)
		if len(got.Ed25519Seed) != 32 {
			t.Fatalf("Ed25519Seed has %d bytes, want 32", len(got.Ed25519Seed))
		}
		if got.Created.UnixNano() != when.UnixNano() {
			t.Fatalf("Created = %v, want %v", got.Created, when)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		mustCreateActors(t, s, "xz")
		for _, name := range []string{"curl", "XZ", "x", ""} {
			_, err := s.Actor(ctx(t), name)
			wantErr(t, fmt.Sprintf("Actor(%q)", name), err, store.ErrNotFound)
		}
	})

	t.Run("CreateTwice", func(t *testing.T) {
		s := open(t)
		first := testActor("xz")
		noErr(t, "CreateActor", s.CreateActor(ctx(t), first))
		second := testActor("xz")
		second.DisplayName = "Impostor"
		second.Ed25519Seed = seed(99)
		wantErr(t, "second CreateActor", s.CreateActor(ctx(t), second), store.ErrExists)
		got, err := s.Actor(ctx(t), "xz")
		noErr(t, "Actor", err)
		wantActor(t, got, first)
		list, err := s.ListActors(ctx(t))
		noErr(t, "ListActors", err)
		wantInt(t, "len(ListActors)", len(list), 1)
	})

	t.Run("ListInNameOrder", func(t *testing.T) {
		s := open(t)
		list, err := s.ListActors(ctx(t))
		noErr(t, "ListActors(empty)", err)
		wantInt(t, "len(ListActors) of an empty store", len(list), 0)

		names := []string{"zstd", "curl", "openssl", "bash", "xz"}
		var created []store.Actor
		for i, name := range names {
			a := testActor(name)
			a.Created = when.Add(time.Duration(i) * time.Hour)
			noErr(t, "CreateActor", s.CreateActor(ctx(t), a))
			created = append(created, a)
		}
		byName := map[string]store.Actor{}
		for _, a := range created {
			byName[a.Name] = a
		}
		list, err = s.ListActors(ctx(t))
		noErr(t, "ListActors", err)
		wantOrder := []string{"bash", "curl", "openssl", "xz", "zstd"}
		if len(list) != len(wantOrder) {
			t.Fatalf("ListActors returned %d actors, want %d", len(list), len(wantOrder))
		}
		for i, name := range wantOrder {
			wantActor(t, list[i], byName[name])
		}
	})
}
