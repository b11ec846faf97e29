package web

import (
	"net/http"

	"baton/federation"
	"baton/federation/httpsign"
	"baton/notice"
	"baton/store"
)

// addressedFetch reports whether r may read n, a call for stewards that is not public: a GET signed
// (HTTP signature, verified as an inbox POST's is) by an actor on the origin of one of the stewards on
// other instances the call is addressed to. That instance fetches the call when its steward answers
// it; anyone else is told there is no such notice, as for every notice meant for stewards.
func (s *Server) addressedFetch(r *http.Request, n store.Notice) bool {
	if s.resolver == nil || n.Kind != string(notice.CallForStewards) || r.Header.Get("Signature") == "" {
		return false
	}
	signer, err := httpsign.Verify(r.Context(), r, nil, s.now(), s.resolver.Key)
	if err != nil {
		s.log.Info("signed fetch of a call for stewards refused", "notice", n.ID, "err", err)
		return false
	}
	for _, id := range federation.Addressees(n.Document) {
		if s.urls.LocalActorName(id) == "" && federation.SameOrigin(id, signer.Owner) {
			return true
		}
	}
	s.log.Info("signed fetch of a call for stewards by an instance it is not addressed to", "notice", n.ID, "signer", signer.Owner)
	return false
}
