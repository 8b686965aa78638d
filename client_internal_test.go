package wxpay

import (
	"strings"
	"testing"
)

func TestEndpointURL(t *testing.T) {
	for _, tt := range []struct{ base, want string }{
		{"https://api.mch.weixin.qq.com", "https://api.mch.weixin.qq.com/pay/unifiedorder"},
		{"http://127.0.0.1:8080/wechat", "http://127.0.0.1:8080/wechat/pay/unifiedorder"},
		{"https://gw.example.com/a%2Fb", "https://gw.example.com/a%2Fb/pay/unifiedorder"},
		{"https://api.mch.weixin.qq.com:", "https://api.mch.weixin.qq.com/pay/unifiedorder"},
	} {
		base, err := parseBaseURL(tt.base)
		if err != nil {
			t.Fatal(err)
		}
		if got := (&Client{}).endpointURL(base, endpoint{path: "/pay/unifiedorder"}); got != tt.want {
			t.Errorf("endpointURL(%s) = %s, want %s", tt.base, got, tt.want)
		}
		if base.String() != strings.TrimSuffix(tt.base, ":") {
			t.Errorf("endpointURL changed its base to %s", base)
		}
	}
}
