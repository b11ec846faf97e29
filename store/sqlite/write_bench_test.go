package sqlite_test

// BenchmarkMarkSeen measures the store's smallest durable write, MarkSeen (what an inbox POST of a
// Create writes), from one caller at a time and from 16 at once, which the store gathers into shared
// transactions. It runs only with -bench; BENCHMARKS.md at the repository root has the results.

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"baton/store/sqlite"
)

func BenchmarkMarkSeen(b *testing.B) {
	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			st, err := sqlite.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			var next atomic.Int64
			markSeen := func() {
				id := fmt.Sprintf("https://social.example/activities/%d", next.Add(1))
				if err := st.MarkSeen(context.Background(), id, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			if callers == 1 {
				for b.Loop() {
					markSeen()
				}
			} else {
				b.SetParallelism(max(1, callers/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						markSeen()
					}
				})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
		})
	}
}
