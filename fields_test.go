package wxpay_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay"
)

func TestParseYuan(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"6.00", 600, true}, {"0.29", 29, true}, {"0.5", 50, true}, {"12", 1200, true}, {"-0.01", -1, true},
		{"1.230", 123, true}, {".5", 50, true}, {"+1.00", 100, true}, {"92233720368547758.07", 1<<63 - 1, true},
		{"", 0, false}, {" 1.00", 0, false}, {"1.00 ", 0, false}, {"1.001", 0, false}, {"1,00", 0, false},
		{"1e2", 0, false}, {"-", 0, false}, {".", 0, false}, {"92233720368547758.08", 0, false}, {"¥1", 0, false},
	} {
		got, err := wxpay.ParseYuan(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for _, fen := range []int64{0, 1, -1, 29, 600, 123456789, -100, 1<<63 - 1} {
		back, err := wxpay.ParseYuan(wxpay.FormatYuan(fen))
		if err != nil || back != fen {
			t.Errorf("ParseYuan(FormatYuan(%d)) = %d, %v", fen, back, err)
		}
	}
}

func TestBeijing(t *testing.T) {
	if _, off := time.Date(2025, 1, 1, 0, 0, 0, 0, wxpay.Beijing()).Zone(); off != 8*3600 {
		t.Errorf("Beijing() offset %d, want +08:00", off)
	}
	p1, p2 := wxpay.DefaultCodePayPoll(), wxpay.DefaultCodePayPoll()
	p1[0] = time.Hour
	if p2[0] == time.Hour || wxpay.DefaultCodePayPoll()[0] == time.Hour {
		t.Error("DefaultCodePayPoll shares its slice")
	}
}

func TestErrorClasses(t *testing.T) {
	for _, tt := range []struct {
		e                       *wxpay.Error
		resend, unknown, refuse bool
	}{
		{&wxpay.Error{ReturnCode: "SUCCESS", ResultCode: wxpay.ResultFail, ErrCode: wxpay.ErrCodeSystemError}, true, false, false},
		{&wxpay.Error{ReturnCode: "SUCCESS", ResultCode: wxpay.ResultFail, ErrCode: wxpay.ErrCodeNeedRetry}, true, false, false},
		{&wxpay.Error{ReturnCode: "SUCCESS", ResultCode: wxpay.ResultFail, ErrCode: wxpay.ErrCodeFrequencyLimited}, true, false, false},
		{&wxpay.Error{ReturnCode: "SUCCESS", ResultCode: wxpay.ResultFail, ErrCode: wxpay.ErrCodeUserPaying}, false, true, false},
		{&wxpay.Error{ReturnCode: "SUCCESS", ResultCode: wxpay.ResultFail, ErrCode: wxpay.ErrCodeBankError}, false, true, false},
		{&wxpay.Error{ReturnCode: "SUCCESS", ResultCode: wxpay.ResultFail, ErrCode: wxpay.ErrCodeOrderPaid}, false, false, false},
		{&wxpay.Error{ReturnCode: "SUCCESS", ResultCode: wxpay.ResultFail, ErrCode: wxpay.ErrCodeSignError}, false, false, true},
		{&wxpay.Error{ReturnCode: "FAIL", ReturnMsg: "签名错误"}, false, false, true},
		{&wxpay.Error{ReturnCode: "FAIL", ReturnMsg: "参数格式校验错误"}, false, false, false},
		{&wxpay.Error{ReturnCode: "FAIL", ErrCode: "SYSTEMERROR"}, false, false, false},
	} {
		err := fmt.Errorf("wrapped: %w", tt.e)
		if tt.e.Resend() != tt.resend || tt.e.OutcomeUnknown() != tt.unknown || tt.e.Retryable() != (tt.resend || tt.unknown) ||
			errors.Is(err, wxpay.ErrSignRefused) != tt.refuse {
			t.Errorf("%v: Resend %v, OutcomeUnknown %v, Retryable %v, ErrSignRefused %v; want %v, %v, -, %v",
				tt.e, tt.e.Resend(), tt.e.OutcomeUnknown(), tt.e.Retryable(), errors.Is(err, wxpay.ErrSignRefused), tt.resend, tt.unknown, tt.refuse)
		}
	}
}
