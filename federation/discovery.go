package federation

import (
	"fmt"
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
// host, lower-cased: user names compare case-insensitively.
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
	return strings.ToLower(name), strings.ToLower(host), nil
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
