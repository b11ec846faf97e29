package storetest

import (
	"fmt"
	"testing"
	"time"

	"baton/store"
)

// deliveryStatus reads the status of the activities whose id begins with prefix.
func deliveryStatus(t *testing.T, s store.Store, prefix string) []store.ActivityDeliveries {
	t.Helper()
	st, err := s.DeliveryStatus(ctx(t), prefix)
	noErr(t, fmt.Sprintf("DeliveryStatus(%q)", prefix), err)
	return st
}

// wantStatus checks the status of the activities whose id begins with prefix, as "%+v" of each.
func wantStatus(t *testing.T, s store.Store, prefix string, want ...store.ActivityDeliveries) {
	t.Helper()
	got := deliveryStatus(t, s, prefix)
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) || len(got) != len(want) {
		t.Fatalf("DeliveryStatus(%q)\n got %+v\nwant %+v", prefix, got, want)
	}
}

func testDeliveryStatus(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CountsMove", func(t *testing.T) {
		s := open(t)
		const notice = "https://baton.example/notices/7"
		create := store.Activity{ID: notice + "/activity", Signer: "xz", Body: []byte(`{"type":"Create"}`)}
		update := store.Activity{ID: notice + "#updates/1700000000000000001", Signer: "xz", Body: []byte(`{"type":"Update"}`)}
		other := store.Activity{ID: "https://baton.example/notices/70/activity", Signer: "xz", Body: []byte(`{}`)}
		wantStatus(t, s, create.ID) // nothing queued: no activity

		enqueue(t, s, create, "https://a.example/inbox", "https://b.example/inbox", "https://b.example/users/1/inbox",
			"https://c.example:8443/inbox")
		enqueue(t, s, other, "https://a.example/inbox")
		wantStatus(t, s, create.ID, store.ActivityDeliveries{ActivityID: create.ID, Queued: 4})

		// Claimed (leased) deliveries are still queued.
		byInbox := map[string]int64{}
		for _, d := range claimAll(t, s, time.Now(), time.Hour, 5) {
			if d.Activity.ID == create.ID {
				byInbox[d.Inbox] = d.ID
			}
		}
		wantStatus(t, s, create.ID, store.ActivityDeliveries{ActivityID: create.ID, Queued: 4})

		// One delivered, one retrying, one given up.
		noErr(t, "Complete", s.Complete(ctx(t), byInbox["https://a.example/inbox"]))
		noErr(t, "Retry", s.Retry(ctx(t), byInbox["https://b.example/inbox"], time.Now().Add(time.Hour), "503 Service Unavailable"))
		noErr(t, "Fail", s.Fail(ctx(t), byInbox["https://c.example:8443/inbox"], "410 Gone"))
		wantStatus(t, s, create.ID, store.ActivityDeliveries{ActivityID: create.ID, Queued: 2, Retrying: 1, Failed: 1, Delivered: 1,
			Hosts: []store.HostDeliveries{
				{Host: "b.example", Retrying: 1, LastError: "503 Service Unavailable"},
				{Host: "c.example:8443", Failed: 1, LastError: "410 Gone"},
			}})

		// A second delivery to the same host fails later: its error is the host's last.
		noErr(t, "Retry", s.Retry(ctx(t), byInbox["https://b.example/users/1/inbox"], time.Now().Add(time.Hour), "connection reset"))
		st := deliveryStatus(t, s, create.ID)
		if len(st) != 1 || len(st[0].Hosts) != 2 || st[0].Hosts[0] != (store.HostDeliveries{Host: "b.example", Retrying: 2, LastError: "connection reset"}) {
			t.Fatalf("after a second retry to b.example: %+v", st)
		}
		if st[0].Total() != 4 {
			t.Fatalf("Total = %d, want 4", st[0].Total())
		}

		// An Update of the notice counts apart from its Create.
		enqueue(t, s, update, "https://a.example/inbox", "https://d.example/inbox")
		wantStatus(t, s, notice+"#updates/", store.ActivityDeliveries{ActivityID: update.ID, Queued: 2})

		// The retried ones are delivered in the end; a late Complete of the same id counts once.
		later := claimAll(t, s, time.Now().Add(2*time.Hour), time.Minute, 5) // b.example twice, the Update twice, the other
		ids := deliveryIDs(later)
		noErr(t, "Complete", s.Complete(ctx(t), ids...))
		noErr(t, "Complete again", s.Complete(ctx(t), ids...))
		// A prefix is a prefix: notice 7's takes notice 70's activity along; ids sort '#' before '/'.
		wantStatus(t, s, notice,
			store.ActivityDeliveries{ActivityID: update.ID, Delivered: 2},
			store.ActivityDeliveries{ActivityID: create.ID, Failed: 1, Delivered: 3,
				Hosts: []store.HostDeliveries{{Host: "c.example:8443", Failed: 1, LastError: "410 Gone"}}},
			store.ActivityDeliveries{ActivityID: other.ID, Delivered: 1})
		wantStatus(t, s, "https://baton.example/notices/70/", store.ActivityDeliveries{ActivityID: other.ID, Delivered: 1})
		wantInt(t, "activities under no prefix", len(deliveryStatus(t, s, "")), 3)
		wantStatus(t, s, "https://baton.example/notices/8")
	})
}
