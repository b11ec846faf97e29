package main

import (
	"slices"
	"testing"
)

func TestHostList(t *testing.T) {
	var h hostList
	if err := h.Set(" Notices.Example.org, baton.example.net:8443,,"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"notices.example.org", "baton.example.net:8443"}; !slices.Equal(h, want) {
		t.Errorf("hosts = %q, want %q", h, want)
	}
	for _, bad := range []string{"https://notices.example.org", "notices.example.org/path", "user@host", ":8443"} {
		if err := h.Set(bad); err == nil {
			t.Errorf("Set(%q) = nil error, want one", bad)
		}
	}
}
