package web

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"baton/store"
)

// DeliveryCounts is how far the deliveries of some activities got. Total is Queued + Delivered +
// Failed; Retrying is part of Queued.
type DeliveryCounts struct {
	Queued    int `json:"queued"`
	Delivered int `json:"delivered"`
	Retrying  int `json:"retrying"`
	Failed    int `json:"failed"`
	Total     int `json:"total"`
}

// HostDeliveryView is how the deliveries to one host that failed an attempt stand.
type HostDeliveryView struct {
	Host      string `json:"host"`
	Retrying  int    `json:"retrying"`
	Failed    int    `json:"failed"`
	LastError string `json:"last_error"`
}

// DeliveryView answers GET /api/v1/notices/{id}/delivery: the deliveries of the notice's Create and
// of its Updates, summed at the top and apart in Create and Updates, and the hosts with a delivery
// retrying or given up.
type DeliveryView struct {
	Notice string `json:"notice"`
	DeliveryCounts
	Hosts   []HostDeliveryView `json:"hosts"`
	Create  DeliveryCounts     `json:"create"`
	Updates DeliveryCounts     `json:"updates"`
}

// Done reports whether nothing is left to deliver.
func (v DeliveryView) Done() bool { return v.Queued == 0 }

func (c *DeliveryCounts) add(a store.ActivityDeliveries) {
	c.Queued += a.Queued
	c.Delivered += a.Delivered
	c.Retrying += a.Retrying
	c.Failed += a.Failed
	c.Total += a.Total()
}

// noticeDelivery answers GET /api/v1/notices/{id}/delivery, behind the admin token: any notice, a
// notice for stewards alone included.
func (s *Server) noticeDelivery(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "notice "+r.PathValue("id")+" not found")
		return
	}
	n, err := s.store.Notice(r.Context(), id)
	if err != nil {
		s.storeError(w, err, "notice "+r.PathValue("id"))
		return
	}
	v, err := s.deliveryView(r, n)
	if err != nil {
		s.storeError(w, err, "delivery status")
		return
	}
	writeJSON(w, http.StatusOK, "application/json", v)
}

// deliveryView adds up the deliveries of a notice's Create and Updates.
func (s *Server) deliveryView(r *http.Request, n store.Notice) (DeliveryView, error) {
	noticeURL := s.urls.Notice(n.ID)
	// The Create is noticeURL/activity, the Updates noticeURL#updates/N: both begin with noticeURL,
	// as do other notices' ids (notice 1's with notice 10's), which are left out below.
	all, err := s.store.DeliveryStatus(r.Context(), noticeURL)
	if err != nil {
		return DeliveryView{}, err
	}
	v := DeliveryView{Notice: noticeURL, Hosts: []HostDeliveryView{}}
	hosts := map[string]*HostDeliveryView{}
	for _, a := range all {
		switch {
		case a.ActivityID == s.urls.NoticeActivity(n.ID):
			v.Create.add(a)
		case strings.HasPrefix(a.ActivityID, noticeURL+"#updates/"):
			v.Updates.add(a)
		default:
			continue
		}
		v.DeliveryCounts.add(a)
		// Activities come in id order, the Updates in the order made (their ids end in the same
		// number of digits until 2286), so a later activity's error is the later one.
		for _, h := range a.Hosts {
			hv := hosts[h.Host]
			if hv == nil {
				hv = &HostDeliveryView{Host: h.Host}
				hosts[h.Host] = hv
			}
			hv.Retrying += h.Retrying
			hv.Failed += h.Failed
			if h.LastError != "" {
				hv.LastError = h.LastError
			}
		}
	}
	for _, h := range hosts {
		v.Hosts = append(v.Hosts, *h)
	}
	slices.SortFunc(v.Hosts, func(a, b HostDeliveryView) int { return strings.Compare(a.Host, b.Host) })
	return v, nil
}

// pageDelivery is the delivery status for a notice's page when the request carries the admin token as
// a bearer token (pages have no sessions; isAdmin), nil otherwise. A page that shows it is not to be
// stored by caches.
func (s *Server) pageDelivery(w http.ResponseWriter, r *http.Request, n store.Notice, admin bool) *DeliveryView {
	if !admin {
		return nil
	}
	v, err := s.deliveryView(r, n)
	if err != nil {
		s.log.Error("delivery status for the notice page", "notice", n.ID, "err", err)
		return nil
	}
	w.Header().Set("Cache-Control", "private, no-store")
	return &v
}

// isAdmin reports whether a page's request carries the admin token. A page answers everyone, so a
// wrong token is not refused; it counts against the address as on the API, and none is tried while
// the address is held back.
func (s *Server) isAdmin(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return false
	}
	addr := clientAddr(r)
	if s.adminFailures.blocked(addr) > 0 {
		return false
	}
	if len(s.tokenHash) == 0 || subtle.ConstantTimeCompare(HashToken(token), s.tokenHash) != 1 {
		s.adminFailures.fail(addr)
		return false
	}
	return true
}
