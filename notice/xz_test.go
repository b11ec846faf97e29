package notice

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The xz-utils replay (testdata/xz-timeline.md): the notices Baton would have carried from 2021 to
// 2024, and what a packager following @xz would have seen, and `baton check` answered, on each date.

const xzNotices = "https://notices.example.org/notices/"

var (
	lasse    = "https://notices.example.org/people/lasse-collin"
	jia      = "https://notices.example.org/people/jia-tan" // registered like anyone, with no history
	jigar    = "https://notices.example.org/people/jigar-kumar"
	dennis   = "https://notices.example.org/people/dennis-ens"
	xzStewa  = "https://notices.example.org/people/steward-a" // the instance's two stewards, who never endorse
	xzStewb  = "https://notices.example.org/people/steward-b"
	lasseKey = "3690C240CE51B4670D30AD1C38EE757D69184620" // Lasse Collin's release-signing key
	jiaKey   = "22D465F2B4C173803B20C6DE59FCF207FEA7F445" // Jia Tan's, first used for 5.4.2
)

func xzID(n int) string { return xzNotices + strconv.Itoa(n) }

func xzGenesis() Genesis {
	return Genesis{Project: "xz", Maintainers: people(lasse), Keys: []SigningKey{pgp(lasseKey, lasse)}, Since: day("2021-01-01")}
}

// xzNoticeLog is every notice in the order the instance published it.
func xzNoticeLog() []Signed {
	xz := func(kind Kind, author, text string) Notice {
		return Notice{Project: "xz", Kind: kind, Author: author, Text: text}
	}
	relief := xz(ReliefRequest, lasse, "Long-term mental health issues limit what I can do; reviews and releases are slow.")
	relief.Help = []Help{HelpReview, HelpReleases}

	call := xz(CallForStewards, lasse, "XZ Utils looks for a trusted co-maintainer.")
	call.Role, call.Requirements, call.Public = "co-maintainer", "A track record in C and in compression code.", true
	call.Scope, call.Term = []Right{RightCommit, RightMerge}, Term{Months: 6}

	hiatus := xz(Hiatus, lasse, "My capacity is limited for now; expect slow answers.")

	contact := xz(InfraChange, lasse, "Lasse Collin and Jia Tan can be reached at xz@tukaani.org.")
	contact.Infra = []InfraMove{{Field: RightSecurityContact, From: "lasse.collin@tukaani.org", To: "xz@tukaani.org"}}

	commit := xz(Handover, lasse, "Jia Tan joins as co-maintainer with commit rights.")
	commit.From, commit.To, commit.Mode, commit.Scope = people(lasse), people(jia), CoMaintainer, []Right{RightCommit}

	key := xz(SignerChange, jia, "Releases from 5.4.2 on are signed with Jia Tan's key.")
	key.KeysAdded = []SigningKey{pgp(jiaKey, jia)}

	fuzz := xz(InfraChange, jia, "The oss-fuzz contact is now Jia Tan.")
	fuzz.Infra = []InfraMove{{Field: RightFuzzingContact, From: "lasse.collin@tukaani.org", To: "jiat0218@gmail.com"}}

	site := xz(InfraChange, jia, "The website moves to GitHub Pages.")
	site.Infra = []InfraMove{{Field: RightWebsite, From: "https://tukaani.org/xz/", To: "https://xz.tukaani.org/"}}

	revoke := xz(Revocation, lasse, "The 2022 handover to Jia Tan and his signing key are revoked.")
	revoke.Revokes, revoke.Reason = people(xzID(5), xzID(6)), "Jia Tan's 5.6.0 and 5.6.1 carry a backdoor (CVE-2024-3094)."

	return []Signed{
		pub(xzID(1), "2022-06-08", relief, lasse),
		pub(xzID(2), "2022-06-21", call, lasse),
		pub(xzID(3), "2022-06-21", hiatus, lasse),
		pub(xzID(4), "2022-11-30", contact, lasse),
		pub(xzID(5), "2022-12-30", commit, lasse, jia),
		// Jia Tan held commit rights only: what he changed beyond them took Lasse Collin's consent.
		pub(xzID(6), "2023-03-18", key, jia, lasse),
		pub(xzID(7), "2023-03-20", fuzz, jia, lasse),
		pub(xzID(8), "2024-01-19", site, jia, lasse),
		pub(xzID(9), "2024-03-29", revoke, lasse),
	}
}

