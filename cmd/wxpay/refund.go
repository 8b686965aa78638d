package main

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/wxpay-go/wxpay"
)

// cmdDecryptRefund decrypts a refund notify's req_info through the SDK's
// own ParseRefundNotify, so that the command and the library cannot
// disagree. A bare req_info is wrapped into a notify first.
func cmdDecryptRefund(e *env, args []string) int {
	fs := e.flags("[-key-file file] [-sandbox-key-file file] [file]")
	k := addKeyFlags(fs)
	in, err := e.load(fs, k, args, nil)
	if err != nil {
		return e.exit(err)
	}
	key, other, keyName := in.key, in.other, in.keyName
	body, appID, mchID, err := refundNotifyBody(in.data)
	if err != nil {
		return e.fail(err)
	}
	n, err := parseRefundNotify(body, appID, mchID, key)
	if errors.Is(err, wxpay.ErrDecrypt) && other != "" {
		if _, err2 := parseRefundNotify(body, appID, mchID, other); err2 == nil {
			fmt.Fprintf(e.stdout, "INVALID: req_info does not decrypt with %s, but does with the other key given: the notify was encrypted with %s\n",
				keyName, map[bool]string{true: "the API key", false: "the sandbox key"}[*k.sandbox])
			return exitInvalid
		}
	}
	if errors.Is(err, wxpay.ErrDecrypt) {
		fmt.Fprintf(e.stdout, "INVALID: req_info does not decrypt with %s: %v\n", keyName, err)
		fmt.Fprintln(e.stdout, "the AES key is the lower-case hex MD5 of the v2 API key; a notify made for another merchant or with the sandbox key does not decrypt")
		return exitInvalid
	}
	if err != nil {
		return e.fail(err)
	}
	w := e.stdout
	fmt.Fprintf(w, "refund %s (WeChat %s) of order %s (WeChat %s): %s, %d of %d fen\n",
		n.OutRefundNo, n.RefundID, n.OutTradeNo, n.TransactionID, n.RefundStatus, n.RefundFee, n.TotalFee)
	names := make([]string, 0, len(n.Raw))
	for name := range n.Raw {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(w, "%s=%s\n", name, n.Raw[name])
	}
	return exitOK
}

// refundNotifyBody returns a notify body for the input: the input itself
// when it is XML carrying req_info, or a minimal notify around a bare
// req_info; and the appid and mch_id to check it against.
func refundNotifyBody(data []byte) (body []byte, appID, mchID string, err error) {
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\uFEFF")))
	if len(data) == 0 {
		return nil, "", "", usageError("empty input")
	}
	if data[0] == '<' {
		p, err := wxpay.ParseXML(data)
		if err != nil {
			return nil, "", "", err
		}
		if p["req_info"] == "" {
			return nil, "", "", usageError("the XML has no req_info field: not a refund notify")
		}
		return data, p["appid"], p["mch_id"], nil
	}
	// Any appid and mch_id do: the checks they feed are not the point here.
	p := wxpay.Params{"return_code": "SUCCESS", "appid": "wx0000000000000000", "mch_id": "0", "req_info": string(data)}
	return p.AppendXML(nil), p["appid"], p["mch_id"], nil
}

func parseRefundNotify(body []byte, appID, mchID, key string) (*wxpay.RefundNotify, error) {
	if appID == "" || mchID == "" {
		return nil, fmt.Errorf("the notify has no appid or mch_id")
	}
	c, err := wxpay.NewClient(appID, mchID, key)
	if err != nil {
		return nil, err
	}
	return c.ParseRefundNotify(body)
}
