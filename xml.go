package wxpay

import (
	"github.com/wxpay-go/wxpay/internal/wire"
)

// Params is one flat v2 message: field name to value, as signed and as
// carried in the children of an <xml> element. Values stay strings until the
// message's signature is verified; the typed request and response structs
// of this package convert to and from Params.
type Params map[string]string

// MaxBodySize is the largest XML message, in bytes, that ParseXML, the
// client and the notify handlers accept. Real v2 messages are a few
// kilobytes; the limit keeps a hostile peer from making us buffer more.
const MaxBodySize = wire.MaxBodySize

var (
	// ErrMalformedXML is returned (wrapped, with the detail) for a body that
	// is not one flat v2 XML message.
	ErrMalformedXML = wire.ErrMalformed

	// ErrBodyTooLarge is returned (possibly wrapped) for a body larger than
	// MaxBodySize.
	ErrBodyTooLarge = wire.ErrTooLarge
)

// AppendXML appends p to b as an <xml> document with one child per field,
// in field-name order, each value in CDATA. A
// value containing "]]>" is split across CDATA sections and a carriage
// return is written as a character reference, so that ParseXML returns the
// value unchanged. Field names must be XML names and values valid XML text;
// the client's request pipeline checks both before it encodes.
func (p Params) AppendXML(b []byte) []byte {
	var fields [32]wire.Field
	return wire.AppendXML(b, sortedFields(fields[:0], p))
}

// ParseXML decodes one flat v2 message: an optional XML declaration at the
// start, a single root element (<xml> for API messages, <root> inside a
// refund notify's req_info) whose children are fields holding text or
// CDATA. Whitespace between elements is ignored; a value is kept exactly,
// never trimmed. A DOCTYPE or other directive, comments, processing
// instructions, attributes, names with a colon, nested or repeated fields,
// references to non-characters, invalid UTF-8 and bodies over MaxBodySize
// are errors, never silently repaired: a message an attacker could read two
// ways must not reach signature verification.
//
// Errors wrap ErrMalformedXML or ErrBodyTooLarge.
func ParseXML(data []byte) (Params, error) {
	p, _, err := decode(data)
	return p, err
}
