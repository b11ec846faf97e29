package outbox

import (
	"strings"
	"testing"
)

// A maintainer's words are escaped, and the bare URLs in them become links that vouch for nothing.
func TestLinkify(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"See https://tukaani.org/xz/.", `See <a href="https://tukaani.org/xz/" rel="nofollow noopener noreferrer" target="_blank">https://tukaani.org/xz/</a>.`},
		{"<script>alert(1)</script> http://x.example/a?b=1&c=2", `&lt;script&gt;alert(1)&lt;/script&gt; <a href="http://x.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer" target="_blank">http://x.example/a?b=1&amp;c=2</a>`},
		{`https://x.example/"onmouseover="alert(1)`, `<a href="https://x.example/" rel="nofollow noopener noreferrer" target="_blank">https://x.example/</a>&#34;onmouseover=&#34;alert(1)`},
		{"javascript:alert(1) ftp://x", "javascript:alert(1) ftp://x"},
		{"(https://x.example/a)", `(<a href="https://x.example/a" rel="nofollow noopener noreferrer" target="_blank">https://x.example/a</a>)`},
	} {
		if got := linkify(tc.in); got != tc.want {
			t.Errorf("linkify(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

// People appear by the name people read, linked to their page; names are escaped.
func TestPeopleLinks(t *testing.T) {
	p := people{"https://n.example/users/lasse": "Lasse <Collin>"}
	got := p.listHTML([]string{"https://n.example/users/lasse", "https://other.example/users/x"})
	want := `<a href="https://n.example/users/lasse">Lasse &lt;Collin&gt;</a> and <a href="https://other.example/users/x">https://other.example/users/x</a>`
	if got != want || !strings.HasPrefix(upperFirst(got), "<a") {
		t.Errorf("listHTML = %s\nwant %s", got, want)
	}
}
