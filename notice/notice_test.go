package notice

import (
	"strings"
	"testing"
	"time"
)

const allKinds = "relief-request, call-for-stewards, hiatus, handover, signer-change, infra-change, scrutiny, return, retirement, revocation"

func TestParseKind(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
	}{
		{"relief-request", ReliefRequest},
		{"call-for-stewards", CallForStewards},
		{"hiatus", Hiatus},
		{"handover", Handover},
		{"signer-change", SignerChange},
		{"infra-change", InfraChange},
		{"scrutiny", Scrutiny},
		{"return", Return},
		{"retirement", Retirement},
		{"revocation", Revocation},
		{"Hiatus", Hiatus},
		{"HIATUS", Hiatus},
		{"  hiatus\t", Hiatus},
		{"\nSigner-Change ", SignerChange},
	}
	for _, tt := range tests {
		got, err := ParseKind(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestParseKindEveryKind(t *testing.T) {
	if len(Kinds) != 10 {
		t.Fatalf("len(Kinds) = %d, want 10", len(Kinds))
	}
	for _, k := range Kinds {
		got, err := ParseKind(string(k))
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
	}
}

func TestParseKindUnknown(t *testing.T) {
	for _, in := range []string{"", " ", "holiday", "hiatus!", "hia tus", "relief_request", "relief request"} {
		got, err := ParseKind(in)
		if err == nil {
			t.Errorf("ParseKind(%q) = %q, nil; want an error", in, got)
			continue
		}
		if got != "" {
			t.Errorf("ParseKind(%q) returned kind %q with its error", in, got)
		}
		want := `unknown notice kind "` + in + `" (one of: ` + allKinds + `)`
		if strings.TrimSpace(in) == "" {
			want = "kind: required, one of: " + allKinds // not an unknown kind: none was given
		}
		if err.Error() != want {
			t.Errorf("ParseKind(%q) error:\n got %q\nwant %q", in, err.Error(), want)
		}
	}
}

func TestKindInfo(t *testing.T) {
	tests := []struct {
		kind    Kind
		title   string
		hashtag string
		public  bool
	}{
		{ReliefRequest, "Relief request", "MaintainerRelief", false},
		{CallForStewards, "Call for stewards", "CallForStewards", true},
		{Hiatus, "Hiatus", "MaintainerHiatus", true},
		{Handover, "Handover", "MaintainerHandover", true},
		{SignerChange, "Signer change", "SignerChange", true},
		{InfraChange, "Infrastructure change", "InfraChange", true},
		{Scrutiny, "Scrutiny window", "ScrutinyWindow", true},
		{Return, "Return", "MaintainerReturn", true},
		{Retirement, "Retirement", "MaintainerRetirement", true},
		{Revocation, "Revocation", "NoticeRevoked", true},
	}
	for _, tt := range tests {
		if got := tt.kind.Title(); got != tt.title {
			t.Errorf("%s.Title() = %q, want %q", tt.kind, got, tt.title)
		}
		if got := tt.kind.Hashtag(); got != tt.hashtag {
			t.Errorf("%s.Hashtag() = %q, want %q", tt.kind, got, tt.hashtag)
		}
		if got := tt.kind.Public(); got != tt.public {
			t.Errorf("%s.Public() = %v, want %v", tt.kind, got, tt.public)
		}
		if tt.kind.Advice() == "" {
			t.Errorf("%s.Advice() is empty", tt.kind)
		}
	}
	if Kind("holiday").Title() != "" || Kind("holiday").Public() {
		t.Errorf("an unknown kind has a title or is public")
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		want string // "" for valid
	}{
		{"xz", ""},
		{"x", ""},
		{"7zip", ""},
		{"0", ""},
		{"open-ssl", ""},
		{"lib_png", ""},
		{"a-b_c-9", ""},
		{strings.Repeat("a", 64), ""},
		{"", "name is empty"},
		{strings.Repeat("a", 65), `name "` + strings.Repeat("a", 65) + `" is longer than 64 characters`},
		{"XZ", `name "XZ": use lower-case letters, digits, '-' and '_', starting with a letter or digit`},
		{"-xz", `name "-xz": use lower-case letters, digits, '-' and '_', starting with a letter or digit`},
		{"_xz", `name "_xz": use lower-case letters, digits, '-' and '_', starting with a letter or digit`},
		{"x.z", `name "x.z": use lower-case letters, digits, '-' and '_', starting with a letter or digit`},
		{"x z", `name "x z": use lower-case letters, digits, '-' and '_', starting with a letter or digit`},
		{"x/z", `name "x/z": use lower-case letters, digits, '-' and '_', starting with a letter or digit`},
		{"x@z", `name "x@z": use lower-case letters, digits, '-' and '_', starting with a letter or digit`},
		{"xz\n", `name "xz\n": use lower-case letters, digits, '-' and '_', starting with a letter or digit`},
		{" xz", `name " xz": use lower-case letters, digits, '-' and '_', starting with a letter or digit`},
		{"zürich", `name "zürich": use lower-case letters, digits, '-' and '_', starting with a letter or digit`},
	}
	for _, tt := range tests {
		err := ValidName(tt.name)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ValidName(%q) = %v, want nil", tt.name, err)
		case tt.want != "" && err == nil:
			t.Errorf("ValidName(%q) = nil, want %q", tt.name, tt.want)
		case tt.want != "" && err.Error() != tt.want:
			t.Errorf("ValidName(%q):\n got %q\nwant %q", tt.name, err.Error(), tt.want)
		}
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestValidate(t *testing.T) {
	good := Notice{Project: "xz", Kind: Hiatus, Text: "Away for a month.", Since: day("2024-06-01"), Until: day("2024-07-01")}
	tests := []struct {
		name string
		edit func(*Notice)
		want []string // the lines of the error, in order; nil for valid
	}{
		{"valid", func(*Notice) {}, nil},
		{"valid open-ended", func(n *Notice) { n.Until = time.Time{} }, nil},
		{"valid until only", func(n *Notice) { n.Since = time.Time{} }, nil},
		{"valid 5000 runes", func(n *Notice) { n.Text = strings.Repeat("ü", 5000) }, nil},
		{"valid text padded to over 5000 bytes", func(n *Notice) { n.Text = "  " + strings.Repeat("x", 5000) + "\n\n" }, nil},
		{"bad project", func(n *Notice) { n.Project = "X Z" },
			[]string{`project: name "X Z": use lower-case letters, digits, '-' and '_', starting with a letter or digit`}},
		{"empty project", func(n *Notice) { n.Project = "" }, []string{"project: name is empty"}},
		{"unknown kind", func(n *Notice) { n.Kind = "holiday" },
			[]string{`unknown notice kind "holiday" (one of: ` + allKinds + `)`}},
		{"empty kind", func(n *Notice) { n.Kind = "" },
			[]string{"kind: required, one of: " + allKinds}},
		{"empty text", func(n *Notice) { n.Text = "" },
			[]string{"text is empty: say in a sentence what changes for the project"}},
		{"blank text", func(n *Notice) { n.Text = " \n\t " },
			[]string{"text is empty: say in a sentence what changes for the project"}},
		{"text too long", func(n *Notice) { n.Text = strings.Repeat("ü", 5001) },
			[]string{"text is 5001 characters long; at most 5000"}},
		{"until before since", func(n *Notice) { n.Since, n.Until = day("2024-02-01"), day("2024-01-01") },
			[]string{"until (2024-01-01) must come after since (2024-02-01)"}},
		{"until equals since", func(n *Notice) { n.Until = n.Since },
			[]string{"until (2024-06-01) must come after since (2024-06-01)"}},
		{"everything wrong", func(n *Notice) {
			n.Project, n.Kind, n.Text, n.Since, n.Until = "", "nope", "", day("2024-03-01"), day("2024-02-01")
		}, []string{
			"project: name is empty",
			`unknown notice kind "nope" (one of: ` + allKinds + `)`,
			"text is empty: say in a sentence what changes for the project",
			"until (2024-02-01) must come after since (2024-03-01)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := good
			tt.edit(&n)
			err := n.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("Validate():\n got %q\nwant %q", got, want)
			}
			joined, ok := err.(interface{ Unwrap() []error })
			if !ok {
				t.Fatalf("Validate() returned %T, not an errors.Join", err)
			}
			if got := len(joined.Unwrap()); got != len(tt.want) {
				t.Errorf("Validate() joined %d errors, want %d", got, len(tt.want))
			}
		})
	}
}

// A Kind that is not one of the constants is not a valid kind, even if ParseKind would normalise it:
// Title, Hashtag and Public know only the canonical names.
func TestValidateNonCanonicalKind(t *testing.T) {
	for _, k := range []Kind{"Hiatus", " hiatus", "HANDOVER"} {
		n := Notice{Project: "xz", Kind: k, Text: "x"}
		if err := n.Validate(); err == nil {
			t.Errorf("Validate() with Kind %q = nil, want an error (Title() = %q)", k, k.Title())
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{"", time.Time{}, ""},
		{"   ", time.Time{}, ""},
		{"2024-01-02", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), ""},
		{" 2024-01-02\n", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), ""},
		{"2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), ""},
		{"2024-01-02T10:11:12Z", time.Date(2024, 1, 2, 10, 11, 12, 0, time.UTC), ""},
		{"2024-01-02T10:11:12+02:00", time.Date(2024, 1, 2, 8, 11, 12, 0, time.UTC), ""},
		{"2024-01-01T23:30:00-01:00", time.Date(2024, 1, 2, 0, 30, 0, 0, time.UTC), ""},
		{"2024-01-02T10:11:12.5Z", time.Date(2024, 1, 2, 10, 11, 12, 500000000, time.UTC), ""},
		{"02/01/2024", time.Time{}, `date "02/01/2024": want YYYY-MM-DD or RFC 3339`},
		{"2024-13-01", time.Time{}, `date "2024-13-01": want YYYY-MM-DD or RFC 3339`},
		{"2023-02-29", time.Time{}, `date "2023-02-29": want YYYY-MM-DD or RFC 3339`},
		{"2024-1-2", time.Time{}, `date "2024-1-2": want YYYY-MM-DD or RFC 3339`},
		{"2024-01-02 10:11:12", time.Time{}, `date "2024-01-02 10:11:12": want YYYY-MM-DD or RFC 3339`},
		{"tomorrow", time.Time{}, `date "tomorrow": want YYYY-MM-DD or RFC 3339`},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseDate(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if !got.IsZero() && got.Location() != time.UTC {
			t.Errorf("ParseDate(%q) is in %v, want UTC", tt.in, got.Location())
		}
	}
}

func TestHashtag(t *testing.T) {
	tests := map[string]string{
		"xz":        "xz",
		"open-ssl":  "open_ssl",
		"lib_png":   "lib_png",
		"a-b-c":     "a_b_c",
		"a_b-c":     "a_b_c",
		"7zip":      "7zip",
		"gnu-tar-2": "gnu_tar_2",
	}
	for in, want := range tests {
		if got := Hashtag(in); got != want {
			t.Errorf("Hashtag(%q) = %q, want %q", in, got, want)
		}
	}
}
