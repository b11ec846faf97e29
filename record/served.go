package record

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"baton/federation"
	"baton/notice"
)

// ServedType is the type of the record an instance serves of one of its people.
const ServedType = "PersonRecord"

// MaxServedNotices bounds the notices a served record lists, and those the asking side fetches.
const MaxServedNotices = 100

// Served is the record an instance serves of one of its people at ACTOR/record: the notices that name
// them and the roles it gave them, each pointing at where the asking side can check it.
type Served struct {
	Context   any          `json:"@context"`
	ID        string       `json:"id"`
	Type      string       `json:"type"`
	Person    string       `json:"person"`
	Published time.Time    `json:"published"`
	Notices   []string     `json:"notices"` // public notices that name them, oldest first
	Roles     []ServedRole `json:"roles"`
}

// ServedRole is a role an instance gave a person, and the project actor, on the same instance, whose
// genesis (a first maintainer) or stewards (a steward) lists them.
type ServedRole struct {
	Role     string    `json:"role"` // "maintainer" or "steward"
	Project  string    `json:"project,omitempty"`
	Since    time.Time `json:"since"`
	Evidence string    `json:"evidence"`
}

var servedContext = []any{
	federation.ActivityStreamsContext,
	map[string]any{
		"baton":        federation.BatonNamespace,
		"PersonRecord": "baton:PersonRecord",
		"person":       map[string]string{"@id": "baton:person", "@type": "@id"},
		"notices":      map[string]string{"@id": "baton:notices", "@type": "@id"},
		"roles":        "baton:roles",
		"role":         "baton:role",
		"project":      map[string]string{"@id": "baton:project", "@type": "@id"},
		"since":        "baton:since",
		"evidence":     map[string]string{"@id": "baton:evidence", "@type": "@id"},
	},
}

// ServedDocument writes the record an instance serves.
func ServedDocument(id, person string, published time.Time, notices []string, roles []ServedRole) ([]byte, error) {
	if len(notices) > MaxServedNotices {
		notices = notices[len(notices)-MaxServedNotices:] // the most recent
	}
	return json.Marshal(Served{Context: servedContext, ID: id, Type: ServedType, Person: person, Published: published.UTC(),
		Notices: append([]string{}, notices...), Roles: append([]ServedRole{}, roles...)})
}

// Names reports whether a notice names person: as its author, an outgoing or incoming maintainer, a
// holder of a key it adds or removes, or one of its signers.
func Names(n notice.Notice, signers []string, person string) bool {
	if n.Author == person || slices.Contains(n.From, person) || slices.Contains(n.To, person) || slices.Contains(signers, person) {
		return true
	}
	for _, k := range slices.Concat(n.KeysAdded, n.KeysRemoved) {
		if k.Holder == person {
			return true
		}
	}
	return false
}

func parseServed(doc []byte, person string) (Served, error) {
	var s Served
	if err := json.Unmarshal(doc, &s); err != nil {
		return Served{}, fmt.Errorf("the record is not JSON: %w", err)
	}
	if s.Type != ServedType || s.Person != person {
		return Served{}, fmt.Errorf("the record is a %q of %q, not a %s of %s", s.Type, s.Person, ServedType, person)
	}
	return s, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
