module github.com/wxpay-go/wxpay/bench

go 1.23.0

require (
	github.com/go-pay/gopay v1.5.115
	github.com/go-pay/util v0.0.4
	github.com/wxpay-go/wxpay v0.0.0
)

require (
	github.com/go-pay/crypto v0.0.1 // indirect
	github.com/go-pay/xlog v0.0.3 // indirect
	golang.org/x/crypto v0.39.0 // indirect
	software.sslmate.com/src/go-pkcs12 v0.7.4 // indirect
)

replace github.com/wxpay-go/wxpay => ..
