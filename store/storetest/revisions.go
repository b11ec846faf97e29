package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"baton/store"
)

// updateFor is the Update activity of a notice whose document changed.
func updateFor(n store.Notice, document []byte) store.Activity {
	return store.Activity{
		ID:     fmt.Sprintf("https://baton.example/%s/notices/%d#update-%x", n.Actor, n.ID, document),
		Signer: n.Actor,
		Body:   append([]byte(`{"type":"Update","object":`), append(document, '}')...),
	}
}

// update replaces n's document at the revision expect, checks what was queued and that the revision
// counted it, and returns n as it is now.
func update(t *testing.T, s store.Store, n store.Notice, document []byte, expect int64, want int) store.Notice {
	t.Helper()
	queued, err := s.UpdateNotice(ctx(t), n.ID, document, updateFor(n, document), expect)
	noErr(t, fmt.Sprintf("UpdateNotice(%d)", n.ID), err)
	wantInt(t, fmt.Sprintf("UpdateNotice(%d) queued", n.ID), queued, want)
	wantRevision(t, s, n.Actor, expect+1)
	n.Document = document
	got, err := s.Notice(ctx(t), n.ID)
	noErr(t, "Notice", err)
	wantNotice(t, got, n)
	return n
}

func wantNoticeCount(t *testing.T, s store.Store, actor string, want int) {
	t.Helper()
	n, err := s.CountNotices(ctx(t), actor, false)
	noErr(t, "CountNotices", err)
	wantInt(t, fmt.Sprintf("CountNotices(%q)", actor), n, want)
}

// testRevisions holds a backend to the compare-and-swap on an actor's notice revision, which lets
// replicas admit statements without a lock of their own: a write that expects another revision than
// the one stored is refused whole, and of writers that read the same revision exactly one wins.
func testRevisions(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CountsPublishesAndUpdates", func(t *testing.T) { testRevisionCounts(t, open(t)) })
	t.Run("StalePublishStoresNothing", func(t *testing.T) { testStalePublish(t, open(t)) })
	t.Run("StaleUpdateChangesNothing", func(t *testing.T) { testStaleUpdate(t, open(t)) })
	t.Run("AnyRevisionSkipsTheCheck", func(t *testing.T) { testAnyRevision(t, open(t)) })
	t.Run("OneWinnerPerRevision", func(t *testing.T) { testOneWinnerPerRevision(t, open(t)) })
	t.Run("RetriesGetEveryoneThrough", func(t *testing.T) { testRevisionRetries(t, open(t)) })
}

func testRevisionCounts(t *testing.T, s store.Store) {
	mustCreateActors(t, s, "xz", "curl")
	wantRevision(t, s, "xz", 0)
	wantRevision(t, s, "nobody", 0) // no error for an actor that has none
	public, private := notice(t, s, "xz", true), notice(t, s, "xz", false)
	publish(t, s, public, 0)  // revision 1
	publish(t, s, private, 0) // revision 2
	update(t, s, public, []byte(`{"endorsed":1}`), 2, 0)
	update(t, s, private, []byte(`{"endorsed":2}`), 3, 0) // a notice for stewards counts too
	wantRevision(t, s, "xz", 4)
	wantRevision(t, s, "curl", 0) // each actor has its own
	publish(t, s, notice(t, s, "curl", true), 0)
	wantRevision(t, s, "xz", 4)
}

func testStalePublish(t *testing.T, s store.Store) {
	mustCreateActors(t, s, "xz")
	mustAddFollowers(t, s, follower("xz", 1, false), follower("xz", 2, true))
	publish(t, s, notice(t, s, "xz", true), 2) // revision 1
	const statement = "urn:uuid:decided-on-a-stale-state"
	for _, expect := range []int64{0, 2, 7} {
		n := notice(t, s, "xz", true)
		n.StatementID = statement
		queued, err := s.PublishNotice(ctx(t), n, activityFor(n), expect)
		wantErr(t, fmt.Sprintf("PublishNotice expecting revision %d at 1", expect), err, store.ErrConflict)
		wantInt(t, "queued by the refused PublishNotice", queued, 0)
		_, err = s.Notice(ctx(t), n.ID)
		wantErr(t, "Notice refused", err, store.ErrNotFound)
		_, err = s.NoticeByStatement(ctx(t), statement)
		wantErr(t, "NoticeByStatement of the notice refused", err, store.ErrNotFound)
		wantNoticeCount(t, s, "xz", 1)
		wantDepth(t, s, 2)
		wantRevision(t, s, "xz", 1)
	}
	// Decided again on what is stored now, it goes through, its statement with it.
	n := notice(t, s, "xz", true)
	n.StatementID = statement
	publish(t, s, n, 2)
	got, err := s.NoticeByStatement(ctx(t), statement)
	noErr(t, "NoticeByStatement", err)
	wantNotice(t, got, n)
	wantDepth(t, s, 4)
}

