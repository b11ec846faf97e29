package storetest

import (
	"fmt"
	"testing"
	"time"

	"baton/store"
)

// offer is an answer to call 7 of xz by a person on another instance.
func offer(id, person string, signed bool, at time.Time) store.Offer {
	return store.Offer{ID: id, Project: "xz", Call: 7, Person: "https://b.example/users/" + person, Signed: signed,
		Text: "I can step in ✓ \"quoted\"", Until: when.AddDate(0, 6, 0), Document: []byte(`{"id":"` + id + `","proof":{}}`), Received: at}
}

func sameOffer(a, b store.Offer) bool {
	return a.ID == b.ID && a.Project == b.Project && a.Call == b.Call && a.Person == b.Person && a.Signed == b.Signed &&
		a.Text == b.Text && sameTime(a.Until, b.Until) && string(a.Document) == string(b.Document) &&
		sameTime(a.Received, b.Received) && sameTime(a.Accepted, b.Accepted) && a.AcceptedBy == b.AcceptedBy
}

func wantOffers(t *testing.T, s store.Store, project string, want ...store.Offer) {
	t.Helper()
	got, err := s.Offers(ctx(t), project)
	noErr(t, "Offers", err)
	if len(got) != len(want) {
		t.Fatalf("Offers(%s): %d answers %+v, want %d %+v", project, len(got), got, len(want), want)
	}
	for i := range want {
		if !sameOffer(got[i], want[i]) {
			t.Fatalf("Offers(%s), answer %d\n got %+v\nwant %+v", project, i, got[i], want[i])
		}
	}
}

func mustPutOffers(t *testing.T, s store.Store, offers ...store.Offer) {
	t.Helper()
	for _, o := range offers {
		noErr(t, "PutOffer "+o.ID, s.PutOffer(ctx(t), o))
	}
}

func testOffers(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("StoredInOrder", func(t *testing.T) {
		s := open(t)
		wantOffers(t, s, "xz")
		ann, bob := offer("urn:uuid:1", "ann", true, when), offer("urn:uuid:2", "bob", true, when.Add(time.Minute))
		reply := offer("https://social.example/statuses/9", "ann", false, when.Add(2*time.Minute))
		other := offer("urn:uuid:3", "ann", true, when)
		other.Project, other.Call = "zlib", 8
		mustPutOffers(t, s, ann, bob, reply, other)
		wantOffers(t, s, "xz", ann, bob, reply)
		wantOffers(t, s, "zlib", other)
		got, err := s.Offer(ctx(t), reply.ID)
		noErr(t, "Offer", err)
		if !sameOffer(got, reply) {
			t.Fatalf("Offer\n got %+v\nwant %+v", got, reply)
		}
		_, err = s.Offer(ctx(t), "urn:uuid:none")
		wantErr(t, "Offer of an unknown id", err, store.ErrNotFound)
	})
	t.Run("ANewerOfferReplacesTheOlder", func(t *testing.T) {
		s := open(t)
		first, bob := offer("urn:uuid:1", "ann", true, when), offer("urn:uuid:2", "bob", true, when)
		mustPutOffers(t, s, first, bob)
		again := offer("urn:uuid:4", "ann", true, when.Add(time.Hour))
		again.Text = "Now with more time."
		mustPutOffers(t, s, again)
		wantOffers(t, s, "xz", bob, again)
		_, err := s.Offer(ctx(t), first.ID)
		wantErr(t, "Offer of the replaced offer", err, store.ErrNotFound)
		// The same answer stored twice (a delivery retried) is one answer.
		mustPutOffers(t, s, again)
		wantOffers(t, s, "xz", bob, again)
		// An id another person's answer holds is not taken.
		stolen := offer(bob.ID, "mallory", true, when)
		wantErr(t, "PutOffer with bob's id", s.PutOffer(ctx(t), stolen), store.ErrExists)
		wantOffers(t, s, "xz", bob, again)
	})
	t.Run("Accept", func(t *testing.T) {
		s := open(t)
		ann, reply := offer("urn:uuid:1", "ann", true, when), offer("https://social.example/statuses/9", "bob", false, when)
		mustPutOffers(t, s, ann, reply)
		at := when.Add(48 * time.Hour)
		got, err := s.AcceptOffer(ctx(t), ann.ID, "https://a.example/users/steward1", at)
		noErr(t, "AcceptOffer", err)
		ann.Accepted, ann.AcceptedBy = at, "https://a.example/users/steward1"
		if !sameOffer(got, ann) {
			t.Fatalf("AcceptOffer returned\n %+v\nwant %+v", got, ann)
		}
		wantOffers(t, s, "xz", ann, reply)
		_, err = s.AcceptOffer(ctx(t), ann.ID, "admin", at)
		wantErr(t, "AcceptOffer again", err, store.ErrConflict)
		_, err = s.AcceptOffer(ctx(t), reply.ID, "admin", at)
		wantErr(t, "AcceptOffer of a reply", err, store.ErrNotFound)
		_, err = s.AcceptOffer(ctx(t), "urn:uuid:none", "admin", at)
		wantErr(t, "AcceptOffer of an unknown id", err, store.ErrNotFound)
		// An accepted offer stays as it was accepted.
		later := offer("urn:uuid:5", "ann", true, when.Add(time.Hour))
		wantErr(t, "PutOffer over an accepted offer", s.PutOffer(ctx(t), later), store.ErrConflict)
		wantOffers(t, s, "xz", ann, reply)
	})
}

// offerContents lists a project's answers for a move's comparison.
func offerContents(t *testing.T, s store.Movable, project string) []string {
	t.Helper()
	offers, err := s.Offers(ctx(t), project)
	noErr(t, "Offers", err)
	var lines []string
	for _, o := range offers {
		lines = append(lines, fmt.Sprintf("offer %s %s %d %s %v %q %d %q %d %d %s", o.ID, o.Project, o.Call, o.Person, o.Signed,
			o.Text, o.Until.UnixNano(), o.Document, o.Received.UnixNano(), o.Accepted.UnixNano(), o.AcceptedBy))
	}
	return lines
}
