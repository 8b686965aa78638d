package wxpay

import (
	"log/slog"
)

// WithLogger makes the client log each attempt of each call to l: at
// Debug the request and response fields, at Warn failed attempts. Signs
// are redacted and the API key is never part of a message, so logs can be
// shipped without leaking what would let a reader forge a message.
func WithLogger(l *slog.Logger) Option { return func(c *config) error { c.logger = l; return nil } }

// redacted renders a message for logs with its sign hidden.
type redacted Params

// LogValue implements slog.LogValuer.
func (r redacted) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(r))
	for k, v := range r {
		if isSecretField(k) {
			v = "[REDACTED]"
		}
		attrs = append(attrs, slog.String(k, v))
	}
	return slog.GroupValue(attrs...)
}

// isSecretField reports whether a field, wherever it appears, carries a
// signature or key material.
func isSecretField(name string) bool {
	switch name {
	case "sign", "paySign", "sandbox_signkey", "key":
		return true
	}
	return false
}