func testStaleUpdate(t *testing.T, s store.Store) {
	mustCreateActors(t, s, "xz")
	mustAddFollowers(t, s, follower("xz", 1, false))
	n := notice(t, s, "xz", true)
	publish(t, s, n, 1) // revision 1
	stale := []byte(`{"endorsed":"on a stale state"}`)
	for _, expect := range []int64{0, 2} {
		queued, err := s.UpdateNotice(ctx(t), n.ID, stale, updateFor(n, stale), expect)
		wantErr(t, fmt.Sprintf("UpdateNotice expecting revision %d at 1", expect), err, store.ErrConflict)
		wantInt(t, "queued by the refused UpdateNotice", queued, 0)
		got, err := s.Notice(ctx(t), n.ID)
		noErr(t, "Notice", err)
		wantNotice(t, got, n)
		wantDepth(t, s, 1)
		wantRevision(t, s, "xz", 1)
	}
	for _, expect := range []int64{1, 0, store.AnyRevision} {
		_, err := s.UpdateNotice(ctx(t), n.ID+1000, stale, updateFor(n, stale), expect)
		wantErr(t, fmt.Sprintf("UpdateNotice of no notice, expecting %d", expect), err, store.ErrNotFound)
	}
	wantRevision(t, s, "xz", 1)
	update(t, s, n, []byte(`{"endorsed":"on what is stored"}`), 1, 1)
	wantDepth(t, s, 2)
}

func testAnyRevision(t *testing.T, s store.Store) {
	mustCreateActors(t, s, "xz")
	var last store.Notice
	for i := range 3 {
		last = notice(t, s, "xz", i != 1)
		_, err := s.PublishNotice(ctx(t), last, activityFor(last), store.AnyRevision)
		noErr(t, "PublishNotice at any revision", err)
		wantRevision(t, s, "xz", int64(i+1))
	}
	document := []byte(`{"endorsed":"at any revision"}`)
	_, err := s.UpdateNotice(ctx(t), last.ID, document, updateFor(last, document), store.AnyRevision)
	noErr(t, "UpdateNotice at any revision", err)
	wantRevision(t, s, "xz", 4)
	wantNoticeCount(t, s, "xz", 3)
}

// testOneWinnerPerRevision has writers read the revision, wait until all have read it, and publish
// at once, round after round: in each round exactly one notice is stored, and only its activity queued.
func testOneWinnerPerRevision(t *testing.T, s store.Store) {
	mustCreateActors(t, s, "xz")
	mustAddFollowers(t, s, follower("xz", 1, false))
	const writers, rounds = 8, 4
	for round := range rounds {
		ns := make([]store.Notice, writers)
		for w := range ns {
			ns[w] = notice(t, s, "xz", true)
		}
		read, errs := make([]int64, writers), make([]error, writers)
		var allRead, done sync.WaitGroup
		allRead.Add(writers)
		for w := range writers {
			done.Go(func() {
				read[w], errs[w] = s.Revision(ctx(t), "xz")
				allRead.Done()
				allRead.Wait()
				if errs[w] == nil {
					_, errs[w] = s.PublishNotice(ctx(t), ns[w], activityFor(ns[w]), read[w])
				}
			})
		}
		done.Wait()
		won := 0
		for w := range writers {
			if read[w] != int64(round) {
				t.Fatalf("round %d: writer %d read revision %d", round, w, read[w])
			}
			_, err := s.Notice(ctx(t), ns[w].ID)
			switch {
			case errs[w] == nil:
				won++
				noErr(t, "Notice of the winner", err)
			case errors.Is(errs[w], store.ErrConflict):
				wantErr(t, "Notice of a writer refused", err, store.ErrNotFound)
			default:
				t.Fatalf("round %d: writer %d: %v", round, w, errs[w])
			}
		}
		wantInt(t, fmt.Sprintf("round %d: writers that published", round), won, 1)
		wantRevision(t, s, "xz", int64(round+1))
		wantNoticeCount(t, s, "xz", round+1)
		wantDepth(t, s, round+1)
	}
}

// attempt is one PublishNotice of a writer that retries: the revision it read, and whether it won.
type attempt struct {
	read int64
	won  bool
}

// testRevisionRetries has writers each read the revision and publish at it until they get through: of
// the writers that read any one revision, exactly one wins, and in the end every notice is stored.
func testRevisionRetries(t *testing.T, s store.Store) {
	mustCreateActors(t, s, "xz")
	const writers = 8
	ns := make([]store.Notice, writers)
	for w := range ns {
		ns[w] = notice(t, s, "xz", w%2 == 0)
	}
	attempts := make([][]attempt, writers)
	var done sync.WaitGroup
	for w := range writers {
		done.Go(func() { attempts[w] = publishUntilThrough(t, s, ns[w]) })
	}
	done.Wait()
	winners := map[int64]int{}
	for w := range writers {
		for _, a := range attempts[w] {
			won := winners[a.read]
			if a.won {
				won++
			}
			winners[a.read] = won // a revision read and lost at counts, with no winner
		}
	}
	for read, n := range winners {
		if n != 1 {
			t.Errorf("%d writers published at revision %d, want exactly one", n, read)
		}
	}
	wantInt(t, "revisions published at", len(winners), writers)
	wantRevision(t, s, "xz", writers)
	wantNoticeCount(t, s, "xz", writers)
}

// publishUntilThrough publishes n at the revision it reads, reading again after each ErrConflict.
func publishUntilThrough(t *testing.T, s store.Store, n store.Notice) []attempt {
	var out []attempt
	for len(out) < 1000 {
		read, err := s.Revision(ctx(t), n.Actor)
		if err != nil {
			t.Errorf("Revision: %v", err)
			return out
		}
		_, err = s.PublishNotice(ctx(t), n, activityFor(n), read)
		out = append(out, attempt{read: read, won: err == nil})
		if err == nil {
			return out
		}
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("PublishNotice(%d) at revision %d: %v", n.ID, read, err)
			return out
		}
	}
	t.Errorf("PublishNotice(%d) refused %d times", n.ID, len(out))
	return out
}
