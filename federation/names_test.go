package federation

import "testing"

func TestHandleOf(t *testing.T) {
	for id, want := range map[string]string{
		"https://h.example/users/jia":      "jia@h.example",
		"https://h.example/@jia/":          "jia@h.example",
		"https://h.example:8443/users/ann": "ann@h.example:8443",
		"https://h.example/":               "h.example",
		"not a url":                        "not a url",
	} {
		if got := HandleOf(id); got != want {
			t.Errorf("HandleOf(%q) = %q, want %q", id, got, want)
		}
	}
	var none *Names
	if got := none.Of(t.Context(), "https://h.example/users/jia"); got != "jia@h.example" {
		t.Errorf("a nil Names gives %q, want the handle", got)
	}
}
