package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"baton/notice"
	"baton/store"
)

// A project's genesis is what the admin sets before its first notice: when its record starts, its first
// maintainers (roles), and the release-signing keys already in use. This file reads the last two parts
// of a request; distros pin all of it.

// SigningKeyRequest is a release-signing key in a request: TYPE and FINGERPRINT, and the person (by
// name) who holds it.
type SigningKeyRequest struct {
	Type        string `json:"type"` // openpgp or ssh
	Fingerprint string `json:"fingerprint"`
	Holder      string `json:"holder,omitempty"`
}

// signingKeys reads keys from a request, each holder a person on this instance, resolved to their actor
// id. defaultHolder (a name) holds the keys that name nobody; a key held by someone else is refused
// when defaultHolder is set (a maintainer declares their own keys).
func (s *Server) signingKeys(ctx context.Context, reqs []SigningKeyRequest, defaultHolder string) ([]notice.SigningKey, []string, error) {
	var keys []notice.SigningKey
	var holders []string
	var errs []error
	for i, r := range reqs {
		at := fmt.Sprintf("signing_keys[%d]", i)
		k := notice.SigningKey{Type: notice.KeyType(strings.ToLower(strings.TrimSpace(r.Type))), Fingerprint: strings.ReplaceAll(strings.TrimSpace(r.Fingerprint), " ", "")}
		if err := notice.CheckFingerprint(k.Fingerprint); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", at, err))
			continue
		}
		if want := fingerprintType(k.Fingerprint); k.Type != want {
			errs = append(errs, fmt.Errorf("%s: type %q does not match the fingerprint, which is %s", at, r.Type, want))
			continue
		}
		holder := strings.TrimSpace(r.Holder)
		switch {
		case holder == "":
			holder = defaultHolder
		case defaultHolder != "" && holder != defaultHolder:
			errs = append(errs, fmt.Errorf("%s: held by %s, not %s: a maintainer declares their own keys", at, holder, defaultHolder))
			continue
		}
		if holder != "" {
			a, err := s.store.Actor(ctx, holder)
			if err != nil || a.Kind != store.KindPerson {
				errs = append(errs, fmt.Errorf("%s: holder %q is not a person on this instance: register them first, baton person add %s --key FILE.pub", at, holder, holder))
				continue
			}
			k.Holder = s.urls.Actor(holder)
			if !slices.Contains(holders, holder) {
				holders = append(holders, holder)
			}
		}
		keys = append(keys, k)
	}
	return keys, holders, errors.Join(errs...)
}

func fingerprintType(fp string) notice.KeyType {
	if strings.HasPrefix(fp, "SHA256:") {
		return notice.SSH
	}
	return notice.OpenPGP
}

// recordSince reads when a project's record starts: empty is now; otherwise a date no later than now,
// from which its notices may be dated.
func recordSince(v string, now time.Time) (time.Time, error) {
	if strings.TrimSpace(v) == "" {
		return time.Time{}, nil
	}
	t, err := notice.ParseDate(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("since: %w", err)
	}
	if t.After(now) {
		return time.Time{}, fmt.Errorf("since: %s is in the future: the record of a project starts at the latest when it is added", t.Format(notice.Date))
	}
	if t.Year() < 1970 {
		return time.Time{}, fmt.Errorf("since: %s is before 1970: give the date the project's recorded history starts", t.Format(notice.Date))
	}
	return t, nil
}

// addGenesisKeys adds keys to a project's genesis, answering 409 once the project has notices (its keys
// then change only through signer-change notices). It reports whether it went on.
func (s *Server) addGenesisKeys(w http.ResponseWriter, r *http.Request, project string, keys []notice.SigningKey) bool {
	if len(keys) == 0 {
		return true
	}
	err := s.store.AddGenesisKeys(r.Context(), project, keys)
	switch {
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, fmt.Sprintf("%s has notices now: its release-signing keys change only through signer-change notices", project))
	case err != nil:
		s.storeError(w, err, "signing keys")
	}
	return err == nil
}
