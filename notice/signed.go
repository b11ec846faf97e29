package notice

import "time"

// Signed is a notice as published: its id, when the instance published it, and the proofs that
// verified. Endorsements may be added after publication, so Proofs can grow; each says when it was made.
type Signed struct {
	ID        string    // the notice's id (in practice its URL)
	Published time.Time // when the instance published it
	Notice    Notice
	Proofs    []Proof
	// ByInstance marks a notice the instance's admin published for a project that has no maintainers:
	// its author is the project itself, whose key signs every Note, and it carries no person's proof
	// of authorship. See ByInstance for what it may say.
	ByInstance bool
}

// concerned is the maintainer a hiatus, return or retirement is about: nobody in particular ("") for
// the instance's, which speaks of the project itself.
func (s Signed) concerned() string {
	if s.ByInstance {
		return ""
	}
	return s.Notice.concerned()
}

// Proof is a proof on a notice that verified, reduced to what the trust policy needs: who made it,
// with which key, and when. Verifying it and mapping its key to a person happen outside this package.
type Proof struct {
	Person  string    // whose key made it
	Key     string    // the fingerprint of the key that made it, if known
	Created time.Time // when it was made; zero: when the notice was published
}

// Effective is when the notice takes effect: its Since, else when it was published.
func (s Signed) Effective() time.Time {
	if s.Notice.Since.IsZero() {
		return s.Published
	}
	return s.Notice.Since
}

// BackdateGrace is how long after it took effect a notice may be published and still read as news:
// a notice published later than that records the past, and says so wherever it is shown.
const BackdateGrace = 24 * time.Hour

// Backdated reports whether s was published more than BackdateGrace after it took effect.
func (s Signed) Backdated() bool { return s.Published.Sub(s.Effective()) > BackdateGrace }

// Known is when a packager could first act on s: the later of when it took effect and when it was
// published. Windows and every time-bound effect of a change of rights run from here as known, so
// dating a notice back never shortens or skips them.
func (s Signed) Known() time.Time {
	if s.Published.After(s.Effective()) {
		return s.Published
	}
	return s.Effective()
}

// madeBy reports whether p counts at at: a proof made later did not exist yet.
func (p Proof) madeBy(at, published time.Time) bool {
	created := p.Created
	if created.IsZero() {
		created = published
	}
	return !created.After(at)
}
