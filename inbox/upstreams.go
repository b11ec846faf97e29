package inbox

import (
	"context"
	"errors"
	"net/http"

	"baton/upstream"
)

// fromUpstream hands a Create or Update to the upstream watcher: on a distro instance, notices from the
// project actors it follows are verified, judged and mirrored there. Anything else is acknowledged and
// left alone, as on an instance that watches nothing.
func (ib *Inbox) fromUpstream(ctx context.Context, a activity) verdict {
	if ib.upstreams == nil {
		return ignored(a.Type + " is not acted on by this instance")
	}
	if a.Type == "Update" && a.Object.Type != "" && a.Object.Type != "Note" {
		return ignored("Update of a " + a.Object.Type + " is not acted on by this instance")
	}
	outcome, err := ib.upstreams.Receive(ctx, a.Actor, a.Object.Raw)
	var refused *upstream.Error
	switch {
	case errors.Is(err, upstream.ErrNotWatched):
		return ignored(a.Actor + " is not an upstream this instance watches")
	case errors.As(err, &refused):
		label := "notice_rejected"
		if refused.Status == http.StatusServiceUnavailable {
			label = "notice_unavailable"
		}
		return rejected(refused.Status, label, "%s", refused.Reason)
	case err != nil:
		return ib.storeFailed(err)
	}
	return accepted(string(outcome), "")
}

// followAnswered records an upstream's Accept or Reject of the instance's Follow.
func (ib *Inbox) followAnswered(ctx context.Context, a activity) verdict {
	if ib.upstreams == nil {
		return ignored(a.Type + " of a follow this instance did not send")
	}
	ok, err := ib.upstreams.FollowAnswered(ctx, a.Actor, a.Object.ID, a.Type == "Accept")
	if err != nil {
		return ib.storeFailed(err)
	}
	if !ok {
		return ignored(a.Type + " of a follow this instance did not send")
	}
	ib.log.Info("upstream answered our follow", "upstream", a.Actor, "answer", a.Type)
	return accepted("accepted", "")
}
