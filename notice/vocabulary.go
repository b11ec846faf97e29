package notice

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Help is the kind of help a relief request asks for.
type Help string

// The kinds of help a maintainer can ask for.
const (
	HelpReview   Help = "review"
	HelpTriage   Help = "triage"
	HelpReleases Help = "releases"
	HelpSecurity Help = "security"
)

// Helps lists every kind of help.
var Helps = []Help{HelpReview, HelpTriage, HelpReleases, HelpSecurity}

// Right is something a maintainer may do for a project, or a piece of its infrastructure they control.
type Right string

// The rights a handover can pass on. The last five name infrastructure, which an infra-change moves.
const (
	RightCommit          Right = "commit"
	RightMerge           Right = "merge"
	RightReleaseSigning  Right = "release-signing"
	RightPublishing      Right = "publishing"
	RightSecurityContact Right = "security-contact"
	RightWebsite         Right = "website"
	RightDNS             Right = "dns"
	RightCI              Right = "ci"
	RightFuzzingContact  Right = "fuzzing-contact"
)

// Rights lists every right; the project's first maintainers hold them all.
var Rights = []Right{RightCommit, RightMerge, RightReleaseSigning, RightPublishing, RightSecurityContact,
	RightWebsite, RightDNS, RightCI, RightFuzzingContact}

// InfraFields lists the rights that name infrastructure: the fields an infra-change can move.
var InfraFields = []Right{RightSecurityContact, RightWebsite, RightDNS, RightCI, RightFuzzingContact}

// Mode says how a handover shares rights.
type Mode string

// The modes of a handover.
const (
	CoMaintainer Mode = "co-maintainer" // the incoming join; the outgoing keep their rights
	Interim      Mode = "interim"       // the incoming hold the scope until the notice's Until
	Successor    Mode = "successor"     // the scope passes: the outgoing lose it
)

// Modes lists every mode.
var Modes = []Mode{CoMaintainer, Interim, Successor}

// KeyType names the kind of a release-signing key.
type KeyType string

// The kinds of release-signing key Baton knows.
const (
	OpenPGP KeyType = "openpgp"
	SSH     KeyType = "ssh"
)

// KeyTypes lists every key type.
var KeyTypes = []KeyType{OpenPGP, SSH}

// SigningKey is a release-signing key as a signer-change names it.
type SigningKey struct {
	Fingerprint string  `json:"fingerprint,omitzero"` // OpenPGP: 40 (v4) or 64 (v5) hex digits; SSH: "SHA256:" and 43 base64 characters
	Type        KeyType `json:"type,omitzero"`        // openpgp or ssh
	Holder      string  `json:"holder,omitzero"`      // the person who holds it
}

// InfraMove is one piece of infrastructure changing hands in an infra-change.
type InfraMove struct {
	Field Right  `json:"field,omitzero"` // one of InfraFields
	From  string `json:"from,omitzero"`  // the old address or owner, if known
	To    string `json:"to,omitzero"`    // the new address or owner
}

var (
	openPGPFingerprint = regexp.MustCompile(`^([0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$`)
	sshFingerprint     = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)
)

// checkFingerprint says why fp is not a fingerprint of a key of type t, or nil.
func checkFingerprint(t KeyType, fp string) error {
	switch t {
	case OpenPGP:
		if !openPGPFingerprint.MatchString(fp) {
			return fmt.Errorf("fingerprint %q: an OpenPGP fingerprint is 40 (v4) or 64 (v5) hex digits, without spaces", fp)
		}
	case SSH:
		// The pattern alone admits 43 characters whose last carries stray bits; strict decoding does not.
		if !sshFingerprint.MatchString(fp) || !strictBase64(strings.TrimPrefix(fp, "SHA256:")) {
			return fmt.Errorf("fingerprint %q: an SSH fingerprint is \"SHA256:\" and 43 base64 characters, as ssh-keygen -l prints it", fp)
		}
	}
	return nil
}

// CheckFingerprint says why fp is not the fingerprint of a release-signing key, or nil: an OpenPGP
// fingerprint (40 or 64 hex digits; a 16-digit long key id names no key for certain) or an SSH one.
func CheckFingerprint(fp string) error {
	if strings.HasPrefix(fp, "SHA256:") {
		return checkFingerprint(SSH, fp)
	}
	if strings.HasPrefix(strings.ToLower(fp), "0x") {
		return fmt.Errorf("fingerprint %q: give the whole fingerprint without 0x (gpg --fingerprint prints it)", fp)
	}
	if len(fp) == 16 {
		return fmt.Errorf("fingerprint %q is a long key id, which two keys can share: give the whole 40-digit fingerprint", fp)
	}
	return checkFingerprint(OpenPGP, fp)
}

func strictBase64(s string) bool {
	_, err := base64.RawStdEncoding.Strict().DecodeString(s)
	return err == nil
}

// sameFingerprint compares fingerprints as people write them: OpenPGP hex in either case.
func sameFingerprint(a, b string) bool {
	if strings.HasPrefix(a, "SHA256:") || strings.HasPrefix(b, "SHA256:") {
		return a == b
	}
	return strings.EqualFold(a, b)
}

// isOneOf reports whether v is one of all.
func isOneOf[T ~string](v T, all []T) bool { return slices.Contains(all, v) }

// list joins words for a message: "review, triage, releases, security".
func list[T ~string](all []T) string {
	words := make([]string, len(all))
	for i, w := range all {
		words[i] = string(w)
	}
	return strings.Join(words, ", ")
}

// RightsText names rights as pages and check print them: "every right", or the rights listed.
func RightsText(rights []Right) string {
	if len(rights) == len(Rights) {
		return "every right"
	}
	return list(rights)
}

// RightsHeld lists the rights a maintainer holds.
func (m Maintainer) RightsHeld() []Right {
	out := make([]Right, len(m.Rights))
	for i, g := range m.Rights {
		out[i] = g.Right
	}
	return out
}