var xzStewards = []string{xzStewa, xzStewb}

func TestXZReplay(t *testing.T) {
	log := xzNoticeLog()
	open := "lasse-collin=all"
	shared := "lasse-collin=all jia-tan=commit"
	tests := []struct {
		date        string
		event       string
		public      []int  // ids of the public notices a follower has seen
		maintainers string // who holds what
		code        int    // what `baton check xz --at date` exits with
		window      string // the scrutiny window, "since..until", or ""
		reasons     []int  // the notices that opened or extended it
		unendorsed  []int
		relief      int    // pending relief requests, as stewards see them
		jiaKey      string // what the project announced about Jia Tan's key
	}{
		{"2021-10-29", "Jia Tan's first patch", nil, open, ExitNormal, "", nil, nil, 0, "unknown"},
		{"2022-06-08", "Lasse Collin's relief request: private", nil, open, ExitNormal, "", nil, nil, 1, "unknown"},
		{"2022-06-21", "call for stewards; hiatus", []int{2, 3}, open, ExitAway, "", nil, nil, 1, "unknown"},
		// The window opens with the security-contact move, a month before the handover: the contact
		// now reaches Jia Tan. That move needs stewards too, and has none, so check answers 3 already.
		{"2022-11-30", "security contact moves", []int{2, 3, 4}, open, ExitUnendorsed, "2022-11-30..2023-11-30", []int{4}, []int{4}, 1, "unknown"},
		{"2022-12-30", "Jia Tan gets commit rights", []int{2, 3, 4, 5}, shared, ExitUnendorsed, "2022-11-30..2023-12-30", []int{4, 5}, []int{4, 5}, 0, "unknown"},
		{"2023-01-11", "5.4.1, Lasse Collin's last release", []int{2, 3, 4, 5}, shared, ExitUnendorsed, "2022-11-30..2023-12-30", []int{4, 5}, []int{4, 5}, 0, "unknown"},
		{"2023-03-18", "5.4.2, signed by Jia Tan's key", []int{2, 3, 4, 5, 6}, shared, ExitUnendorsed, "2022-11-30..2024-03-17", []int{4, 5, 6}, []int{4, 5, 6}, 0, "valid 2023-03-18 " + xzID(6) + " unendorsed"},
		{"2023-03-20", "the oss-fuzz contact moves", []int{2, 3, 4, 5, 6, 7}, shared, ExitUnendorsed, "2022-11-30..2024-03-19", []int{4, 5, 6, 7}, []int{4, 5, 6, 7}, 0, "valid 2023-03-18 " + xzID(6) + " unendorsed"},
		{"2023-07-07", "ifunc disabled in oss-fuzz", []int{2, 3, 4, 5, 6, 7}, shared, ExitUnendorsed, "2022-11-30..2024-03-19", []int{4, 5, 6, 7}, []int{4, 5, 6, 7}, 0, "valid 2023-03-18 " + xzID(6) + " unendorsed"},
		{"2024-01-19", "the website moves", []int{2, 3, 4, 5, 6, 7, 8}, shared, ExitUnendorsed, "2022-11-30..2025-01-18", []int{4, 5, 6, 7, 8}, []int{4, 5, 6, 7, 8}, 0, "valid 2023-03-18 " + xzID(6) + " unendorsed"},
		{"2024-02-24", "5.6.0, backdoored", []int{2, 3, 4, 5, 6, 7, 8}, shared, ExitUnendorsed, "2022-11-30..2025-01-18", []int{4, 5, 6, 7, 8}, []int{4, 5, 6, 7, 8}, 0, "valid 2023-03-18 " + xzID(6) + " unendorsed"},
		{"2024-03-09", "5.6.1", []int{2, 3, 4, 5, 6, 7, 8}, shared, ExitUnendorsed, "2022-11-30..2025-01-18", []int{4, 5, 6, 7, 8}, []int{4, 5, 6, 7, 8}, 0, "valid 2023-03-18 " + xzID(6) + " unendorsed"},
		{"2024-03-25", "bump requests to Debian and Ubuntu", []int{2, 3, 4, 5, 6, 7, 8}, shared, ExitUnendorsed, "2022-11-30..2025-01-18", []int{4, 5, 6, 7, 8}, []int{4, 5, 6, 7, 8}, 0, "valid 2023-03-18 " + xzID(6) + " unendorsed"},
		// The revocation takes Jia Tan's commit rights back and revokes his key; it extends the window
		// by a year. The 2022 security-contact move was never endorsed nor revoked, so check still says 3.
		// The handover that answered Lasse Collin's relief request is void, so the request is pending
		// again: the stewards see that he still needs help.
		{"2024-03-29", "the backdoor is disclosed", []int{2, 3, 4, 5, 6, 7, 8, 9}, open, ExitUnendorsed, "2022-11-30..2025-03-29", []int{4, 5, 6, 7, 8, 9}, []int{4, 7, 8, 9}, 1, "revoked 2023-03-18 " + xzID(6) + " unendorsed"},
	}
	for _, tt := range tests {
		t.Run(tt.date+" "+tt.event, func(t *testing.T) {
			at := day(tt.date)
			st := Fold(xzGenesis(), log, xzStewards, DefaultPolicy(), at)
			if len(st.Rejected) > 0 {
				t.Fatalf("rejected: %q", rejected(st))
			}
			if got := ids(PublicView(log, at)); !slices.Equal(got, xzIDs(tt.public)) {
				t.Errorf("a follower has seen %v, want %v", got, xzIDs(tt.public))
			}
			if got := strings.ReplaceAll(maintainers(st), "https://notices.example.org/people/", ""); got != tt.maintainers {
				t.Errorf("maintainers = %q, want %q", got, tt.maintainers)
			}
			if v := Check(st); v.Code != tt.code {
				t.Errorf("check = %d, want %d: %q", v.Code, tt.code, v.Reasons)
			}
			w := ""
			if st.Scrutiny.Open() {
				w = st.Scrutiny.Since.Format(Date) + ".." + st.Scrutiny.Until.Format(Date)
			}
			if w != tt.window {
				t.Errorf("scrutiny window = %q, want %q", w, tt.window)
			}
			var reasons, unendorsed []string
			for _, r := range st.Scrutiny.Reasons {
				reasons = append(reasons, r.Notice)
			}
			for _, u := range st.Unendorsed {
				unendorsed = append(unendorsed, u.Notice)
			}
			if !slices.Equal(reasons, xzIDs(tt.reasons)) {
				t.Errorf("window opened by %v, want %v", reasons, xzIDs(tt.reasons))
			}
			if !slices.Equal(unendorsed, xzIDs(tt.unendorsed)) {
				t.Errorf("unendorsed %v, want %v", unendorsed, xzIDs(tt.unendorsed))
			}
			if len(st.PendingRelief) != tt.relief {
				t.Errorf("stewards see %d pending relief requests, want %d", len(st.PendingRelief), tt.relief)
			}
			if got := signerSummary(st, jiaKey); got != tt.jiaKey {
				t.Errorf("Jia Tan's key: %q, want %q", got, tt.jiaKey)
			}
			if got := signerSummary(st, lasseKey); got != "valid 2021-01-01 - endorsed" {
				t.Errorf("Lasse Collin's key: %q, want valid since genesis", got)
			}
			if tt.date >= "2022-06-21" && (len(st.Hiatus) != 1 || st.Hiatus[0].Person != lasse) {
				t.Errorf("hiatus = %+v, want Lasse Collin's, open-ended", st.Hiatus)
			}
		})
	}
}

