// Package money converts between the shop's internal amounts, int64 fen,
// and the yuan amounts of the api工厂 protocol, without ever doing
// floating-point arithmetic on money.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Fen is an amount of money in fen (0.01 yuan). It marshals to JSON as a
// number of yuan with at most two decimals (1250 → 12.5), the way the
// api工厂 protocol and the pages that call .toFixed(2) on it expect.
type Fen int64

// ErrSyntax is wrapped by the errors of Parse for text that is not a
// decimal number.
var ErrSyntax = errors.New("money: not a decimal amount")

// ErrRange is wrapped by the errors of Parse for amounts too large to be
// real money.
var ErrRange = errors.New("money: amount out of range")

// maxYuan bounds parsed amounts: a trillion yuan is far beyond any order
// and far below the int64 limit, so no arithmetic on parsed values can
// overflow.
const maxYuan = 1_000_000_000_000

// Parse reads a yuan amount such as "12.50", "12.5", "12", "-3" or
// "0.30000000000000004" and returns it in fen. The text is read as an
// exact decimal; digits beyond the fen are rounded half away from zero.
// Rounding matters because the mini-program pages compute amounts in
// JavaScript floating point (amountSingle × number, amountReal − balance)
// and send the result's shortest decimal form, which may carry binary
// noise in the far decimals, or come in exponent form (5.5e-17).
func Parse(s string) (Fen, error) {
	s = strings.TrimSpace(s)
	if len(s) == 0 || len(s) > 40 {
		return 0, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	mant, exp, err := splitExponent(s)
	if err != nil {
		return 0, err
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if (intPart == "" && frac == "") || !digits(intPart) || !digits(frac) {
		return 0, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	// The value is d × 10^shift fen: the digits without the point, moved
	// two places for yuan → fen and by the exponent.
	d := strings.TrimLeft(intPart+frac, "0")
	shift := 2 - len(frac) + exp
	if d == "" {
		return 0, nil
	}
	var whole string
	var roundUp bool
	switch cut := len(d) + shift; {
	case shift >= 0:
		if cut > 15 {
			return 0, fmt.Errorf("%w: %q", ErrRange, s)
		}
		whole = d + strings.Repeat("0", shift)
	case cut < 0:
		// Below half a fen: rounds to zero.
	default:
		whole = d[:cut]
		roundUp = d[cut] >= '5'
	}
	var fen int64
	if whole != "" {
		if len(whole) > 15 {
			return 0, fmt.Errorf("%w: %q", ErrRange, s)
		}
		fen, _ = strconv.ParseInt(whole, 10, 64) // ≤ 15 digits: cannot fail
	}
	if roundUp {
		fen++
	}
	if fen > maxYuan*100 {
		return 0, fmt.Errorf("%w: %q", ErrRange, s)
	}
	if neg {
		fen = -fen
	}
	return Fen(fen), nil
}

// splitExponent separates "1.5e-3" into "1.5" and -3. Exponents are
// bounded so that a hostile "1e999999999" costs nothing.
func splitExponent(s string) (string, int, error) {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return s, 0, nil
	}
	e := s[i+1:]
	if len(e) == 0 || len(e) > 4 {
		return "", 0, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	n, err := strconv.Atoi(e)
	if err != nil || n < -99 || n > 99 {
		return "", 0, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	return s[:i], n, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats f as yuan with the fewest decimals that keep it exact:
// "12.5", "12", "0.01", "-3.2".
func (f Fen) String() string {
	n := int64(f)
	sign := ""
	if n < 0 {
		sign = "-"
		n = -n // cannot overflow for amounts the shop handles (|f| ≤ 10^14)
	}
	yuan, cents := n/100, n%100
	switch {
	case cents == 0:
		return sign + strconv.FormatInt(yuan, 10)
	case cents%10 == 0:
		return fmt.Sprintf("%s%d.%d", sign, yuan, cents/10)
	default:
		return fmt.Sprintf("%s%d.%02d", sign, yuan, cents)
	}
}

// MarshalJSON renders f as a JSON number of yuan.
func (f Fen) MarshalJSON() ([]byte, error) {
	return []byte(f.String()), nil
}

// Number returns f as a json.Number of yuan, for maps built on the fly.
func (f Fen) Number() json.Number { return json.Number(f.String()) }
