module github.com/wxpay-go/wxpay

go 1.23

require (
	github.com/google/go-cmp v0.7.0
	github.com/jarcoal/httpmock v1.4.2
	software.sslmate.com/src/go-pkcs12 v0.7.4
)

require golang.org/x/crypto v0.33.0 // indirect