func xzIDs(ns []int) []string {
	var out []string
	for _, n := range ns {
		out = append(out, xzID(n))
	}
	return out
}

// What check said on the day 5.6.0 came out, in words: the reasons a packager's pipeline prints.
func TestXZCheckOn560(t *testing.T) {
	st := Fold(xzGenesis(), xzNoticeLog(), xzStewards, DefaultPolicy(), day("2024-02-24"))
	v := Check(st)
	want := []string{
		"unendorsed infra-change " + xzID(4) + " (since 2022-11-30): stewards: 0 of 2 needed (independent steward endorsements)",
		"unendorsed handover " + xzID(5) + " (since 2022-12-30): stewards: 0 of 2 needed (independent steward endorsements)",
		"unendorsed signer-change " + xzID(6) + " (since 2023-03-18): stewards: 0 of 1 needed (independent steward endorsements)",
		"unendorsed infra-change " + xzID(7) + " (since 2023-03-20): stewards: 0 of 1 needed (independent steward endorsements)",
		"unendorsed infra-change " + xzID(8) + " (since 2024-01-19): stewards: 0 of 1 needed (independent steward endorsements)",
		"in a scrutiny window from 2022-11-30 until 2025-01-18",
		"scrutiny: infra-change " + xzID(4) + " (2022-11-30, until 2023-11-30): moved: security-contact",
		"scrutiny: handover " + xzID(5) + " (2022-12-30, until 2023-12-30): handover (co-maintainer) of commit to " + jia,
		"scrutiny: signer-change " + xzID(6) + " (2023-03-18, until 2024-03-17): release-signing keys changed",
		"scrutiny: infra-change " + xzID(7) + " (2023-03-20, until 2024-03-19): moved: fuzzing-contact",
		"scrutiny: infra-change " + xzID(8) + " (2024-01-19, until 2025-01-18): moved: website",
		"hiatus: " + lasse + " since 2022-06-21 (open-ended)",
	}
	if v.Code != ExitUnendorsed || !slices.Equal(v.Reasons, want) {
		t.Errorf("check on 2024-02-24 = %d\n%s\nwant %d\n%s", v.Code, strings.Join(v.Reasons, "\n"), ExitUnendorsed, strings.Join(want, "\n"))
	}
}

