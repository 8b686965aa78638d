package wxpay

// Benchmarks for the speed targets, each beside the baseline it is judged
// against, measured in the same run: `go test -run '^$' -bench . -benchmem`.
// scripts/bench.sh turns a run into BENCHMARKS.md.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wxpay-go/wxpay/internal/wire"
)

// benchOrder is the 11-field unified order a client signs.
var benchOrder = Params{
	"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
	"body": "腾讯充值中心-QQ会员充值", "out_trade_no": "20150806125346", "total_fee": "888",
	"spbill_create_ip": "123.12.12.123", "notify_url": "https://example.com/wxpay/notify",
	"trade_type": "JSAPI", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "sign_type": "MD5",
}

var sink []byte

// BenchmarkPipeline measures what the request pipeline does to every
// call before it is sent: Client.prepare adds the merchant fields, nonce
// and sign type to a unified order's fields, checks, sorts and signs them
// and encodes the request. The baseline is the least any client does for
// the same request: the digest of its canonical string (built beforehand)
// and a plain append writer over its fields.
func BenchmarkPipeline(b *testing.B) {
	fields, err := build(&UnifiedOrderRequest{
		Body: "腾讯充值中心-QQ会员充值", OutTradeNo: "20150806125346", TotalFee: 888, SpbillCreateIP: "123.12.12.123",
		NotifyURL: "https://example.com/wxpay/notify", TradeType: TradeTypeJSAPI, OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	})
	if err != nil {
		b.Fatal(err)
	}
	ep := endpoint{path: "/pay/unifiedorder", idempotent: true}
	signed := sortedFields(nil, signed(benchOrder, docKey, SignTypeMD5))
	msg := []byte(referenceCanonical(benchOrder, docKey))
	plainXML := func() {
		buf := make([]byte, 0, 1024)
		buf = append(buf, "<xml>"...)
		for _, f := range signed {
			buf = append(buf, '<')
			buf = append(buf, f.Name...)
			buf = append(buf, "><![CDATA["...)
			buf = append(buf, f.Value...)
			buf = append(buf, "]]></"...)
			buf = append(buf, f.Name...)
			buf = append(buf, '>')
		}
		sink = append(buf, "</xml>"...)
	}
	for _, st := range []SignType{SignTypeMD5, SignTypeHMACSHA256} {
		c, err := NewClient(testAppID, testMchID, docKey, WithSignType(st))
		if err != nil {
			b.Fatal(err)
		}
		b.Run("prepare/"+string(st), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				sr, err := c.prepare(context.Background(), ep, fields)
				if err != nil {
					b.Fatal(err)
				}
				sink = sr.body
			}
		})
	}
	b.Run("baseline=MD5-of-canonical+append-writer", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			md5.Sum(msg)
			plainXML()
		}
	})
	b.Run("baseline=HMAC-SHA256-keyed-state+append-writer", func(b *testing.B) {
		m := hmac.New(sha256.New, []byte(docKey))
		var sum [sha256.Size]byte
		b.ReportAllocs()
		for range b.N {
			m.Reset()
			m.Write(msg)
			m.Sum(sum[:0])
			plainXML()
		}
	})
}

// BenchmarkSign measures the public Sign on a map, beside the digest of
// the canonical string alone. No call of the client takes this path (the
// pipeline signs its fields as they are): it is what a user who signs a
// message of their own pays.
func BenchmarkSign(b *testing.B) {
	msg := []byte(referenceCanonical(benchOrder, docKey))
	b.Run("MD5", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			Sign(benchOrder, docKey, SignTypeMD5)
		}
	})
	b.Run("MD5/baseline=hash-of-canonical-string", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			md5.Sum(msg)
		}
	})
	b.Run("HMAC-SHA256", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			Sign(benchOrder, docKey, SignTypeHMACSHA256)
		}
	})
	b.Run("HMAC-SHA256/baseline=keyed-state", func(b *testing.B) {
		m := hmac.New(sha256.New, []byte(docKey))
		var sum [sha256.Size]byte
		b.ReportAllocs()
		for range b.N {
			m.Reset()
			m.Write(msg)
			m.Sum(sum[:0])
		}
	})
}

