package inbox

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"baton/store"
)

// Metrics are the inbox's Prometheus series.
type Metrics struct {
	requests  *prometheus.CounterVec
	bodyBytes prometheus.Gauge
	busy      prometheus.Counter
}

// NewMetrics registers the inbox's series on reg (a private registry when reg is nil), with the number
// of followers read from st at each scrape.
func NewMetrics(reg prometheus.Registerer, st store.Store) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "baton_followers",
		Help: "Remote actors following this instance's actors (a follower of two actors counts twice).",
	}, func() float64 { return float64(countFollowers(st)) })
	return &Metrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_inbox_requests_total",
			Help: "Inbox POSTs by activity type and verdict (accepted, ignored, duplicate, or why it was refused).",
		}, []string{"type", "verdict"}),
		bodyBytes: f.NewGauge(prometheus.GaugeOpts{
			Name: "baton_inbox_body_bytes_in_flight",
			Help: "Bytes reserved for inbox request bodies being read or handled, at most MaxBodyBytesInFlight.",
		}),
		busy: f.NewCounter(prometheus.CounterOpts{
			Name: "baton_inbox_busy_total",
			Help: "Inbox POSTs turned away with 503 because the bodies in flight already held their cap.",
		}),
	}
}

// countFollowers counts every follow on the instance, with one query however many actors it has (a
// distro has one per package).
func countFollowers(st store.Store) int {
	n, err := st.CountFollowers(context.Background(), "")
	if err != nil {
		return -1
	}
	return n
}