// Day by day from before genesis to a year after the disclosure: the relief request never shows
// outside the stewards, and a packager who asks on a date sees exactly what was published by then.
func TestXZReplayDayByDay(t *testing.T) {
	log := xzNoticeLog()
	relief := log[0]
	for at := day("2020-12-01"); at.Before(day("2025-06-01")); at = at.Add(24 * time.Hour) {
		for _, s := range PublicView(log, at) {
			if s.Notice.Kind == ReliefRequest {
				t.Fatalf("%s: the public view holds the relief request", at.Format(Date))
			}
		}
		st := Fold(xzGenesis(), log, xzStewards, DefaultPolicy(), at)
		public := st.ForPublic()
		if len(public.PendingRelief) != 0 {
			t.Fatalf("%s: the public state shows pending relief", at.Format(Date))
		}
		for _, r := range Check(public).Reasons {
			if strings.Contains(r, relief.ID+" ") || strings.Contains(r, "relief") {
				t.Fatalf("%s: check mentions the relief request: %s", at.Format(Date), r)
			}
		}
		// Knowing only what was published by then gives the same state as knowing everything.
		var known []Signed
		for _, s := range log {
			if !s.Published.After(at) {
				known = append(known, s)
			}
		}
		if then := Fold(xzGenesis(), known, xzStewards, DefaultPolicy(), at); !reflect.DeepEqual(then, st) {
			t.Fatalf("%s: the state depends on notices published later", at.Format(Date))
		}
	}
	// The relief request reaches the stewards and nobody else: not the public, not Jia Tan.
	if err := CheckRecipients(relief.Notice, xzStewards, xzStewards); err != nil {
		t.Errorf("relief request to the stewards: %v", err)
	}
	if err := CheckRecipients(relief.Notice, append(people(jia), xzStewards...), xzStewards); err == nil {
		t.Errorf("the relief request reached Jia Tan")
	}
}

