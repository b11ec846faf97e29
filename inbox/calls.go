package inbox

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"baton/federation"
	"baton/federation/proof"
	"baton/notice"
	"baton/store"
)

// Calls for stewards from other instances: a Baton instance that trusts this one's stewards addresses
// its calls that are not public to them by name. This instance keeps such a call, once the calling
// project's proof on it verifies with the key the project's actor lists at its origin, for its
// stewards to read (and answer from here). Nothing else about the call is taken on trust.

// Bounds on the calls kept from other instances: anyone can run an instance and make projects.
const (
	MaxReceivedCalls        = 1000
	MaxReceivedCallsPerHost = 100
)

// callNoteJSON is what is read of a call's Note to decide whether it is addressed here.
type callNoteJSON struct {
	ID           string `json:"id"`
	AttributedTo string `json:"attributedTo"`
	Kind         string `json:"noticeKind"`
}

// callToStewards keeps a Create or Update of a call for stewards, not public, addressed to one or more
// of this instance's stewards; false when the activity is something else.
func (ib *Inbox) callToStewards(ctx context.Context, a activity) (verdict, bool) {
	var kind string
	if a.Object.Type != "Note" || json.Unmarshal(a.Object.NoticeKind, &kind) != nil || kind != string(notice.CallForStewards) ||
		len(a.Object.Raw) == 0 || a.Object.Raw[0] != '{' {
		return verdict{}, false
	}
	var note callNoteJSON
	if json.Unmarshal(a.Object.Raw, &note) != nil || note.Kind != string(notice.CallForStewards) {
		return verdict{}, false
	}
	to := federation.Addressees(a.Object.Raw)
	if slices.Contains(to, federation.Public) {
		return verdict{}, false
	}
	addressed, err := ib.localStewardsAmong(ctx, to)
	if err != nil {
		return ib.storeFailed(err), true
	}
	if len(addressed) == 0 {
		return verdict{}, false
	}
	if note.AttributedTo != a.Actor || origin(note.ID) != origin(a.Actor) || len(note.ID) > MaxIDBytes {
		return rejected(http.StatusUnprocessableEntity, "bad_call", "the call is not %s's own Note", a.Actor), true
	}
	if v, ok := ib.checkCallProof(ctx, a.Actor, a.Object.Raw); !ok {
		return v, true
	}
	st, err := federation.NoteStatement(a.Object.Raw)
	if err != nil || st.Notice.Kind != notice.CallForStewards {
		return rejected(http.StatusUnprocessableEntity, "bad_call", "the Note carries no signed call for stewards"), true
	}
	return ib.keepReceivedCall(ctx, store.ReceivedCall{ID: note.ID, Project: a.Actor, Host: hostOf(a.Actor), Note: a.Object.Raw, Received: ib.now()}), true
}

// localStewardsAmong are the ids among ids of this instance's stewards.
func (ib *Inbox) localStewardsAmong(ctx context.Context, ids []string) ([]string, error) {
	stewards, err := ib.store.RoleHolders(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, id := range ids {
		name := ib.urls.LocalActorName(id)
		if name != "" && slices.ContainsFunc(stewards, func(r store.Role) bool { return r.Person == name }) {
			out = append(out, id)
		}
	}
	return out, nil
}

// checkCallProof checks that the Note carries exactly one proof, by a key in use that the project's
// actor, a Baton project fetched from its origin, lists.
func (ib *Inbox) checkCallProof(ctx context.Context, project string, note []byte) (verdict, bool) {
	doc, err := ib.resolver.Fetch(ctx, project)
	if err != nil {
		return unavailable("actor_unavailable", "could not fetch the calling project's actor", err), false
	}
	actor, err := federation.ParseUpstreamActor(doc)
	if err == nil && actor.ID != project {
		err = fmt.Errorf("its document has the id %q", actor.ID)
	}
	if err != nil {
		return rejected(http.StatusUnprocessableEntity, "bad_call", "%s is no Baton project to make calls for stewards: %v", project, err), false
	}
	proofs, err := proof.Verify(note, func(vm string) (ed25519.PublicKey, error) {
		for _, k := range actor.Keys {
			if k.ID == vm && k.Revoked.IsZero() {
				return k.Key, nil
			}
		}
		return nil, fmt.Errorf("%s does not list the key %s in use", project, vm)
	})
	switch {
	case err != nil:
		return rejected(http.StatusUnprocessableEntity, "bad_call", "the call's proof: %v", err), false
	case len(proofs) != 1:
		return rejected(http.StatusUnprocessableEntity, "bad_call", "a call carries exactly one proof, its project's; it has %d", len(proofs)), false
	}
	return verdict{}, true
}

// keepReceivedCall keeps c, in place of the copy it updates, within the bounds. Calls that can no
// longer be answered make room first.
func (ib *Inbox) keepReceivedCall(ctx context.Context, c store.ReceivedCall) verdict {
	if old, err := store.ReceivedCallByID(ctx, ib.store, c.ID); err == nil {
		if old.Project != c.Project {
			// A project may update its own call, never take another's id: the origin check lets any
			// project of that instance name it.
			return rejected(http.StatusUnprocessableEntity, "bad_call", "the call %s is %s's, not %s's", c.ID, old.Project, c.Project)
		}
		c.Received = old.Received
		return ib.putReceivedCall(ctx, c, "updated")
	} else if !errors.Is(err, store.ErrNotFound) {
		return ib.storeFailed(err)
	}
	kept, err := store.ReceivedCalls(ctx, ib.store)
	if err != nil {
		return ib.storeFailed(err)
	}
	fromHost, open := 0, 0
	for _, k := range kept {
		if ib.receivedCallClosed(k) {
			if err := store.DeleteReceivedCall(ctx, ib.store, k.ID); err != nil {
				return ib.storeFailed(err)
			}
			continue
		}
		open++
		if k.Host == c.Host {
			fromHost++
		}
	}
	if fromHost >= MaxReceivedCallsPerHost || open >= MaxReceivedCalls {
		return rejected(http.StatusUnprocessableEntity, "calls_full", "this instance keeps as many calls from other instances as it can; try again once some have closed")
	}
	return ib.putReceivedCall(ctx, c, "kept")
}

func (ib *Inbox) putReceivedCall(ctx context.Context, c store.ReceivedCall, label string) verdict {
	if err := store.PutReceivedCall(ctx, ib.store, c); err != nil {
		return ib.storeFailed(err)
	}
	ib.log.Info("call for stewards from another instance", "status", label, "call", c.ID, "project", c.Project)
	return accepted(label, "")
}

// receivedCallClosed reports whether a kept call can no longer be answered: closed or revoked.
func (ib *Inbox) receivedCallClosed(c store.ReceivedCall) bool {
	st, err := federation.NoteStatement(c.Note)
	if err != nil || st.Notice.Open(ib.now()) != nil {
		return true
	}
	v, err := federation.ParseNote(c.Note)
	return err != nil || v.RevokedBy != ""
}
