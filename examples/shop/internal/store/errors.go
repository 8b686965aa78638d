package store

import (
	"errors"
	"fmt"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
)

// Kind classifies the business errors a client can act on.
type Kind int

// The kinds of Error.
const (
	Invalid         Kind = iota + 1 // a parameter is missing, malformed or out of range
	NotFound                        // no such user, goods, order or application
	Conflict                        // the thing is not in a state that allows the operation
	AfterSaleOpen                   // the order line already has an open after-sale
	BalanceTooLow                   // the balance does not cover the payment; see Shortfall
	UnknownUser                     // login of a WeChat user who never registered
	Unauthenticated                 // missing, unknown or expired token
)

// Error is a business-rule failure, with a message meant for the buyer
// (the mini-program pages show it verbatim).
type Error struct {
	Kind      Kind
	Msg       string
	Shortfall money.Fen // what the balance lacks, for BalanceTooLow
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

func fail(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// KindOf returns the Kind of err, or 0 when err is not a business error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
