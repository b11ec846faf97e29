package web

import (
	"context"
	"regexp"
	"strings"

	"baton/store"
)

// check's reasons are text a pipeline prints; they name people by their actor ids. For a person on
// this instance, the name people read goes in front, and the id stays after it: "Jia Tan
// (https://…/users/jia)".

// personID matches a local actor id in a reason.
func (s *Server) personID() *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(s.urls.Actor("")) + `[a-z0-9][a-z0-9_-]*\b`)
}

// named puts people's names in front of their ids in reasons.
func (s *Server) named(ctx context.Context, reasons []string) []string {
	if len(reasons) == 0 {
		return reasons
	}
	re, names := s.personID(), map[string]string{}
	out := make([]string, len(reasons))
	for i, r := range reasons {
		out[i] = re.ReplaceAllStringFunc(r, func(id string) string {
			name, ok := names[id]
			if !ok {
				name = s.personName(ctx, strings.TrimPrefix(id, s.urls.Actor("")))
				names[id] = name
			}
			if name == "" {
				return id
			}
			return name + " (" + id + ")"
		})
	}
	return out
}

// personName is a local person's shown name, or "" for anyone else.
func (s *Server) personName(ctx context.Context, name string) string {
	a, err := s.store.Actor(ctx, name)
	if err != nil || a.Kind != store.KindPerson || a.DisplayName == "" {
		return ""
	}
	return a.DisplayName
}
