package notice

import (
	"errors"
	"fmt"
	"strings"
)

// Kind names what a notice says about a project.
type Kind string

// The kinds of notice, as DESIGN.md lists them.
const (
	ReliefRequest   Kind = "relief-request"
	CallForStewards Kind = "call-for-stewards"
	Hiatus          Kind = "hiatus"
	Handover        Kind = "handover"
	SignerChange    Kind = "signer-change"
	InfraChange     Kind = "infra-change"
	Scrutiny        Kind = "scrutiny"
	Return          Kind = "return"
	Retirement      Kind = "retirement"
	Revocation      Kind = "revocation"
)

// ErrReliefByCase refuses a new relief request: its words would be kept in plain text on the instance,
// and in its copies and backups. A maintainer asks for relief in a confidential case instead, sealed
// to the stewards' keys on their own machine. Relief requests stored before stay in the record, and
// readable by stewards.
var ErrReliefByCase = errors.New("a relief request is no longer published as a notice, which the instance would keep in plain text: " +
	"open a confidential relief case with the stewards instead, sealed on your machine (baton relief open --project P --as NAME --key FILE --text ...)")

// Kinds lists every kind in the order DESIGN.md gives them.
var Kinds = []Kind{ReliefRequest, CallForStewards, Hiatus, Handover, SignerChange, InfraChange,
	Scrutiny, Return, Retirement, Revocation}

// kindInfo holds what the rest of Baton needs to know about a kind.
type kindInfo struct {
	title   string // how a packager reads the kind's name
	hashtag string // the hashtag every notice of this kind carries
	public  bool   // false: addressed to stewards only, never shown publicly
}

var kinds = map[Kind]kindInfo{
	ReliefRequest:   {"Relief request", "MaintainerRelief", false},
	CallForStewards: {"Call for stewards", "CallForStewards", true},
	Hiatus:          {"Hiatus", "MaintainerHiatus", true},
	Handover:        {"Handover", "MaintainerHandover", true},
	SignerChange:    {"Signer change", "SignerChange", true},
	InfraChange:     {"Infrastructure change", "InfraChange", true},
	Scrutiny:        {"Scrutiny window", "ScrutinyWindow", true},
	Return:          {"Return", "MaintainerReturn", true},
	Retirement:      {"Retirement", "MaintainerRetirement", true},
	Revocation:      {"Revocation", "NoticeRevoked", true},
}

// ParseKind returns the kind named s, or an error listing the kinds there are.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := kinds[k]; !ok {
		return "", unknownKind(s)
	}
	return k, nil
}

func unknownKind(s string) error {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("kind: required, one of: %s", strings.Join(names, ", "))
	}
	return fmt.Errorf("unknown notice kind %q (one of: %s)", s, strings.Join(names, ", "))
}

// Title is the kind's name as a packager reads it ("Hiatus", "Handover").
func (k Kind) Title() string { return kinds[k].title }

// Hashtag is the kind's hashtag without the '#'.
func (k Kind) Hashtag() string { return kinds[k].hashtag }

// Public reports whether notices of this kind may be shown to anyone; a relief request is not, since a
// public list of exhausted sole maintainers is a target list. A call for stewards may be public; whether
// a given one is, Notice.Audience says.
func (k Kind) Public() bool { return kinds[k].public }

// advice is what a packager should do on reading a notice of each kind.
var advice = map[Kind]string{
	ReliefRequest:   "The maintainer asks the stewards for help.",
	CallForStewards: "The foundation looks for trusted people to step in.",
	Hiatus:          "While the maintainer is away, treat new commits and releases with extra care.",
	Handover:        "Treat new commits and releases with extra care while the new maintainers settle in.",
	SignerChange:    "Check release signatures against the keys this notice names before taking a new release.",
	InfraChange:     "Update the contacts and addresses you keep for this project, and check the change is genuine.",
	Scrutiny:        "Review new commits and releases with extra care during this window.",
	Return:          "The maintainer is back; the hiatus has ended.",
	Retirement:      "Plan for the project's future: it may need a new maintainer or a fork.",
	Revocation:      "Do not rely on the notice this revokes; review what you took on its strength.",
}

// Advice says what a packager should do on reading a notice of kind k.
func (k Kind) Advice() string { return advice[k] }
