package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// event is what the console's live feed shows: an order paid, closed or
// printed, an after-sale moving.
type event struct {
	ID          int64     `json:"id"`
	Type        string    `json:"type"` // paid, closed, printed, refund
	OrderID     int64     `json:"orderId,omitempty"`
	OrderNumber string    `json:"orderNumber,omitempty"`
	Amount      money.Fen `json:"amount,omitempty"` // yuan in JSON
	Goods       string    `json:"goods,omitempty"`
	Buyer       string    `json:"buyer,omitempty"`
	ApplyID     int64     `json:"applyId,omitempty"`
	Status      string    `json:"status,omitempty"`
	Date        string    `json:"date,omitempty"`
}

func paidEvent(o *store.Order) event {
	goods := ""
	for i, l := range o.Lines {
		if i > 0 {
			goods += "，"
		}
		goods += fmt.Sprintf("%s ×%d", l.GoodsName, l.Number)
	}
	return event{Type: "paid", OrderID: o.ID, OrderNumber: o.OrderNumber, Amount: o.AmountReal, Goods: goods,
		Buyer: o.Address.LinkMan, Date: o.DatePay}
}

// hub fans events out to the console's live feeds. A slow feed loses
// events rather than holding up payments: the page reloads its lists
// anyway when it reconnects.
type hub struct {
	mu   sync.Mutex
	seq  int64
	subs map[chan event]struct{}
}

func newHub() *hub { return &hub{subs: map[chan event]struct{}{}} }

func (h *hub) publish(e event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	e.ID = h.seq
	for c := range h.subs {
		select {
		case c <- e:
		default:
		}
	}
}

func (h *hub) subscribe() (chan event, func()) {
	c := make(chan event, 64)
	h.mu.Lock()
	h.subs[c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.subs, c)
		h.mu.Unlock()
	}
}

// sseKeepAlive is how often an idle feed sends a comment, so that
// proxies keep the connection and a dead one is noticed.
const sseKeepAlive = 15 * time.Second

// serveEvents is the console's live feed: Server-Sent Events.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c, cancel := s.hub.subscribe()
	defer cancel()
	extend := func() { rc.SetWriteDeadline(time.Now().Add(sseKeepAlive + 10*time.Second)) }
	extend()
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 1000\n: connected\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	t := time.NewTicker(sseKeepAlive)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
			extend()
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		case e := <-c:
			extend()
			b, _ := json.Marshal(e)
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Type, b); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
