package wxpaytest

import "time"

// Fault is a failure injected into the answer to one request with
// Server.Fail. Set one field; Delay combines with the others.
//
// StatusCode, ReturnMsg and ErrCode answer instead of WeChat: the request
// is not processed, so no order or refund is created. Delay, Hangup,
// Malformed and BadSign spoil an answer to a request that was processed:
// the order or refund exists although the client saw a failure, which is
// the case a client must resolve by repeating the request with the same
// out_trade_no or out_refund_no, or by querying.
type Fault struct {
	// Delay holds the answer back this long. If the client gives up (its
	// context or timeout) first, the connection is closed; the request is
	// processed anyway.
	Delay time.Duration

	// Hangup closes the connection without answering.
	Hangup bool

	// StatusCode answers this HTTP status (e.g. 500, 502) with a gateway's
	// HTML page instead of XML.
	StatusCode int

	// Malformed cuts the XML answer in half.
	Malformed bool

	// ReturnMsg answers return_code FAIL with this return_msg.
	ReturnMsg string

	// ErrCode answers a request that passes the checks with result_code
	// FAIL and this err_code, correctly signed: "SYSTEMERROR",
	// "BIZERR_NEED_RETRY", "FREQUENCY_LIMITED"… ErrCodeDes is its
	// err_code_des (ErrCode when empty).
	ErrCode    string
	ErrCodeDes string

	// BadSign signs the answer with a wrong key.
	BadSign bool
}

// Fail queues faults for the next requests to path ("/pay/orderquery"),
// one fault per request in the order given; later requests are answered
// normally again. Calling Fail again appends to the queue. With
// WithSandbox, path is still the API path, without the sandbox prefix,
// for requests under either prefix; the sandbox key paths are named in
// full ("/sandboxnew/pay/getsignkey").
func (s *Server) Fail(path string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = append(s.faults[path], faults...)
}

// takeFault removes and returns the next fault queued for path.
func (s *Server) takeFault(path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[path]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	s.faults[path] = q[1:]
	return &f
}
