package outbox

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"baton/store"
)

// Metrics are the outbox's Prometheus series.
type Metrics struct {
	deliveries *prometheus.CounterVec
	latency    prometheus.Histogram
	published  prometheus.Counter
}

// NewMetrics registers the outbox's series on reg, with a queue depth read from st at each scrape.
func NewMetrics(reg prometheus.Registerer, st store.Queue) *Metrics {
	f := promauto.With(reg)
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "baton_delivery_queue_depth",
		Help: "Deliveries waiting to be delivered (due now or later), not counting those given up.",
	}, func() float64 {
		n, err := st.QueueDepth(context.Background())
		if err != nil {
			return -1
		}
		return float64(n)
	})
	return &Metrics{
		deliveries: f.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_deliveries_total",
			Help: "Delivery attempts by outcome: delivered, retry (will be tried again) or failed (given up).",
		}, []string{"outcome"}),
		latency: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "baton_delivery_duration_seconds",
			Help:    "Time from signing a delivery to the remote inbox's answer.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}),
		published: f.NewCounter(prometheus.CounterOpts{
			Name: "baton_notices_published_total",
			Help: "Notices published by this instance's actors.",
		}),
	}
}
