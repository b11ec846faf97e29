package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sync"
	"time"

	"baton/internal/testpeer"
)

// instances are the fake fediverse instances: one testpeer (a Mastodon in miniature) per loopback
// address, each with one account that follows the project. They verify every delivery on their own
// (signature, digest, date, with the key their lookup of the project read from Baton) and count what
// they received. As Mastodon outside secure mode, they serve their documents to signed GETs without
// checking the signature.
type instances struct {
	peers []*testpeer.Peer

	mu       sync.Mutex
	got      map[string]map[*testpeer.Peer]int // activity id -> receiving peer -> times received
	creates  map[string]bool                   // the ids of the Notes that came in Creates
	changed  chan struct{}                     // signalled after every delivery
	accepted int
}

// startInstances starts n peers on 127.0.X.Y (distinct addresses from 127.0.1.1 on), all signing with
// one RSA key: n keys would take minutes to make, and a shared key changes nothing Baton does.
func startInstances(n int) (*instances, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	in := &instances{got: map[string]map[*testpeer.Peer]int{}, creates: map[string]bool{}, changed: make(chan struct{}, 1)}
	for i := range n {
		addr := fmt.Sprintf("127.0.%d.%d:0", 1+i/250, 1+i%250)
		p, err := testpeer.StartWith(testpeer.Options{Dialect: testpeer.Mastodon, Names: []string{"reader"},
			Addr: addr, Key: key, Received: in.received, KeepLookedUpKeys: true, UncheckedFetches: true})
		if err != nil {
			in.close()
			return nil, fmt.Errorf("instance %d on %s: %w", i, addr, err)
		}
		in.peers = append(in.peers, p)
	}
	return in, nil
}

func (in *instances) close() {
	for _, p := range in.peers {
		p.Close()
	}
}

// received counts a verified delivery: a Create by the id of the Note it carries, anything else by its
// own id.
func (in *instances) received(p *testpeer.Peer, d testpeer.Delivery) {
	id, create := d.ID, d.Type == "Create"
	if create {
		id = d.ObjectID
	}
	in.mu.Lock()
	if create {
		in.creates[id] = true
	}
	if in.got[id] == nil {
		in.got[id] = map[*testpeer.Peer]int{}
	}
	in.got[id][p]++
	if d.Type == "Accept" {
		in.accepted++
	}
	in.mu.Unlock()
	select {
	case in.changed <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds (checked under the lock after every delivery) or timeout passes.
func (in *instances) waitFor(timeout time.Duration, cond func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		in.mu.Lock()
		ok := cond()
		in.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-in.changed:
		case <-tick.C:
		case <-deadline.C:
			return errTimeout
		}
	}
}

// reached reports, under the lock, whether every peer received activity id (a Create by its Note).
func (in *instances) reached(id string) bool { return len(in.got[id]) == len(in.peers) }

// notices lists the notices received (Creates, by their Note's id).
func (in *instances) notices() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []string
	for id := range in.creates {
		out = append(out, id)
	}
	return out
}

// exactlyOnce checks that every peer received each activity of ids exactly once.
func (in *instances) exactlyOnce(ids []string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, id := range ids {
		if n := len(in.got[id]); n != len(in.peers) {
			return fmt.Errorf("%s reached %d of %d instances", id, n, len(in.peers))
		}
		for p, n := range in.got[id] {
			if n != 1 {
				return fmt.Errorf("%s reached %s %d times", id, p.Host, n)
			}
		}
	}
	return nil
}

// failures counts the deliveries and signed fetches the peers refused (a signature, digest or date
// that did not verify).
func (in *instances) failures() int {
	n := 0
	for _, p := range in.peers {
		n += len(p.Failures())
	}
	return n
}

// follow makes every peer's account follow handle, concurrency at a time, each with a signed Follow
// after a WebFinger lookup of its own, and waits for every Accept. The lookups are done first, and
// started is called between them and the first Follow, so that the follows can be measured alone.
func (in *instances) follow(ctx context.Context, handle string, concurrency int, started func()) error {
	targets := make([]*testpeer.RemoteActor, len(in.peers))
	if err := in.each(concurrency, func(i int, p *testpeer.Peer) error {
		t, err := p.Lookup(ctx, handle)
		targets[i] = t
		return err
	}); err != nil {
		return err
	}
	started()
	if err := in.each(concurrency, func(i int, p *testpeer.Peer) error {
		_, err := p.Follow(ctx, "reader", targets[i])
		return err
	}); err != nil {
		return err
	}
	if err := in.waitFor(5*time.Minute, func() bool { return in.accepted >= len(in.peers) }); err != nil {
		return fmt.Errorf("waiting for Accepts: %d of %d came", in.accepted, len(in.peers))
	}
	return nil
}

// each runs fn for every peer, concurrency at a time, and returns the first error.
func (in *instances) each(concurrency int, fn func(int, *testpeer.Peer) error) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	sem := make(chan struct{}, concurrency)
	for i, p := range in.peers {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(i, p); err != nil {
				once.Do(func() { first = fmt.Errorf("instance %s: %w", p.Host, err) })
			}
		})
	}
	wg.Wait()
	return first
}