// The handover as the trust policy read it on 2022-12-30: Lasse consents, Jia accepts, no steward
// endorses, and the sockpuppets who pressed for it count for nothing even if they sign.
func TestXZHandoverEndorsement(t *testing.T) {
	log := xzNoticeLog()
	before := Fold(xzGenesis(), log, xzStewards, DefaultPolicy(), day("2022-12-29"))
	handover := log[4].endorsedOn(jigar, "2022-12-30").endorsedOn(dennis, "2022-12-30")
	e := Evaluate(before, handover, xzStewards, DefaultPolicy(), day("2022-12-30"))
	if e.Endorsed || !e.Author || !e.Consent.Met() || !e.Acceptance.Met() || e.Stewards.Need != 2 || len(e.Stewards.Have) != 0 {
		t.Errorf("endorsement = %+v, want consent and acceptance met, 0 of 2 stewards", e)
	}
	want := []string{"stewards: 0 of 2 needed (independent steward endorsements)"}
	if !slices.Equal(e.Missing, want) {
		t.Errorf("missing %q, want %q", e.Missing, want)
	}
	if len(e.Ignored) != 2 || !strings.Contains(e.Ignored[0], dennis) || !strings.Contains(e.Ignored[1], jigar) {
		t.Errorf("ignored %q, want the two sockpuppets", e.Ignored)
	}
}

// After the disclosure, Jia Tan can no longer speak for xz: not as a maintainer, not with his key.
func TestXZAfterDisclosure(t *testing.T) {
	n := infraChange(jia, RightWebsite, "https://evil.example")
	late := Signed{ID: xzID(10), Published: day("2024-03-30"), Notice: n, Proofs: []Proof{{Person: jia, Key: jiaKey}}}
	st := Fold(xzGenesis(), append(xzNoticeLog(), late), xzStewards, DefaultPolicy(), day("2024-04-01"))
	want := []string{xzID(10) + ": infra-change: the author's proof does not count: " + jia + " signed with key " + jiaKey + ", which " + xzID(9) + " revoked\n" +
		"infra-change: " + jia + " is not a maintainer of xz"}
	if got := rejected(st); !slices.Equal(got, want) {
		t.Errorf("rejected:\n got %q\nwant %q", got, want)
	}
	if !slices.Equal(ids2(st.ForPublic().Rejected), people(xzID(10))) {
		t.Errorf("a rejected public notice should stay visible as rejected")
	}
	revoked := []string{}
	for _, r := range st.Revoked {
		revoked = append(revoked, r.Notice+" by "+r.By)
	}
	if !slices.Equal(revoked, []string{xzID(5) + " by " + xzID(9), xzID(6) + " by " + xzID(9)}) {
		t.Errorf("revoked = %q", revoked)
	}
}

