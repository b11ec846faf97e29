package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"baton/internal/loadtest"
	"baton/internal/testpeer"
)

// inboxResult is what Baton's shared inbox did with signed Creates sent to it over HTTP.
type inboxResult struct {
	creates   int
	inFlight  int
	elapsed   time.Duration
	latencies []time.Duration // each request's, from sending it to the end of its answer; sorted
	batonCPU  time.Duration   // baton serve + redis-server
	senderCPU time.Duration   // this process: the senders
	otherCPU  time.Duration
}

func (r inboxResult) rate() float64 { return float64(r.creates) / r.elapsed.Seconds() }

func (r inboxResult) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
}

// measureInbox sends Baton's shared inbox n Creates of public Notes, inFlight at a time, by the
// accounts of every instance in turn, as fediverse servers whose accounts Baton's instance does not
// watch: Baton verifies each (signature, digest, date, the key it cached), checks its id was not seen
// and answers 202; it changed nothing, so nothing is recorded. Every instance sends its share, as
// Baton limits what one host may send a minute (so n may be at most some 250 per instance). The
// requests are signed before the clock starts (signing is the senders' work, and would take most of
// the machine); one Create per instance goes first, unmeasured, so that Baton fetches and caches the
// senders' keys.
func measureInbox(inst *instance, peers *instances, n, inFlight int) (inboxResult, error) {
	senders := peers.peers
	warm, err := signCreates(inst, senders, len(senders), "warm")
	if err != nil {
		return inboxResult{}, err
	}
	if _, err := sendAll(warm, inFlight); err != nil {
		return inboxResult{}, fmt.Errorf("warming up: %w", err)
	}
	reqs, err := signCreates(inst, senders, n, "load")
	if err != nil {
		return inboxResult{}, err
	}
	machine0, _ := loadtest.MachineCPU()
	self0, _ := loadtest.ProcessCPU(0)
	baton0 := inst.cpu()
	start := time.Now()
	latencies, err := sendAll(reqs, inFlight)
	elapsed := time.Since(start)
	baton1 := inst.cpu()
	self1, _ := loadtest.ProcessCPU(0)
	machine1, _ := loadtest.MachineCPU()
	if err != nil {
		return inboxResult{}, err
	}
	slices.Sort(latencies)
	r := inboxResult{creates: n, inFlight: inFlight, elapsed: elapsed, latencies: latencies,
		batonCPU: baton1 - baton0, senderCPU: self1 - self0}
	r.otherCPU = max(0, machine1-machine0-r.batonCPU-r.senderCPU)
	return r, nil
}

// signCreates signs n Creates for Baton's shared inbox, the i-th by the account of senders[i%len],
// on every CPU at once.
func signCreates(inst *instance, senders []*testpeer.Peer, n int, label string) ([]*http.Request, error) {
	reqs := make([]*http.Request, n)
	var next atomic.Int64
	var failed error
	var once sync.Once
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				p := senders[i%len(senders)]
				req, err := p.NewPost(context.Background(), inst.base+"/inbox", createBody(p, fmt.Sprintf("%s-%d", label, i)), testpeer.PostOptions{})
				if err != nil {
					once.Do(func() { failed = err })
					return
				}
				reqs[i] = req
			}
		})
	}
	wg.Wait()
	return reqs, failed
}

// createBody is a Create of a public Note by p's account, as a Mastodon sends it.
func createBody(p *testpeer.Peer, id string) []byte {
	actor := p.ActorID("reader")
	body, _ := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       actor + "/statuses/" + id + "/activity",
		"type":     "Create",
		"actor":    actor,
		"to":       []string{"https://www.w3.org/ns/activitystreams#Public"},
		"object": map[string]any{
			"id": actor + "/statuses/" + id, "type": "Note", "attributedTo": actor,
			"to":      []string{"https://www.w3.org/ns/activitystreams#Public"},
			"content": "<p>Has anyone else seen the release tarball differ from the tag?</p>",
		},
	})
	return body
}

// sendAll sends every request, inFlight at a time, on kept-alive connections, and answers each one's
// latency; any answer but 202 is an error.
func sendAll(reqs []*http.Request, inFlight int) ([]time.Duration, error) {
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: inFlight}}
	defer client.CloseIdleConnections()
	latencies := make([]time.Duration, len(reqs))
	var next atomic.Int64
	var failed error
	var once sync.Once
	var wg sync.WaitGroup
	for range inFlight {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(reqs); i = int(next.Add(1) - 1) {
				start := time.Now()
				resp, err := client.Do(reqs[i])
				if err == nil {
					body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
					resp.Body.Close()
					if resp.StatusCode != http.StatusAccepted {
						err = fmt.Errorf("the Create numbered %d was answered %d: %s", i, resp.StatusCode, body)
					}
				}
				latencies[i] = time.Since(start)
				if err != nil {
					once.Do(func() { failed = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return latencies, failed
}
