package federation

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"baton/federation/httpsign"
)

// Limits of the client, as Mastodon's (INTEROP.md).
const (
	MaxResponseBytes = 1 << 20
	ConnectTimeout   = 5 * time.Second
	ResponseTimeout  = 10 * time.Second
	RequestTimeout   = 30 * time.Second
	maxRedirects     = 3
)

// ErrPrivateAddress is returned when a request would reach a loopback, private or link-local address
// and the client does not allow it.
var ErrPrivateAddress = errors.New("address is private, loopback or link-local; refused")

// Signer is the key a request is signed with.
type Signer struct {
	KeyID string
	Key   crypto.PrivateKey
}

// Client makes Baton's outgoing requests: every one signed, none to a private address unless allowed.
type Client struct {
	http         *http.Client
	userAgent    string
	now          func() time.Time
	allowPrivate bool
}

// ClientOptions configure a Client.
type ClientOptions struct {
	AllowPrivate bool             // allow loopback, private and link-local addresses (tests, local setups)
	UserAgent    string           // e.g. "baton/0.1 (+https://notices.example.org/)"
	Now          func() time.Time // the clock signatures are dated by; time.Now when nil
}

// NewClient makes a Client. The address guard runs at connect time on the resolved address, so no
// DNS answer or redirect can lead a request to a private address.
func NewClient(opts ClientOptions) *Client {
	dialer := &net.Dialer{Timeout: ConnectTimeout}
	if !opts.AllowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   ConnectTimeout,
		ResponseHeaderTimeout: ResponseTimeout,
		// As many as the outbox's default workers: a burst of deliveries to one host (personal inboxes
		// queued together) then reuses its connections instead of opening and closing them.
		MaxIdleConnsPerHost: 16,
		MaxIdleConns:        1024, // in all: the file descriptors kept open stay bounded however many hosts
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Client{
		http: &http.Client{
			Transport: transport,
			Timeout:   RequestTimeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > maxRedirects {
					return fmt.Errorf("more than %d redirects", maxRedirects)
				}
				return nil
			},
		},
		userAgent:    opts.UserAgent,
		now:          now,
		allowPrivate: opts.AllowPrivate,
	}
}

// refusePrivate is the dialer's Control hook: it sees the address actually connected to.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", address, err)
	}
	if IsPrivateAddress(ap.Addr()) {
		return fmt.Errorf("connect to %s: %w", address, ErrPrivateAddress)
	}
	return nil
}

// reserved are ranges the standard library's predicates miss: carrier-grade NAT (RFC 6598), "this
// network" (0/8), the reserved 240/4 with broadcast, and NAT64 (which embeds any IPv4 address).
var reserved = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
}

// IsPrivateAddress reports whether addr must not be reached from a public server.
func IsPrivateAddress(addr netip.Addr) bool {
	addr = addr.Unmap()
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return true
	}
	for _, p := range reserved {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// StatusError is a response outside 2xx.
type StatusError struct {
	URL        string
	Status     int
	RetryAfter time.Duration // from a Retry-After header, when there was one
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// Get fetches an ActivityPub document (or whatever accept asks for), signed by signer, and returns at
// most MaxResponseBytes of its body with the URL that answered, after any redirects: a document speaks
// only for the host it came from.
func (c *Client) Get(ctx context.Context, rawURL, accept string, signer Signer) (body []byte, from string, err error) {
	req, err := c.newRequest(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", accept)
	if err := httpsign.Sign(req, nil, signer.KeyID, signer.Key, c.now()); err != nil {
		return nil, "", fmt.Errorf("sign GET %s: %w", rawURL, err)
	}
	return c.do(req)
}

// Post delivers an activity to an inbox, signed by signer.
func (c *Client) Post(ctx context.Context, inbox string, body []byte, signer Signer) error {
	req, err := c.newRequest(ctx, http.MethodPost, inbox, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("Accept", Accept)
	if err := httpsign.Sign(req, body, signer.KeyID, signer.Key, c.now()); err != nil {
		return fmt.Errorf("sign POST %s: %w", inbox, err)
	}
	_, _, err = c.do(req)
	return err
}

func (c *Client) newRequest(ctx context.Context, method, rawURL string, body []byte) (*http.Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s: not an http(s) URL", rawURL)
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reader)
	if err != nil {
		return nil, err
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	return req, nil
}

// do sends req and returns the body and the URL that answered it.
func (c *Client) do(req *http.Request) ([]byte, string, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	from := resp.Request.URL.String()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", from, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, "", &StatusError{URL: from, Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.now())}
	}
	if len(body) > MaxResponseBytes {
		return nil, "", fmt.Errorf("%s: response larger than %d bytes", from, MaxResponseBytes)
	}
	return body, from, nil
}

// retryAfter reads Retry-After as seconds or as an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