// BenchmarkEncode measures the request encoder: wire.AppendXML over the
// sorted fields, as the pipeline calls it, and the public
// Params.AppendXML, which sorts a map's names first; the baseline is a
// plain append writer over the map.
func BenchmarkEncode(b *testing.B) {
	signedOrder := signed(benchOrder, docKey, SignTypeMD5)
	sorted := sortedFields(nil, signedOrder)
	b.Run("wire.AppendXML", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			sink = wire.AppendXML(nil, sorted)
		}
	})
	b.Run("AppendXML", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			sink = signedOrder.AppendXML(nil)
		}
	})
	b.Run("baseline=append-writer", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			buf := make([]byte, 0, 1024)
			buf = append(buf, "<xml>"...)
			for k, v := range signedOrder {
				buf = append(buf, '<')
				buf = append(buf, k...)
				buf = append(buf, "><![CDATA["...)
				buf = append(buf, v...)
				buf = append(buf, "]]></"...)
				buf = append(buf, k...)
				buf = append(buf, '>')
			}
			sink = append(buf, "</xml>"...)
		}
	})
}

// BenchmarkPayNotifyHandler delivers the signed payment notify to
// PayNotifyHandler from GOMAXPROCS goroutines at once, as WeChat's
// retries and a busy hour do, beside a handler that only reads the body
// and acknowledges it: what separates the two is the parse, the
// verification and the typed notify.
func BenchmarkPayNotifyHandler(b *testing.B) {
	body := signed(genuinePayNotify(), docKey, SignTypeMD5).AppendXML(nil)
	c := fuzzClient(b)
	handler := c.PayNotifyHandler(func(_ context.Context, n *PayNotify) error {
		if n.TotalFee != 888 {
			return fmt.Errorf("total_fee %d", n.TotalFee)
		}
		return nil
	})
	ack := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(notifySuccess))
	})
	serve := func(h http.Handler) func(*testing.B) {
		return func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/notify", bytes.NewReader(body)))
					if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte("SUCCESS")) {
						b.Errorf("answer %d %q", w.Code, w.Body)
						return
					}
				}
			})
		}
	}
	b.Run("PayNotifyHandler", serve(handler))
	b.Run("baseline=read-and-acknowledge", serve(ack))
}

func BenchmarkParsePayNotify(b *testing.B) {
	body := signed(genuinePayNotify(), docKey, SignTypeMD5).AppendXML(nil)
	c := fuzzClient(b)
	b.Run("ParsePayNotify", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for range b.N {
			if _, err := c.ParsePayNotify(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline=xml.Decoder.Token", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for range b.N {
			d := xml.NewDecoder(bytes.NewReader(body))
			for {
				if _, err := d.Token(); err != nil {
					break
				}
			}
		}
	})
}

func BenchmarkParseRefundNotify(b *testing.B) {
	plain := []byte(`<root><out_refund_no><![CDATA[R001]]></out_refund_no><out_trade_no><![CDATA[20150806125346]]></out_trade_no>` +
		`<refund_account><![CDATA[REFUND_SOURCE_RECHARGE_FUNDS]]></refund_account><refund_fee><![CDATA[888]]></refund_fee>` +
		`<refund_id><![CDATA[50000408942018111907145868882]]></refund_id><refund_recv_accout><![CDATA[支付用户零钱]]></refund_recv_accout>` +
		`<refund_request_source><![CDATA[API]]></refund_request_source><refund_status><![CDATA[SUCCESS]]></refund_status>` +
		`<settlement_refund_fee><![CDATA[888]]></settlement_refund_fee><settlement_total_fee><![CDATA[888]]></settlement_total_fee>` +
		`<success_time><![CDATA[2018-11-19 16:24:13]]></success_time><total_fee><![CDATA[888]]></total_fee>` +
		`<transaction_id><![CDATA[4200000215201811190261405420]]></transaction_id></root>`)
	reqInfo := encryptReqInfo(plain, docKey)
	body := refundNotifyBody(reqInfo)
	c := fuzzClient(b)
	b.Run("ParseRefundNotify", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := c.ParseRefundNotify(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline=base64+AES-256-ECB+unpad", func(b *testing.B) {
		sum := md5.Sum([]byte(docKey))
		b.ReportAllocs()
		for range b.N {
			buf, _ := base64.StdEncoding.DecodeString(reqInfo)
			var key [32]byte
			hex.Encode(key[:], sum[:])
			block, _ := aes.NewCipher(key[:])
			for i := 0; i < len(buf); i += aes.BlockSize {
				block.Decrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
			}
			sink = buf[:len(buf)-int(buf[len(buf)-1])]
		}
	})
}

