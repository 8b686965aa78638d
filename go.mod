module github.com/wxpay-go/wxpay

go 1.23

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/jarcoal/httpmock v1.4.2 // indirect
	golang.org/x/crypto v0.11.0 // indirect
	software.sslmate.com/src/go-pkcs12 v0.7.4 // indirect
)
