package wxpaytest

import (
	"errors"
	"maps"

	"github.com/wxpay-go/wxpay"
)

// Endpoint describes, for Handle, an API path the server does not model,
// so that a test of wxpay.Client.Call runs on the server too. Its knobs
// mirror wxpay.CallOptions: the server demands what WeChat would of such
// an endpoint, with the checks every path shares (method, certificate,
// XML, merchant, signature, sub-merchant).
type Endpoint struct {
	Cert       bool   // a verified client certificate is required
	AppIDField string // the request's app id field: "" means "appid", "-" none
	MchIDField string // the request's merchant id field: "" means "mch_id"
	NoSignType bool   // sign_type must not be sent (MD5, as for red packets)
	HMACOnly   bool   // only HMAC-SHA256 requests are accepted
	Unsigned   bool   // the answer carries no sign

	// Answer returns the business fields of a success for the verified
	// request req. An error that is a *wxpay.Error with an ErrCode becomes
	// a signed result_code FAIL with its ErrCode and ErrCodeDes; any other
	// error becomes return_code FAIL with the error's text.
	Answer func(req wxpay.Params) (wxpay.Params, error)
}

// Handle makes the server answer path (such as "/pay/queryexchagerate")
// as e says. It replaces an earlier Handle of the same path and takes
// precedence over the paths the server models. It panics if e.Answer is nil.
func (s *Server) Handle(path string, e Endpoint) {
	if e.Answer == nil {
		panic("wxpaytest: Handle " + path + " without an Answer")
	}
	answerFn := e.Answer
	ep := endpoint{
		cert: e.Cert, appIDField: e.AppIDField, mchIDField: e.MchIDField,
		noSignType: e.NoSignType, md5Only: e.NoSignType, hmacOnly: e.HMACOnly, unsigned: e.Unsigned,
		serve: func(_ *Server, p wxpay.Params) answer {
			fields, err := answerFn(maps.Clone(p))
			var we *wxpay.Error
			switch {
			case errors.As(err, &we) && we.ErrCode != "":
				return refuse(we.ErrCode, we.ErrCodeDes)
			case err != nil:
				return reject(err.Error())
			}
			return success(maps.Clone(fields))
		},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.custom == nil {
		s.custom = map[string]endpoint{}
	}
	s.custom[path] = ep
}

// endpoint returns what answers path: a Handle'd endpoint, else a modelled one.
func (s *Server) endpoint(path string) (endpoint, bool) {
	s.mu.Lock()
	ep, ok := s.custom[path]
	s.mu.Unlock()
	if ok {
		return ep, true
	}
	ep, ok = endpoints[path]
	return ep, ok
}
