package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// With --metrics-listen, /metrics is served on that address only: the public port answers 404.
func TestE2EMetricsListener(t *testing.T) {
	t.Parallel()
	metricsAddr := freeAddr(t)
	in := startBaton(t, "--metrics-listen", metricsAddr)
	if status, _, _ := in.get("/metrics", "text/plain"); status != http.StatusNotFound {
		t.Errorf("GET /metrics on the public port: %d, want 404", status)
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "baton_delivery_queue_depth ") {
		t.Errorf("GET /metrics on the metrics port: %d\n%.300s", resp.StatusCode, body)
	}
	in.stop() // the metrics listener ends with the server
}
