package sqlite_test

// BenchmarkNewFollow measures what a new follower costs the store (AddFollower: one durable
// transaction that deletes an earlier follow of the same pair and inserts the new one) when the project
// has 0, 10,000 or 100,000 followers already. It should not grow with the list. The existing followers
// are added through AddFollower too, inside the benchmark, so the setup takes about 20 s; it runs only
// with -bench. BENCHMARKS.md at the repository root has the command and the results.

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strconv"
	"testing"
	"time"

	"baton/store"
	"baton/store/sqlite"
)

func BenchmarkNewFollow(b *testing.B) {
	for _, existing := range []int{0, 10_000, 100_000} {
		b.Run(fmt.Sprintf("followers=%d", existing), func(b *testing.B) {
			ctx := context.Background()
			st, err := sqlite.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			err = st.CreateActor(ctx, store.Actor{Name: "xz", Kind: store.KindProject,
				Ed25519Seed: make([]byte, ed25519.SeedSize), Created: time.Now()})
			if err != nil {
				b.Fatal(err)
			}
			for i := range existing {
				if err := st.AddFollower(ctx, benchFollower(i)); err != nil {
					b.Fatal(err)
				}
			}
			i := existing
			for b.Loop() {
				if err := st.AddFollower(ctx, benchFollower(i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if n, err := st.CountFollowers(ctx, "xz"); err != nil || n != i {
				b.Fatalf("%d followers (%v), want %d", n, err, i)
			}
		})
	}
}

// benchFollower is the i-th follower: 500 remote hosts, shared inboxes, as Mastodon's users would be.
func benchFollower(i int) store.Follower {
	host := "https://host" + strconv.Itoa(i%500) + ".example"
	actor := host + "/users/f" + strconv.Itoa(i)
	return store.Follower{Local: "xz", Actor: actor, Inbox: actor + "/inbox", SharedInbox: host + "/inbox",
		FollowID: host + "/follows/" + strconv.Itoa(i), Created: time.Now()}
}
