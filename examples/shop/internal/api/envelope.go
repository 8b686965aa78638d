package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// Result codes of the {code, msg, data} envelope. 0, 700, 2000, 10000,
// 20000 and 40000 are api工厂's own; the others fill the protocol's gaps
// (its error codes for failed creates and payments were never seen) and
// every page shows msg for them.
const (
	CodeOK            = 0
	CodeFailed        = 1     // internal error, or WeChat Pay refused
	CodeInvalid       = 300   // a parameter is missing or malformed (inferred)
	CodeForbidden     = 403   // logged in, but not allowed (write-off by non-staff) (inferred)
	CodeNoAPI         = 404   // no such API
	CodeNoData        = 700   // no data / not found
	CodeNotLoggedIn   = 2000  // missing or bad token: the pages go to login
	CodeUnregistered  = 10000 // login of a WeChat user who never registered
	CodeAfterSaleOpen = 20000 // the line already has an open after-sale
	CodeConflict      = 30000 // not allowed in the current state: out of stock, order closed… (inferred)
	CodeBalanceTooLow = 40000 // data is the shortfall in yuan
)

// envelope is every answer of the api工厂 protocol.
type envelope struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
	Data any    `json:"data,omitempty"`
}

// apiError is an error with its envelope.
type apiError struct {
	code   int
	msg    string
	data   any
	status int // HTTP status on the admin API; 0 derives it from code
	// wrapped is the cause, for errors.Is.
	wrapped error
}

// Error implements error.
func (e *apiError) Error() string { return e.msg }

// Unwrap returns the cause.
func (e *apiError) Unwrap() error { return e.wrapped }

func errorf(code int, format string, args ...any) error {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

// noData is the 700 the pages expect for an empty list.
func noData(what string) error { return errorf(CodeNoData, "暂无%s (no data)", what) }

var kindCodes = map[store.Kind]int{
	store.Invalid:         CodeInvalid,
	store.NotFound:        CodeNoData,
	store.Conflict:        CodeConflict,
	store.AfterSaleOpen:   CodeAfterSaleOpen,
	store.BalanceTooLow:   CodeBalanceTooLow,
	store.UnknownUser:     CodeUnregistered,
	store.Unauthenticated: CodeNotLoggedIn,
}

// envelopeOf turns a handler's error into its envelope. Errors the client
// cannot act on are logged and answered with a generic message: their
// text may say more about the server than a buyer should see.
func envelopeOf(err error, log *slog.Logger, r *http.Request) envelope {
	var ae *apiError
	if errors.As(err, &ae) {
		return envelope{Code: ae.code, Msg: ae.msg, Data: ae.data}
	}
	var se *store.Error
	if errors.As(err, &se) {
		e := envelope{Code: kindCodes[se.Kind], Msg: se.Msg}
		if se.Kind == store.BalanceTooLow {
			e.Data = se.Shortfall
		}
		return e
	}
	log.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
	return envelope{Code: CodeFailed, Msg: "系统繁忙，请稍后再试 (internal error)"}
}

// writeJSON writes v with an HTTP status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // goods descriptions are HTML; keep them readable
	enc.Encode(v)
}
