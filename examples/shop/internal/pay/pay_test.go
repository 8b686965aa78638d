package pay

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wxpay-go/wxpay"
)

func TestDescribe(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&wxpay.Error{ReturnCode: "SUCCESS", ResultCode: "FAIL", ErrCode: "NOTENOUGH", ErrCodeDes: "余额不足"}, "余额不足 (NOTENOUGH)"},
		{fmt.Errorf("refund: %w", &wxpay.Error{ReturnCode: "FAIL", ReturnMsg: "签名错误"}), "签名错误"},
		{fmt.Errorf("refund: %w", wxpay.ErrNoCertificate), "WXPAY_CERT"},
		{errors.New("dial tcp: connection refused"), "unreachable"},
	} {
		if got := Describe(tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("Describe(%v) = %q; want it to contain %q", tt.err, got, tt.want)
		}
	}
}
