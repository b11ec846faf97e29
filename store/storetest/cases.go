package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"baton/store"
)

// testCase is a relief case with a closed state and two messages, one sealed again by a steward.
func testCase(id string) store.Case {
	return store.Case{
		ID: id, Project: "xz", Opener: "https://i.example/users/lasse",
		Participants: []store.CaseParticipant{
			{Person: "https://i.example/users/lasse", Since: when},
			{Person: "https://i.example/users/steward1", Since: when},
			{Person: "https://i.example/users/steward2", Since: when.Add(48 * time.Hour)},
		},
		Opened: when, Closed: when.Add(72 * time.Hour), ClosedBy: "https://i.example/users/steward1", LedTo: 7,
		Messages: []store.CaseMessage{
			{Author: "https://i.example/users/lasse", Signer: "https://i.example/users/steward1", Written: when,
				Envelope: []byte("{\"ciphertext\":\"YWdl\x00\xff\"}")},
			{Author: "https://i.example/users/steward1", Signer: "https://i.example/users/steward1", Written: when.Add(time.Hour),
				Envelope: []byte(`{"ciphertext":"b3RoZXI="}`)},
		},
	}
}

func wantCase(t *testing.T, got, want store.Case) {
	t.Helper()
	if g, w := caseLine(got), caseLine(want); g != w {
		t.Fatalf("case\n%s\nwant\n%s", g, w)
	}
}

// caseLine writes a case with its times as instants, so a backend may keep them in any zone.
func caseLine(c store.Case) string {
	s := fmt.Sprintf("%s %s %s opened %d closed %d by %s led to %d revision %d", c.ID, c.Project, c.Opener,
		c.Opened.UnixNano(), c.Closed.UnixNano(), c.ClosedBy, c.LedTo, c.Revision)
	for _, p := range c.Participants {
		s += fmt.Sprintf("\n  participant %s since %d", p.Person, p.Since.UnixNano())
	}
	for _, m := range c.Messages {
		s += fmt.Sprintf("\n  message by %s signed %s at %d: %q", m.Author, m.Signer, m.Written.UnixNano(), m.Envelope)
	}
	return s
}

func testCases(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CreateAndRead", func(t *testing.T) {
		s := open(t)
		c := ctx(t)
		if _, err := s.Case(c, "a1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Case of none: %v, want ErrNotFound", err)
		}
		cases, err := s.ListCases(c)
		noErr(t, "ListCases", err)
		if len(cases) != 0 {
			t.Fatalf("ListCases of an empty store: %d cases", len(cases))
		}
		want := testCase("b2")
		want.Revision = 3 // a moved case keeps its revision
		noErr(t, "CreateCase", s.CreateCase(c, want))
		noErr(t, "CreateCase", s.CreateCase(c, store.Case{ID: "a1", Project: "curl", Opener: "x", Opened: when}))
		if err := s.CreateCase(c, testCase("a1")); !errors.Is(err, store.ErrExists) {
			t.Fatalf("CreateCase twice: %v, want ErrExists", err)
		}
		got, err := s.Case(c, "b2")
		noErr(t, "Case", err)
		wantCase(t, got, want)
		cases, err = s.ListCases(c)
		noErr(t, "ListCases", err)
		if len(cases) != 2 || cases[0].ID != "b2" || cases[1].ID != "a1" || cases[1].Project != "curl" {
			t.Fatalf("ListCases = %v, want b2 then a1, in the order created", cases)
		}
	})
	t.Run("UpdateComparesRevision", func(t *testing.T) {
		s := open(t)
		c := ctx(t)
		first := testCase("c3")
		first.Messages, first.Closed, first.ClosedBy, first.LedTo = first.Messages[:1], time.Time{}, "", 0
		if err := s.UpdateCase(c, first); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UpdateCase of none: %v, want ErrNotFound", err)
		}
		noErr(t, "CreateCase", s.CreateCase(c, first))
		read, err := s.Case(c, "c3")
		noErr(t, "Case", err)
		reply := read
		reply.Messages = append(reply.Messages, testCase("c3").Messages[1])
		noErr(t, "UpdateCase", s.UpdateCase(c, reply))
		stale := read
		stale.Closed = when
		if err := s.UpdateCase(c, stale); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("UpdateCase at a revision read before a write: %v, want ErrConflict", err)
		}
		got, err := s.Case(c, "c3")
		noErr(t, "Case", err)
		reply.Revision++
		wantCase(t, got, reply)
	})
	t.Run("OneOfConcurrentUpdatesWins", func(t *testing.T) {
		s := open(t)
		c := ctx(t)
		noErr(t, "CreateCase", s.CreateCase(c, testCase("d4")))
		read, err := s.Case(c, "d4")
		noErr(t, "Case", err)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u := read
				u.ClosedBy = fmt.Sprintf("writer %d", i)
				errs[i] = s.UpdateCase(c, u)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrConflict):
				t.Fatalf("UpdateCase: %v", err)
			}
		}
		got, err := s.Case(c, "d4")
		noErr(t, "Case", err)
		if won != 1 || got.Revision != read.Revision+1 {
			t.Fatalf("%d of 8 writers from one revision won, revision %d: want one, revision %d", won, got.Revision, read.Revision+1)
		}
	})
}
