package upstream

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics counts what happened to the notices upstreams sent.
type Metrics struct {
	notices *prometheus.CounterVec
	catchUp *prometheus.CounterVec
}

// NewMetrics registers the upstream series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		notices: f.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_upstream_notices_total",
			Help: "Notices received from watched upstreams, by outcome (mirrored, updated, unchanged, rejected, unavailable) and how they came (delivered, catch_up).",
		}, []string{"outcome", "via"}),
		catchUp: f.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_upstream_catch_ups_total",
			Help: "Reads of upstream outboxes, by result (ok, failed).",
		}, []string{"result"}),
	}
}