// The auditor's question, asked in 2026 of a record taken on with its history: every notice was
// published on one day, dated back to when it happened. With hindsight, what was each release day?
func TestXZHindsight(t *testing.T) {
	now := day("2026-12-03")
	var log []Signed
	for _, s := range xzNoticeLog() {
		s.Notice.Since, s.Published = s.Published, now
		for i := range s.Proofs {
			s.Proofs[i].Created = now
		}
		log = append(log, s)
	}
	g := xzGenesis()
	g.Since, g.Added = day("2021-10-01"), now
	tests := []struct {
		date   string
		code   int
		jiaKey int // what check --signer of Jia Tan's key exits with
	}{
		{"2021-09-30", ExitNoRecord, ExitNoRecord},
		{"2022-06-01", ExitNormal, ExitUnannouncedSigner},
		{"2022-12-31", ExitUnendorsed, ExitUnannouncedSigner},
		{"2023-03-17", ExitUnendorsed, ExitUnannouncedSigner},
		{"2023-03-19", ExitUnendorsed, ExitUnendorsed},
		{"2024-02-24", ExitUnendorsed, ExitUnendorsed},
		{"2024-03-09", ExitUnendorsed, ExitUnendorsed},
		{"2024-03-30", ExitUnendorsed, ExitUnannouncedSigner},
	}
	for _, tt := range tests {
		st := FoldHindsight(g, log, xzStewards, DefaultPolicy(), endOfDay(tt.date), now)
		if len(st.Rejected) > 0 {
			t.Fatalf("%s: rejected %q", tt.date, rejected(st))
		}
		if v := Check(st.ForPublic()); v.Code != tt.code {
			t.Errorf("%s: check = %d, want %d: %q", tt.date, v.Code, tt.code, v.Reasons)
		}
		if got := CheckSigner(st, jiaKey).Code; got != tt.jiaKey {
			t.Errorf("%s: check --signer Jia Tan's key = %d, want %d", tt.date, got, tt.jiaKey)
		}
		// As known on each of those days, nothing was: the instance took the project on in 2026.
		if v := Check(Fold(g, log, xzStewards, DefaultPolicy(), endOfDay(tt.date))); v.Code != ExitNoRecord {
			t.Errorf("%s as known: check = %d, want %d (no record)", tt.date, v.Code, ExitNoRecord)
		}
	}
	// On 5.6.0's release day: inside the window the handover opened, under a handover and a key later
	// revoked, and the text says so.
	v := Check(FoldHindsight(g, log, xzStewards, DefaultPolicy(), endOfDay("2024-02-24"), now).ForPublic())
	text := strings.Join(v.Reasons, "\n")
	for _, want := range []string{"in a scrutiny window from 2022-11-30 until 2025-01-18",
		"later revoked: handover " + xzID(5) + " by " + xzID(9) + " on 2024-03-29",
		"later revoked: signer-change " + xzID(6) + " by " + xzID(9) + " on 2024-03-29"} {
		if !strings.Contains(text, want) {
			t.Errorf("check on 2024-02-24 with hindsight does not say %q:\n%s", want, text)
		}
	}
	if a := CheckSigner(FoldHindsight(g, log, xzStewards, DefaultPolicy(), endOfDay("2023-03-19"), now), jiaKey); !strings.Contains(a.Reason, "later revoked by "+xzID(9)) {
		t.Errorf("--signer on 2023-03-19 does not say the key was later revoked: %q", a.Reason)
	}
}

func endOfDay(date string) time.Time { return day(date).Add(24*time.Hour - time.Second) }

// Without Lasse Collin's consent, what Jia Tan did beyond his commit rights takes no effect: his key is
// not valid, the fuzzing contact and the website stay where they were, and check says why.
func TestXZWithoutConsent(t *testing.T) {
	log := xzNoticeLog()
	for i := 5; i <= 7; i++ {
		log[i].Proofs = log[i].Proofs[:1] // Jia Tan's own proof only
	}
	st := Fold(xzGenesis(), log, xzStewards, DefaultPolicy(), day("2024-02-24"))
	if a := CheckSigner(st, jiaKey); a.Code != ExitUnannouncedSigner || !strings.Contains(a.Reason, "waits for the consent of "+lasse) {
		t.Errorf("--signer Jia Tan's key = %d %q, want 5, waiting for Lasse Collin", a.Code, a.Reason)
	}
	var pending []string
	for _, p := range st.Pending {
		pending = append(pending, p.Notice+" "+p.Waiting+" "+strings.Join(p.People, ","))
	}
	want := []string{xzID(6) + " consent " + lasse, xzID(7) + " consent " + lasse, xzID(8) + " consent " + lasse}
	if !slices.Equal(pending, want) {
		t.Errorf("pending = %q, want %q", pending, want)
	}
	if len(st.Infra) != 1 || st.Infra[0].Field != RightSecurityContact {
		t.Errorf("infra = %+v, want only the security contact moved", st.Infra)
	}
}

