package wxpay

import (
	"context"
	"log/slog"
	"time"

	"github.com/wxpay-go/wxpay/internal/wire"
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

// logExchange logs one attempt: sent is the request as signed, answer
// the response message, if any.
func (c *Client) logExchange(ctx context.Context, ep endpoint, attempt int, start time.Time, sent []wire.Field, answer Params, err error) {
	if c.logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("path", ep.path),
		slog.Int("attempt", attempt),
		slog.Duration("elapsed", time.Since(start)),
	}
	if err != nil {
		c.logger.LogAttrs(ctx, slog.LevelWarn, "wxpay call failed", append(attrs, slog.String("error", err.Error()))...)
		return
	}
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		req := make(Params, len(sent))
		for _, f := range sent {
			req[f.Name] = f.Value
		}
		c.logger.LogAttrs(ctx, slog.LevelDebug, "wxpay call", append(attrs,
			slog.Any("request", redacted(req)), slog.Any("response", redacted(answer)))...)
	}
}
