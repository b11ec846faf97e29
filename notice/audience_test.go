package notice

import (
	"slices"
	"testing"
)

func TestAudience(t *testing.T) {
	call := goodNotice(CallForStewards)
	private := call
	private.Public = false
	bareCall := Notice{Project: "xz", Kind: CallForStewards, Text: "Help."}
	tests := []struct {
		name string
		n    Notice
		want Audience
	}{
		{"relief request", goodNotice(ReliefRequest), AudienceStewards},
		{"relief request that asks to be public", with(goodNotice(ReliefRequest), func(n *Notice) { n.Public = true }), AudienceStewards},
		{"public call for stewards", call, AudiencePublic},
		{"call for stewards", private, AudienceStewards},
		{"call for stewards that does not say", bareCall, AudienceStewards},
		{"handover", goodNotice(Handover), AudiencePublic},
		{"unknown kind", Notice{Kind: "holiday"}, AudienceStewards},
	}
	for _, k := range Kinds {
		if k != ReliefRequest && k != CallForStewards {
			tests = append(tests, struct {
				name string
				n    Notice
				want Audience
			}{string(k), goodNotice(k), AudiencePublic})
		}
	}
	for _, tt := range tests {
		if got := tt.n.Audience(); got != tt.want {
			t.Errorf("%s: Audience() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCheckRecipients(t *testing.T) {
	const asPublic = "https://www.w3.org/ns/activitystreams#Public"
	relief := goodNotice(ReliefRequest)
	tests := []struct {
		name       string
		n          Notice
		recipients []string
		want       []string
	}{
		{"relief request to stewards", relief, people(steward, sarah), nil},
		{"relief request to nobody", relief, nil, nil},
		{"relief request reaching a non-steward", relief, people(steward, dan), []string{"relief-request is for stewards only: dan is not a steward"}},
		{"relief request to the public", relief, people(asPublic, ann), []string{
			"relief-request is for stewards only: " + asPublic + " is not a steward",
			"relief-request is for stewards only: ann is not a steward"}},
		{"private call for stewards to a follower", with(goodNotice(CallForStewards), func(n *Notice) { n.Public = false }), people(dan),
			[]string{"call-for-stewards is for stewards only: dan is not a steward"}},
		{"public call for stewards to anyone", goodNotice(CallForStewards), people(dan, asPublic), nil},
		{"handover to anyone", goodNotice(Handover), people(dan, asPublic), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErrors(t, CheckRecipients(tt.n, tt.recipients, stewards), tt.want...) })
	}
}

func TestPublicView(t *testing.T) {
	ahead := hiatusBy(ann)
	ahead.Since = day("2023-09-01")
	notices := []Signed{
		pub("rr", "2023-01-01", goodNotice(ReliefRequest), ann),
		pub("a", "2023-02-01", hiatusBy(ann), ann),
		pub("c", "2023-03-01", with(goodNotice(CallForStewards), func(n *Notice) { n.Public = false }), ann),
		pub("b", "2023-04-01", ahead, ann),
	}
	tests := []struct {
		at   string
		want []string
	}{
		{"2023-01-31", []string{}},
		{"2023-02-01", []string{"a"}},
		{"2023-04-01", []string{"a", "b"}}, // announced ahead: seen when published
	}
	for _, tt := range tests {
		if got := ids(PublicView(notices, day(tt.at))); !slices.Equal(got, tt.want) {
			t.Errorf("PublicView at %s = %v, want %v", tt.at, got, tt.want)
		}
	}
}