// After the disclosure, the changes Jia Tan made under his revoked handover are listed for review
// until someone moves them back.
func TestXZReviewAfterRevocation(t *testing.T) {
	log := xzNoticeLog()
	st := Fold(xzGenesis(), log, xzStewards, DefaultPolicy(), day("2024-03-30"))
	var review []string
	for _, r := range st.Review {
		review = append(review, r.Notice+" "+r.Handover+" "+r.What)
	}
	want := []string{xzID(7) + " " + xzID(5) + " fuzzing-contact moved to jiat0218@gmail.com", xzID(8) + " " + xzID(5) + " website moved to https://xz.tukaani.org/"}
	if !slices.Equal(review, want) {
		t.Errorf("review = %q, want %q", review, want)
	}
	if text := strings.Join(Check(st).Reasons, "\n"); !strings.Contains(text, "made by "+jia+" under a revoked handover") ||
		!strings.Contains(text, "revoked: handover "+xzID(5)+" by "+xzID(9)+" on 2024-03-29: Jia Tan's 5.6.0") {
		t.Errorf("check does not say what was revoked and what to review:\n%s", text)
	}
	back := Notice{Project: "xz", Kind: InfraChange, Author: lasse, Text: "The website is back.", Infra: []InfraMove{{Field: RightWebsite, To: "https://tukaani.org/xz/"}}}
	st = Fold(xzGenesis(), append(log, pub(xzID(10), "2024-04-02", back, lasse)), xzStewards, DefaultPolicy(), day("2024-04-03"))
	if len(st.Review) != 1 || st.Review[0].Notice != xzID(7) {
		t.Errorf("after the website moved back, review = %+v, want only the fuzzing contact", st.Review)
	}
}

// check --signer on the xz timeline: Lasse Collin's key from the start, Jia Tan's from 5.4.2, unendorsed,
// until the revocation.
func TestXZCheckSigner(t *testing.T) {
	log := xzNoticeLog()
	tests := []struct {
		at, fp   string
		code     int
		endorsed bool
		notice   string
	}{
		{"2023-03-17", lasseKey, ExitNormal, true, ""},
		{"2023-03-17", jiaKey, ExitUnannouncedSigner, false, ""}, // the day before: nobody had been told
		{"2023-03-18", jiaKey, ExitUnendorsed, false, xzID(6)},
		{"2024-02-24", jiaKey, ExitUnendorsed, false, xzID(6)},        // 5.6.0
		{"2024-03-29", jiaKey, ExitUnannouncedSigner, false, xzID(6)}, // revoked
		{"2024-03-29", lasseKey, ExitNormal, true, ""},
		{"2024-03-29", "0000000000000000000000000000000000000000", ExitUnannouncedSigner, false, ""},
	}
	for _, tt := range tests {
		got := CheckSigner(Fold(xzGenesis(), log, xzStewards, DefaultPolicy(), endOfDay(tt.at)), tt.fp)
		if got.Code != tt.code || got.Endorsed != tt.endorsed || got.Notice != tt.notice || got.Reason == "" {
			t.Errorf("%s %s: %+v; want code %d, endorsed %v, notice %q", tt.at, tt.fp[:8], got, tt.code, tt.endorsed, tt.notice)
		}
	}
}
