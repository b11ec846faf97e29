package federation

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// Bounds of the kept-alive connections in all (see maxIdleConns). An idle connection costs a file
// descriptor and some 30 KB (its buffers and two goroutines), so 4,096 of them cost about 120 MB.
const (
	minKeptConns = 64
	maxKeptConns = 4096
)

// Limits of fetches (GETs), which an inbox request may wait on: a key or an actor named by whoever
// sent it.
const (
	// FetchTimeout bounds one fetch, from waiting for a slot to the last byte of the body. It is well
	// inside the 30 s an inbox request may take (the server's write timeout), so that a fetch from a
	// server that drips its answer fails in time for the inbox to answer 503 rather than leave the
	// sender with a closed connection.
	FetchTimeout = 10 * time.Second
	// MaxFetchesPerHost and MaxFetches cap the fetches in flight to one host (and port) and in all, so
	// that a flood of requests whose keys point at a slow server ties up a few connections, not one
	// per request.
	MaxFetchesPerHost = 4
	MaxFetches        = 64
	// FetchSlotWait is how long a fetch waits for a free slot before it fails with ErrFetchCapacity.
	FetchSlotWait = 3 * time.Second
)

var (
	// ErrPrivateAddress is returned when a request would reach a loopback, private or link-local
	// address and the client does not allow it.
	ErrPrivateAddress = errors.New("address is private, loopback or link-local; refused")
	// ErrPlainHTTP is returned for a fetch over plain http where private addresses are not allowed:
	// anyone on the path could answer it, so an http:// key could speak for an https:// actor.
	ErrPlainHTTP = errors.New("plain http is refused; documents are fetched over https")
	// ErrFetchCapacity is returned when MaxFetchesPerHost or MaxFetches fetches are in flight and none
	// ended within FetchSlotWait. Trying again later may succeed.
	ErrFetchCapacity = errors.New("fetch capacity exhausted: too many fetches in flight; try again later")
	// ErrResponseTooLarge is returned for a body over MaxResponseBytes.
	ErrResponseTooLarge = fmt.Errorf("response larger than %d bytes", MaxResponseBytes)
	// ErrNotHTTPURL is returned for a URL the client never sends to.
	ErrNotHTTPURL = errors.New("not an http(s) URL")
)

// ContentTypeError is an answer whose media type is not one the request asked for: a file anyone
// can place on a host (served as text/plain or application/json) is not an ActivityPub document,
// however its body reads.
type ContentTypeError struct {
	URL         string
	ContentType string   // as the response gave it
	Want        []string // the media types asked for
}

func (e *ContentTypeError) Error() string {
	if e.ContentType == "" {
		return fmt.Sprintf("%s: the answer has no content type; want %s", e.URL, strings.Join(e.Want, " or "))
	}
	return fmt.Sprintf("%s: content type %q is not %s", e.URL, e.ContentType, strings.Join(e.Want, " or "))
}

// Signer is the key a request is signed with.
type Signer struct {
	KeyID string
	Key   crypto.PrivateKey
}

// Client makes Baton's outgoing requests: every one signed, none to a private address unless allowed.
type Client struct {
	http         *http.Client
	fresh        *http.Client // http on a connection of its own each time, for a POST a stale one lost
	userAgent    string
	now          func() time.Time
	allowPrivate bool

	fetches      flights     // fetches in flight, shared by everyone who asks for the same document
	slots        *fetchSlots // how many fetches may be in flight, per host and in all
	fetchTimeout time.Duration
	slotWait     time.Duration
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
		MaxIdleConns:        maxIdleConns(),
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	fresh := transport.Clone()
	fresh.DisableKeepAlives = true
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	httpClient := func(t *http.Transport) *http.Client {
		return &http.Client{
			Transport: t,
			Timeout:   RequestTimeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > maxRedirects {
					return fmt.Errorf("more than %d redirects", maxRedirects)
				}
				return checkScheme(req.Method, req.URL, opts.AllowPrivate)
			},
		}
	}
	return &Client{
		http:         httpClient(transport),
		fresh:        httpClient(fresh),
		userAgent:    opts.UserAgent,
		now:          now,
		allowPrivate: opts.AllowPrivate,
		slots:        newFetchSlots(MaxFetchesPerHost, MaxFetches),
		fetchTimeout: FetchTimeout,
		slotWait:     FetchSlotWait,
	}
}

