// Package httpsign signs and verifies HTTP Signatures (draft-cavage) the way the fediverse speaks
// them: it signs like Mastodon and verifies with Mastodon's rules.
//
// It is the one place that wraps github.com/go-fed/httpsig. That library computes signature strings
// and does the cryptography, but it leaves gaps that this package closes:
//   - it does not check the Digest against the body, the Date's freshness, or which headers were
//     signed: Verify does all three before any key is fetched;
//   - it writes algorithm="hs2019" and cannot verify "hs2019": Sign writes "rsa-sha256" for RSA keys
//     as Mastodon does, and Verify picks the algorithm from the key's type, never from the header;
//   - its signers fix their state when made and are not safe to share: Sign makes one per call;
//   - its header parser splits on every comma and trips on spaces: Verify parses the header itself and
//     hands go-fed a canonical copy;
//   - it signs the decoded path and always the query: Sign signs the path as sent, and Verify accepts
//     the request target with and without the query string, encoded and decoded;
//   - its verifier writes Host into the request's header map: Verify hands it a copy, with Host taken
//     from req.Host when the map lacks it (server-side requests);
//   - it checks created and expires parameters against the wall clock with 10 s of slack, not against
//     the time given to Verify: Verify passes them on only when (created)/(expires) are signed, so a
//     signed (created) more than 10 s ahead of this host's clock fails although Mastodon allows 1 h.
//
// Replay protection beyond the time window (a cache of seen signatures) is the caller's job.
package httpsign

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"baton/refusal"
)

// The time window, copied from Mastodon (SignatureVerification: CLOCK_SKEW_MARGIN,
// EXPIRATION_WINDOW_LIMIT and the 5-minute default expiry).
//
// A signature is "created" at its signed Date header (or its signed (created) parameter) and
// "expires" at its signed (expires) parameter, or SignatureLifetime after creation when there is
// none; expiry is capped at MaxSignatureLifetime after creation. Verify refuses a signature created
// more than MaxClockSkew in the future or checked more than MaxClockSkew after it expired. For
// ordinary requests that means: Date at most 1 h ahead and at most MaxDateAge (65 min) old.
//
// Unlike Mastodon, created and expires parameters count only when (created) and (expires) are
// among the signed headers: unsigned parameters can be edited by whoever replays the request.
const (
	MaxClockSkew         = time.Hour
	SignatureLifetime    = 5 * time.Minute
	MaxSignatureLifetime = 12 * time.Hour
	MaxDateAge           = SignatureLifetime + MaxClockSkew
)

// KeyResolver returns the public key for keyID and the actor that owns it. refresh=true asks the
// resolver to bypass its cache (called once after a failed verification with a cached key: key
// rotation). A resolver that knows the key does not exist (404, 410) should wrap ErrKeyNotFound;
// any other error means the key could not be fetched now.
type KeyResolver func(ctx context.Context, keyID string, refresh bool) (key crypto.PublicKey, owner string, err error)

// ErrKeyNotFound, wrapped in a resolver's error, says the key is gone for good: Verify answers
// 401 rather than 503, so the sender does not retry for weeks (a deleted actor's last Delete).
var ErrKeyNotFound = errors.New("key not found")

// Verified tells who signed.
type Verified struct {
	KeyID, Owner string
}

// Error is what verification failures return. Status is the HTTP status the server should answer:
// 400 malformed header, 401 signature problems, 503 the key could not be fetched. Reason names the
// problem for the {"error": ...} body; Err is the cause.
type Error = refusal.Error

func malformed(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Reason: fmt.Sprintf(format, args...)}
}

func unauthorized(format string, args ...any) *Error {
	return &Error{Status: http.StatusUnauthorized, Reason: fmt.Sprintf(format, args...)}
}

// human writes durations the way people say them: "2h", "1h5m", "30s".
func human(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
