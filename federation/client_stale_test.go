package federation

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
)

// closingServer is an HTTP/1.1 server on loopback that closes a connection, without answering, when
// it has read the request that drop picks: the n-th request on that connection, counting from 1.
type closingServer struct {
	l    net.Listener
	drop func(n int) bool

	mu       sync.Mutex
	conns    int
	answered []string // bodies answered 202
	dropped  int
}

func newClosingServer(t *testing.T, drop func(n int) bool) *closingServer {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &closingServer{l: l, drop: drop}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			go s.serve(c)
		}
	}()
	t.Cleanup(func() { l.Close() })
	return s
}

func (s *closingServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for n := 1; ; n++ {
		req, err := http.ReadRequest(r)
		if err != nil {
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.drop(n) {
			s.dropped++
			s.mu.Unlock()
			return // closed as the request arrived: the sender sees EOF before any answer
		}
		s.answered = append(s.answered, string(body))
		s.mu.Unlock()
		if _, err := io.WriteString(c, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"); err != nil {
			return
		}
	}
}

func (s *closingServer) url() string { return "http://" + s.l.Addr().String() + "/inbox" }

// A peer that closes a kept-alive connection as a delivery goes out on it does not make the delivery
// wait for a retry: it is sent again at once, on a new connection.
func TestClientPostRetriesOnStaleConnection(t *testing.T) {
	srv := newClosingServer(t, func(n int) bool { return n > 1 }) // one request per connection, then gone
	c := NewClient(ClientOptions{AllowPrivate: true})
	ctx := context.Background()
	const posts = 6
	for i := range posts {
		body := []byte(`{"id":"https://example.org/a/` + string(rune('a'+i)) + `"}`)
		if err := c.Post(ctx, srv.url(), body, testSigner(t)); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.answered) != posts {
		t.Errorf("%d deliveries answered, want %d", len(srv.answered), posts)
	}
	if srv.dropped == 0 {
		t.Errorf("no delivery went out on a kept-alive connection (%d connections for %d posts): nothing was tested", srv.conns, posts)
	}
}

// A connection that fails on its first request is not a stale one: the peer is in trouble, and the
// delivery goes back to the queue's backoff rather than straight at it again.
func TestClientPostDoesNotRetryFreshConnection(t *testing.T) {
	srv := newClosingServer(t, func(int) bool { return true })
	c := NewClient(ClientOptions{AllowPrivate: true})
	if err := c.Post(context.Background(), srv.url(), []byte(`{}`), testSigner(t)); err == nil {
		t.Fatal("a peer that never answers: Post succeeded")
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.dropped != 1 || srv.conns != 1 {
		t.Errorf("%d requests on %d connections, want 1 on 1", srv.dropped, srv.conns)
	}
}
