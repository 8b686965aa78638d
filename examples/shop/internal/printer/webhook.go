package printer

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The headers of a delivery. The signature is
//
//	X-Shop-Signature: sha256=<hex HMAC-SHA256(key, timestamp + "." + body)>
//
// where timestamp is the X-Shop-Timestamp header (Unix seconds) and body
// the request body exactly as received; the receiver recomputes it with
// the shared key (-printer-key), compares in constant time, and refuses
// timestamps far from its clock, so that a captured delivery cannot be
// replayed later. X-Shop-Delivery identifies the print job: a receiver
// that prints each delivery id once is safe against the shop's retries.
const (
	HeaderSignature = "X-Shop-Signature"
	HeaderTimestamp = "X-Shop-Timestamp"
	HeaderDelivery  = "X-Shop-Delivery"
)

// Payload is the JSON body of a delivery.
type Payload struct {
	Delivery    string `json:"delivery"` // "print-<job id>"
	OrderID     int64  `json:"orderId"`
	OrderNumber string `json:"orderNumber"`
	Width       int    `json:"width"`
	Text        string `json:"text"`
	ESCPOS      []byte `json:"escpos"` // base64 in JSON
}

// Webhook delivers receipts to a printer's HTTP endpoint.
type Webhook struct {
	URL    string
	Key    []byte
	Client *http.Client // nil: a client with a 10 s timeout
	Now    func() time.Time
}

// CheckURL validates a printer URL: absolute http or https, no user info.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("printer: %q is not an http(s) URL", s)
	}
	return nil
}

// Sign returns the X-Shop-Signature value of body sent at timestamp.
func Sign(key []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery's signature in constant time and its timestamp
// against now, allowing skew either way; for receivers (and tests).
func Verify(key []byte, r *http.Request, body []byte, now time.Time, skew time.Duration) error {
	ts := r.Header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("printer: bad timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > skew || d < -skew {
		return errors.New("printer: timestamp out of range")
	}
	if !hmac.Equal([]byte(r.Header.Get(HeaderSignature)), []byte(Sign(key, ts, body))) {
		return errors.New("printer: bad signature")
	}
	return nil
}

// Deliver posts p; any answer but 2xx is an error.
func (w *Webhook) Deliver(ctx context.Context, p Payload) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(w.Key, ts, body))
	req.Header.Set(HeaderDelivery, p.Delivery)
	hc := w.Client
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("printer: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Backoff is the wait before attempt n+1 after n failed ones: 1 s,
// doubling, at most 5 minutes.
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 9 {
		return 5 * time.Minute
	}
	return min(time.Second<<(n-1), 5*time.Minute)
}
