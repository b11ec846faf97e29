package web

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Guessing the admin token is made slow: after adminFailures wrong tokens from one address
// within adminWindow, every admin request from it is answered 429 until the window ends. Behind a
// reverse proxy every request comes from the proxy's address, so a guesser locks the admin out for a
// minute at most; the token itself (24 characters or more) is what keeps them out for good.
const (
	adminFailures = 10
	adminWindow   = time.Minute
	maxTracked    = 10000 // addresses remembered at once; the oldest windows are dropped first
)

// failureLimiter counts failed admin authentications per client address.
type failureLimiter struct {
	mu       sync.Mutex
	failures map[string]*failureWindow
	now      func() time.Time
}

type failureWindow struct {
	start time.Time
	count int
}

func newFailureLimiter(now func() time.Time) *failureLimiter {
	return &failureLimiter{failures: map[string]*failureWindow{}, now: now}
}

// blocked says how long addr must wait, or 0.
func (l *failureLimiter) blocked(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.failures[addr]
	if !ok {
		return 0
	}
	left := adminWindow - l.now().Sub(w.start)
	if left <= 0 {
		delete(l.failures, addr)
		return 0
	}
	if w.count < adminFailures {
		return 0
	}
	return left
}

// fail counts a failed attempt from addr.
func (l *failureLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, ok := l.failures[addr]
	if !ok || now.Sub(w.start) >= adminWindow {
		if len(l.failures) >= maxTracked {
			l.forgetOldest()
		}
		w = &failureWindow{start: now}
		l.failures[addr] = w
	}
	w.count++
}

// forgetOldest drops the windows that ended, or else the oldest one.
func (l *failureLimiter) forgetOldest() {
	var oldest string
	for addr, w := range l.failures {
		if l.now().Sub(w.start) >= adminWindow {
			delete(l.failures, addr)
			continue
		}
		if oldest == "" || w.start.Before(l.failures[oldest].start) {
			oldest = addr
		}
	}
	if len(l.failures) >= maxTracked && oldest != "" {
		delete(l.failures, oldest)
	}
}

// clientAddr is the address a request came from, without its port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// tooManyFailures answers 429 with Retry-After when addr must wait, and reports whether it did.
func tooManyFailures(w http.ResponseWriter, wait time.Duration) bool {
	if wait <= 0 {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	writeError(w, http.StatusTooManyRequests, "too many wrong admin tokens from this address: try again later")
	return true
}