// checkScheme refuses a fetch over plain http unless private addresses are allowed (tests and local
// setups serve plain http). Deliveries are not fetches: what they carry is signed and public.
func checkScheme(method string, u *url.URL, allowPrivate bool) error {
	if method == http.MethodGet && u.Scheme != "https" && !allowPrivate {
		return fmt.Errorf("%s: %w", u, ErrPlainHTTP)
	}
	return nil
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
// network" (0/8), the reserved 240/4 with broadcast, IPv6 site-local (deprecated, but still routed
// inside some sites), and local-use NAT64 (RFC 8215), whose operators place the IPv4 address where
// they like, so that it cannot be read to be checked.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("fec0::/10"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// IsPrivateAddress reports whether addr must not be reached from a public server: a private,
// loopback, link-local, multicast or unspecified address, or an IPv6 address that carries one of
// those IPv4 addresses for a transition mechanism that would deliver to it.
func IsPrivateAddress(addr netip.Addr) bool {
	addr = addr.Unmap()
	if isPrivateIP(addr) {
		return true
	}
	for _, v4 := range embeddedIPv4(addr) {
		if isPrivateIP(v4) {
			return true
		}
	}
	return false
}

func isPrivateIP(addr netip.Addr) bool {
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

// IPv6 prefixes whose addresses carry an IPv4 address that a tunnel, relay or translator delivers to.
var (
	ipv4Compatible = netip.MustParsePrefix("::/96")           // deprecated (RFC 4291), last 32 bits
	ipv4Translated = netip.MustParsePrefix("::ffff:0:0:0/96") // SIIT (RFC 2765), last 32 bits
	nat64          = netip.MustParsePrefix("64:ff9b::/96")    // well-known NAT64 (RFC 6052), last 32 bits
	sixToFour      = netip.MustParsePrefix("2002::/16")       // 6to4 (RFC 3056), bits 16-47
	teredo         = netip.MustParsePrefix("2001::/32")       // Teredo (RFC 4380), server and client
)

// embeddedIPv4 returns the IPv4 addresses an IPv6 address carries: a translator or tunnel on the
// path would deliver to them, so a public-looking IPv6 address could reach a private IPv4 one.
func embeddedIPv4(addr netip.Addr) []netip.Addr {
	if !addr.Is6() {
		return nil
	}
	b := addr.As16()
	v4 := func(p []byte) netip.Addr { return netip.AddrFrom4([4]byte(p)) }
	switch {
	case ipv4Compatible.Contains(addr), ipv4Translated.Contains(addr), nat64.Contains(addr):
		return []netip.Addr{v4(b[12:16])}
	case sixToFour.Contains(addr):
		return []netip.Addr{v4(b[2:6])}
	case teredo.Contains(addr):
		client := [4]byte{^b[12], ^b[13], ^b[14], ^b[15]} // stored inverted, so NATs leave it alone
		return []netip.Addr{v4(b[4:8]), netip.AddrFrom4(client)}
	case b[8]&^0x02 == 0 && b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe: // ISATAP (RFC 5214) interface id
		return []netip.Addr{v4(b[12:16])}
	}
	return nil
}

// StatusError is a response outside 2xx.
type StatusError struct {
	URL        string
	Status     int
	RetryAfter time.Duration // from a Retry-After header, when there was one
	// Reason is the answer's {"error": …}, when it gave one (Baton's and Mastodon's form), cut short.
	Reason string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// maxReasonBytes bounds the reason kept from an error answer: another server wrote it.
const maxReasonBytes = 500

// errorReason is the "error" a JSON error answer gives (Baton's inboxes and APIs say why they refused
// that way), clipped to maxReasonBytes; "" for any other answer.
func errorReason(body []byte) string {
	var doc struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	r := strings.ToValidUTF8(doc.Error, "")
	if len(r) > maxReasonBytes {
		r = strings.ToValidUTF8(r[:maxReasonBytes], "") + "…"
	}
	return r
}

// Get fetches an ActivityPub document (or whatever accept asks for), signed by signer, and returns at
// most MaxResponseBytes of its body with the URL that answered, after any redirects: a document speaks
// only for the host it came from. An answer of a media type accept does not name is refused with a
// *ContentTypeError.
//
// Callers asking at once for the same URL share one request and one body, which they must not
// modify. A fetch takes at most FetchTimeout, waiting for a slot included; when MaxFetchesPerHost or
// MaxFetches fetches are in flight it fails with ErrFetchCapacity.
func (c *Client) Get(ctx context.Context, rawURL, accept string, signer Signer) (body []byte, from string, err error) {
	u, err := c.requestURL(http.MethodGet, rawURL)
	if err != nil {
		return nil, "", err
	}
	key := strings.Join([]string{u.String(), accept, signer.KeyID}, "\x00")
	body, from, err = c.fetches.do(ctx, key, func(ctx context.Context) ([]byte, string, error) {
		return c.fetch(ctx, u, accept, signer)
	})
	if err != nil && errors.Is(err, ctx.Err()) { // the caller gave up waiting
		return nil, "", fmt.Errorf("fetch %s: %w", u, err)
	}
	return body, from, err
}

// fetch is one GET, run apart from any one caller's context: the callers who share it may come and go.
func (c *Client) fetch(ctx context.Context, u *url.URL, accept string, signer Signer) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.fetchTimeout)
	defer cancel()
	release, err := c.slots.acquire(ctx, strings.ToLower(u.Host), c.slotWait)
	if err != nil {
		return nil, "", fmt.Errorf("fetch %s: %w", u, err)
	}
	defer release()
	req, err := c.newRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", accept)
	if err := httpsign.Sign(req, nil, signer.KeyID, signer.Key, c.now()); err != nil {
		return nil, "", fmt.Errorf("sign GET %s: %w", u, err)
	}
	return c.do(c.http, req, accept)
}

// Post delivers an activity to an inbox, signed by signer.
//
// A POST that fails on a kept-alive connection before any byte of an answer came (broken pipe,
// connection reset, EOF) is sent again at once, as signed, on a connection of its own: the peer
// closed an idle connection just as the request went out on it (servers close idle connections after
// a few seconds, while the client keeps them 90 s), which says nothing of the peer. Without this, the
// delivery would wait for its retry's backoff. Nothing was answered, so the peer did not take the
// request; if it did take it without answering, the activity's id lets it see the second for a
// duplicate, as after any retry.
func (c *Client) Post(ctx context.Context, inbox string, body []byte, signer Signer) error {
	u, err := c.requestURL(http.MethodPost, inbox)
	if err != nil {
		return err
	}
	req, err := c.newRequest(ctx, http.MethodPost, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("Accept", Accept)
	if err := httpsign.Sign(req, body, signer.KeyID, signer.Key, c.now()); err != nil {
		return fmt.Errorf("sign POST %s: %w", inbox, err)
	}
	var reused, answered bool
	trace := &httptrace.ClientTrace{
		GotConn:              func(info httptrace.GotConnInfo) { reused = info.Reused },
		GotFirstResponseByte: func() { answered = true },
	}
	_, _, err = c.do(c.http, req.WithContext(httptrace.WithClientTrace(ctx, trace)), "")
	if err == nil || !reused || answered || !lostConnection(err) || req.GetBody == nil {
		return err
	}
	again := req.Clone(ctx)
	again.Body, again.GetBody = nil, nil
	if again.Body, err = req.GetBody(); err != nil {
		return err
	}
	_, _, err = c.do(c.fresh, again, "")
	return err
}

// lostConnection reports whether err is a connection the peer closed or reset.
func lostConnection(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// requestURL reads the URL a request goes to, refusing what the client never sends to.
func (c *Client) requestURL(method, rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s: %w", rawURL, ErrNotHTTPURL)
	}
	if err := checkScheme(method, u, c.allowPrivate); err != nil {
		return nil, err
	}
	return u, nil
}

func (c *Client) newRequest(ctx context.Context, method string, u *url.URL, body []byte) (*http.Request, error) {
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

// do sends req with client and returns the body and the URL that answered it. When accept is set, the
// answer must be of a media type it names.
func (c *Client) do(client *http.Client, req *http.Request, accept string) ([]byte, string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	from := resp.Request.URL.String()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Read whole (a short error body lets the connection be reused) for the reason it may give.
		errBody, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, "", &StatusError{URL: from, Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.now()),
			Reason: errorReason(errBody)}
	}
	if accept != "" {
		if err := checkContentType(resp, from, accept); err != nil {
			return nil, "", err
		}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", from, err)
	}
	if len(body) > MaxResponseBytes {
		return nil, "", fmt.Errorf("%s: %w", from, ErrResponseTooLarge)
	}
	return body, from, nil
}

// checkContentType refuses an answer of a media type accept does not name. Parameters do not count:
// application/ld+json is an ActivityPub document with any profile.
func checkContentType(resp *http.Response, from, accept string) error {
	want := mediaTypes(accept)
	if isWebFinger(resp.Request.URL) {
		// RFC 7033 servers answer JRD whatever was asked for; some still say plain JSON. The answer only
		// points at an actor, which is then fetched and checked like any other.
		want = append(want, JRDContentType, "application/json")
	}
	ct := resp.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (slices.Contains(want, mt) || slices.Contains(want, "*/*")) {
		return nil
	}
	return &ContentTypeError{URL: from, ContentType: ct, Want: want}
}

// mediaTypes lists the media types of an Accept value, without parameters.
func mediaTypes(accept string) []string {
	var out []string
	for part := range strings.SplitSeq(accept, ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && !slices.Contains(out, mt) {
			out = append(out, mt)
		}
	}
	return out
}

func isWebFinger(u *url.URL) bool { return u.Path == "/.well-known/webfinger" }

// maxRetryAfter is the longest wait a Retry-After is read as. A peer may ask for any number of
// seconds, and a wait past a day, or past what a Duration holds, would only lose the delivery.
const maxRetryAfter = 24 * time.Hour

// retryAfter reads Retry-After as seconds or as an HTTP date, at most maxRetryAfter.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	s, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err == nil && s > 0:
		return time.Duration(min(s, int64(maxRetryAfter/time.Second))) * time.Second
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-"):
		return maxRetryAfter // more seconds than an int64 holds
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

// flights are the fetches in flight by key. Whoever asks for a document being fetched waits for that
// fetch rather than starting another: a burst of requests signed with one key costs one fetch.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	done chan struct{}
	body []byte
	from string
	err  error
}