// BenchmarkRoundTrip runs unified orders against a loopback server that
// answers a fixed signed response, beside plain net/http POSTs of the same
// bytes to the same server. The target is about throughput, so the main
// pair runs in parallel (GOMAXPROCS goroutines), keeping the machine busy
// as a payment backend's traffic does; the sequential pair shows one
// caller's latency. by-hand is the same POST with only the work no client
// can skip, done with this package's functions, in either mode; the
// in-memory pair compares the two without a network, where CPU time is all
// there is.
func BenchmarkRoundTrip(b *testing.B) {
	answer := signed(Params{"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS",
		"appid": testAppID, "mch_id": testMchID, "nonce_str": "IITRi8Iabbblz1Jc", "trade_type": "JSAPI",
		"prepay_id": "wx201411101639507cbf6ffd8b0779950874", "sign_type": "MD5"}, docKey, SignTypeMD5).AppendXML(nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write(answer)
	}))
	defer srv.Close()
	hc := srv.Client()
	unifiedOrder, byHand := roundTrips(b, hc, srv.URL)
	body := signed(benchOrder, docKey, SignTypeMD5).AppendXML(nil)
	post := func() error {
		resp, err := hc.Post(srv.URL+"/pay/unifiedorder", "text/xml", bytes.NewReader(body))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	parallel := func(call func() error) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := call(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	sequential := func(call func() error) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("UnifiedOrder", parallel(unifiedOrder))
	b.Run("baseline=net/http-POST", parallel(post))
	b.Run("by-hand=POST+sign+parse+verify", parallel(byHand))
	b.Run("sequential/UnifiedOrder", sequential(unifiedOrder))
	b.Run("sequential/baseline=net/http-POST", sequential(post))
	b.Run("sequential/by-hand", sequential(byHand))

	memUnifiedOrder, memByHand := roundTrips(b, &http.Client{Transport: answerTransport(answer)}, "https://wxpay.test")
	b.Run("in-memory/UnifiedOrder", sequential(memUnifiedOrder))
	b.Run("in-memory/by-hand", sequential(memByHand))
}

// roundTrips returns a unified order through a client of hc and baseURL,
// and the same order sent by hand.
func roundTrips(b *testing.B, hc *http.Client, baseURL string) (unifiedOrder, byHand func() error) {
	c, err := NewClient(testAppID, testMchID, docKey, WithHTTPClient(hc), WithBaseURL(baseURL))
	if err != nil {
		b.Fatal(err)
	}
	order := &UnifiedOrderRequest{
		Body: "腾讯充值中心-QQ会员充值", OutTradeNo: "20150806125346", TotalFee: 888, SpbillCreateIP: "123.12.12.123",
		NotifyURL: "https://example.com/wxpay/notify", TradeType: TradeTypeJSAPI, OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	}
	unifiedOrder = func() error {
		_, err := c.UnifiedOrder(context.Background(), order)
		return err
	}
	// byHand is the least any v2 client must do around the POST: sign and
	// encode the order, parse and verify the answer. It tells the
	// pipeline's own cost from that of the work itself.
	byHand = func() error {
		p := Params{"appid": testAppID, "mch_id": testMchID, "nonce_str": NonceStr(),
			"body": order.Body, "out_trade_no": order.OutTradeNo, "total_fee": "888",
			"spbill_create_ip": order.SpbillCreateIP, "notify_url": order.NotifyURL,
			"trade_type": "JSAPI", "openid": order.OpenID, "sign_type": "MD5"}
		sign, err := Sign(p, docKey, SignTypeMD5)
		if err != nil {
			return err
		}
		p["sign"] = sign
		resp, err := hc.Post(baseURL+"/pay/unifiedorder", "text/xml", bytes.NewReader(p.AppendXML(nil)))
		if err != nil {
			return err
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		q, err := ParseXML(data)
		if err != nil {
			return err
		}
		return VerifySign(q, docKey)
	}
	return unifiedOrder, byHand
}

// answerTransport answers every request with its bytes, without a network.
type answerTransport []byte

func (a answerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(a)), Request: r}, nil
}

// BenchmarkVerifyHostileNotify verifies a 1 MB notify of 50,000 distinct
// fields, the most an unauthenticated peer can make the notify handler
// sort: sorting is n log n, so this stays in milliseconds (an insertion
// sort took seconds).
func BenchmarkVerifyHostileNotify(b *testing.B) {
	var body bytes.Buffer
	body.WriteString("<xml><sign>0123456789ABCDEF0123456789ABCDEF</sign>")
	for i := 0; body.Len() < MaxBodySize-32; i++ {
		fmt.Fprintf(&body, "<f%06d>1</f%06d>", i, i)
	}
	body.WriteString("</xml>")
	p, err := ParseXML(body.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		if err := VerifySign(p, docKey); !errors.Is(err, ErrInvalidSign) {
			b.Fatal(err)
		}
	}
}
