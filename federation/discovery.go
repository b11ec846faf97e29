package federation

import (
	"fmt"
	"net/netip"
	"strings"
)

// WebFinger is a JRD document (RFC 7033) pointing an acct: address at an actor.
type WebFinger struct {
	Subject string          `json:"subject"`
	Aliases []string        `json:"aliases,omitempty"`
	Links   []WebFingerLink `json:"links"`
}

// WebFingerLink is one link of a JRD.
type WebFingerLink struct {
	Rel  string `json:"rel"`
	Type string `json:"type,omitempty"`
	Href string `json:"href,omitempty"`
}

// ParseAcct reads a WebFinger resource "acct:name@host" (a leading '@' is tolerated) into its name and
// host, lower-cased: user names compare case-insensitively. The host must be a host name or an IP
// address, with a port or not: "name@other@host" or "name@host/path" would send a lookup elsewhere
// than it reads.
func ParseAcct(resource string) (name, host string, err error) {
	rest, ok := strings.CutPrefix(resource, "acct:")
	if !ok {
		return "", "", fmt.Errorf("resource %q: want acct:NAME@HOST", resource)
	}
	rest = strings.TrimPrefix(rest, "@")
	name, host, ok = strings.Cut(rest, "@")
	if !ok || name == "" || host == "" {
		return "", "", fmt.Errorf("resource %q: want acct:NAME@HOST", resource)
	}
	if !validAcctHost(host) {
		return "", "", fmt.Errorf("resource %q: %q is not a host (a DNS name in ASCII or an IP address, and a port or none)", resource, host)
	}
	return strings.ToLower(name), strings.ToLower(host), nil
}

// validAcctHost accepts a DNS name, an IPv4 address or a bracketed IPv6 address, with or without a port.
func validAcctHost(host string) bool {
	name := host
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		if !validPort(host[i+1:]) {
			return false
		}
		name = host[:i]
	}
	if inner, ok := strings.CutPrefix(name, "["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		addr, err := netip.ParseAddr(inner)
		return ok && err == nil && addr.Is6() && addr.Zone() == ""
	}
	if addr, err := netip.ParseAddr(name); err == nil {
		return addr.Is4()
	}
	return validDNSName(name)
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || strings.TrimLeft(p, "0123456789") != "" {
		return false
	}
	n := 0
	for _, c := range p {
		n = n*10 + int(c-'0')
	}
	return n >= 1 && n <= 65535
}

// validDNSName accepts dot-separated labels of ASCII letters, digits, '-' and '_'. A name in another
// script is looked up in its ASCII form (xn--…).
func validDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || strings.Trim(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return false
		}
	}
	return true
}

// WebFingerFor is the JRD for an actor: its acct subject, its id as self (byte for byte as the actor
// document says), and its web page.
func (u URLs) WebFingerFor(username, actorID string) WebFinger {
	return WebFinger{
		Subject: "acct:" + username + "@" + u.AcctHost(),
		Aliases: []string{actorID},
		Links: []WebFingerLink{
			{Rel: "self", Type: ContentType, Href: actorID},
			{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: actorID},
		},
	}
}

// NodeInfo is a NodeInfo 2.0/2.1 document.
type NodeInfo struct {
	Version           string           `json:"version"`
	Software          NodeInfoSoftware `json:"software"`
	Protocols         []string         `json:"protocols"`
	Services          NodeInfoServices `json:"services"`
	OpenRegistrations bool             `json:"openRegistrations"`
	Usage             NodeInfoUsage    `json:"usage"`
	Metadata          map[string]any   `json:"metadata"`
}

// NodeInfoSoftware names the software.
type NodeInfoSoftware struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository,omitempty"`
	Homepage   string `json:"homepage,omitempty"`
}

// NodeInfoServices lists third-party services (none).
type NodeInfoServices struct {
	Inbound  []string `json:"inbound"`
	Outbound []string `json:"outbound"`
}

// NodeInfoUsage counts users and posts.
type NodeInfoUsage struct {
	Users      NodeInfoUsers `json:"users"`
	LocalPosts int           `json:"localPosts"`
}

// NodeInfoUsers counts the actors: projects are Baton's users.
type NodeInfoUsers struct {
	Total          int `json:"total"`
	ActiveMonth    int `json:"activeMonth"`
	ActiveHalfyear int `json:"activeHalfyear"`
}

// NodeInfoDocument describes the instance in the schema version asked for ("2.0" or "2.1").
func NodeInfoDocument(version, softwareVersion, nodeName string, actors, notices int) NodeInfo {
	return NodeInfo{
		Version:   version,
		Software:  NodeInfoSoftware{Name: "baton", Version: softwareVersion},
		Protocols: []string{"activitypub"},
		Services:  NodeInfoServices{Inbound: []string{}, Outbound: []string{"atom1.0"}},
		Usage: NodeInfoUsage{
			Users:      NodeInfoUsers{Total: actors, ActiveMonth: actors, ActiveHalfyear: actors},
			LocalPosts: notices,
		},
		Metadata: map[string]any{
			"nodeName":        nodeName,
			"nodeDescription": "Signed notices about who looks after software projects.",
		},
	}
}

// NodeInfoLinks is the /.well-known/nodeinfo document: both schema versions, and the instance actor
// (FEP-2677).
func (u URLs) NodeInfoLinks() map[string]any {
	return map[string]any{"links": []WebFingerLink{
		{Rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", Href: u.join("/nodeinfo/2.1")},
		{Rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", Href: u.join("/nodeinfo/2.0")},
		{Rel: "https://www.w3.org/ns/activitystreams#Application", Href: u.InstanceActor()},
	}}
}