// do runs fn once for everyone asking for key at the same time. fn runs on its own, so that one caller
// giving up does not fail the others; each caller waits for it as long as its own ctx allows.
func (f *flights) do(ctx context.Context, key string, fn func(context.Context) ([]byte, string, error)) ([]byte, string, error) {
	f.mu.Lock()
	fl, ok := f.m[key]
	if !ok {
		fl = &flight{done: make(chan struct{})}
		if f.m == nil {
			f.m = map[string]*flight{}
		}
		f.m[key] = fl
		go func() {
			fl.body, fl.from, fl.err = fn(ctx)
			f.mu.Lock()
			delete(f.m, key)
			f.mu.Unlock()
			close(fl.done)
		}()
	}
	f.mu.Unlock()
	select {
	case <-fl.done:
		return fl.body, fl.from, fl.err
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
}

// fetchSlots cap the fetches in flight, per host and in all.
type fetchSlots struct {
	perHost int
	total   chan struct{}
	mu      sync.Mutex
	hosts   map[string]*hostSlots
}

// hostSlots are one host's slots; users counts who holds or waits for one, so that the entry of a
// host nobody fetches from is dropped.
type hostSlots struct {
	ch    chan struct{}
	users int
}

func newFetchSlots(perHost, total int) *fetchSlots {
	return &fetchSlots{perHost: perHost, total: make(chan struct{}, total), hosts: map[string]*hostSlots{}}
}

// acquire takes a slot of host and one of the total, waiting at most wait for them, and returns what
// gives them back.
func (s *fetchSlots) acquire(ctx context.Context, host string, wait time.Duration) (release func(), err error) {
	h := s.join(host)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case h.ch <- struct{}{}:
	case <-timer.C:
		s.leave(host, h)
		return nil, fmt.Errorf("%w (%d fetches to %s in flight)", ErrFetchCapacity, s.perHost, host)
	case <-ctx.Done():
		s.leave(host, h)
		return nil, ctx.Err()
	}
	select {
	case s.total <- struct{}{}:
	case <-timer.C:
		<-h.ch
		s.leave(host, h)
		return nil, fmt.Errorf("%w (%d fetches in flight)", ErrFetchCapacity, cap(s.total))
	case <-ctx.Done():
		<-h.ch
		s.leave(host, h)
		return nil, ctx.Err()
	}
	return func() {
		<-s.total
		<-h.ch
		s.leave(host, h)
	}, nil
}

func (s *fetchSlots) join(host string) *hostSlots {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hosts[host]
	if !ok {
		h = &hostSlots{ch: make(chan struct{}, s.perHost)}
		s.hosts[host] = h
	}
	h.users++
	return h
}

func (s *fetchSlots) leave(host string, h *hostSlots) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.users--; h.users == 0 {
		delete(s.hosts, host)
	}
}
