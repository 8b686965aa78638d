package api

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
)

// params reads the form-encoded parameters of a call. The first problem is
// kept in err and later reads are harmless, so a handler reads everything
// it needs and checks err once.
type params struct {
	v   url.Values
	err error
}

func (p *params) fail(format string, args ...any) {
	if p.err == nil {
		p.err = errorf(CodeInvalid, format, args...)
	}
}

// str returns a parameter, trimmed; "" if absent.
func (p *params) str(name string) string { return strings.TrimSpace(p.v.Get(name)) }

// required returns a parameter that must be present.
func (p *params) required(name string) string {
	s := p.str(name)
	if s == "" {
		p.fail("缺少参数 %s (missing %s)", name, name)
	}
	return s
}

// int returns an integer parameter, or def when it is absent.
func (p *params) int(name string, def int64) int64 {
	s := p.str(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.fail("参数 %s 应为整数 (%s=%q is not an integer)", name, name, s)
	}
	return n
}

// id returns a required positive id.
func (p *params) id(name string) int64 {
	if p.required(name) == "" {
		return 0
	}
	n := p.int(name, 0)
	if n <= 0 && p.err == nil {
		p.fail("参数 %s 无效 (%s must be a positive id)", name, name)
	}
	return n
}

// ids returns a required comma list of positive ids ("77,88,99").
func (p *params) ids(name string) []int64 {
	s := p.required(name)
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n <= 0 {
			p.fail("参数 %s 无效 (%s=%q is not a list of ids)", name, name, s)
			return nil
		}
		out = append(out, n)
	}
	if len(out) == 0 && s != "" {
		p.fail("参数 %s 无效 (%s=%q is not a list of ids)", name, name, s)
	}
	return out
}

// fen returns a yuan amount in fen, read exactly from its decimal text.
func (p *params) fen(name string) money.Fen {
	s := p.required(name)
	if s == "" {
		return 0
	}
	f, err := money.Parse(s)
	if err != nil {
		p.fail("参数 %s 不是有效金额 (%s=%q is not an amount)", name, name, s)
	}
	return f
}

// bool reads "true"/"false" (and 1/0), false when absent.
func (p *params) bool(name string) bool {
	switch strings.ToLower(p.str(name)) {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	p.fail("参数 %s 应为 true 或 false (%s=%q)", name, name, p.str(name))
	return false
}

// json decodes a parameter that holds a JSON string (goodsJsonStr,
// postJsonString); required says whether it may be absent.
func (p *params) json(name string, v any, required bool) bool {
	s := p.str(name)
	if s == "" {
		if required {
			p.fail("缺少参数 %s (missing %s)", name, name)
		}
		return false
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		p.fail("参数 %s 不是有效的 JSON (%s: %v)", name, name, err)
		return false
	}
	return true
}

// page returns page and pageSize, bounded.
func (p *params) page(defSize int64) (page, size int) {
	pg, sz := p.int("page", 1), p.int("pageSize", defSize)
	if pg < 1 {
		pg = 1
	}
	if sz < 1 || sz > 100 {
		sz = min(max(sz, 1), 100)
	}
	if pg > 100000 {
		pg = 100000
	}
	return int(pg), int(sz)
}

// flexInt is a JSON integer the client may send as a number or a string
// ("number": 2 or "number": "2").
type flexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return &json.UnsupportedValueError{Str: string(b)}
	}
	*f = flexInt(n)
	return nil
}

// flexString is a JSON value the client may send as a string or a number
// ("id": 77 or "id": "77,88").
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}
