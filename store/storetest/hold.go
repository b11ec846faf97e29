package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"baton/store"
)

// RunHolds checks store.Holds. open returns two handles on one new, empty store, as two processes
// would open it; replicas says whether serving holds share the store (a backend replicas share).
func RunHolds(t *testing.T, open func(t *testing.T) (first, second store.Store), replicas bool) {
	since := time.Date(2026, time.March, 1, 10, 0, 0, 0, time.UTC)
	serve := func(pid int) store.Holder {
		return store.Holder{Command: "serve", Serving: true, Host: "web1", PID: pid, Listen: fmt.Sprintf("127.0.0.1:%d", 8080+pid), Since: since}
	}
	migrate := store.Holder{Command: "migrate", Host: "ops", PID: 77, Since: since}

	t.Run("AloneRefusedWhileServing", func(t *testing.T) {
		a, b := open(t)
		h := hold(t, a, serve(1))
		wantHeldBy(t, "a migrate while serving", b, migrate, serve(1))
		// Nor by the same handle: the refusal is about the store, not the connection.
		wantHeldBy(t, "a migrate on the serving handle", a, migrate, serve(1))
		noErr(t, "Release", h.Release(ctx(t)))
		release(t, hold(t, b, migrate))
	})

	t.Run("ServingRefusedWhileAlone", func(t *testing.T) {
		a, b := open(t)
		h := hold(t, a, migrate)
		wantHeldBy(t, "serve during a migrate", b, serve(2), migrate)
		rotate := store.Holder{Command: "token rotate", Host: "ops", PID: 78, Since: since}
		wantHeldBy(t, "a token rotation during a migrate", b, rotate, migrate)
		noErr(t, "Release", h.Release(ctx(t)))
		release(t, hold(t, b, serve(2)))
	})

	t.Run("Replicas", func(t *testing.T) {
		a, b := open(t)
		first := hold(t, a, serve(1))
		if !replicas {
			wantHeldBy(t, "a second serve", b, serve(2), serve(1))
			release(t, first)
			release(t, hold(t, b, serve(2)))
			return
		}
		second := hold(t, b, serve(2))
		// A migrate waits for every replica.
		release(t, first)
		_, err := a.Hold(ctx(t), migrate)
		wantErr(t, "a migrate while one replica serves", err, store.ErrHeld)
		release(t, second)
		release(t, hold(t, a, migrate))
	})

	t.Run("KeepWhileHeld", func(t *testing.T) {
		a, b := open(t)
		h := hold(t, a, serve(1))
		c, cancel := context.WithCancel(ctx(t))
		cancel()
		noErr(t, "Keep with its context ended", h.Keep(c))
		wantHeldBy(t, "a migrate after Keep returned", b, migrate, serve(1))
		release(t, h)
	})
}

func hold(t *testing.T, s store.Store, h store.Holder) store.Hold {
	t.Helper()
	got, err := s.Hold(ctx(t), h)
	noErr(t, "Hold by "+h.Command, err)
	return got
}

func release(t *testing.T, h store.Hold) {
	t.Helper()
	noErr(t, "Release", h.Release(ctx(t)))
}

// wantHeldBy wants s to refuse a hold for h, naming by as the holder.
func wantHeldBy(t *testing.T, what string, s store.Store, h, by store.Holder) {
	t.Helper()
	got, err := s.Hold(ctx(t), h)
	var held *store.HeldError
	if !errors.As(err, &held) {
		if got != nil {
			got.Release(ctx(t))
		}
		t.Fatalf("%s: Hold answered %v, want a *store.HeldError", what, err)
	}
	if !held.By.Since.Equal(by.Since) {
		t.Fatalf("%s: held since %v, want %v", what, held.By.Since, by.Since)
	}
	held.By.Since = by.Since
	if held.By != by {
		t.Fatalf("%s: held by %+v, want %+v", what, held.By, by)
	}
}
