module wxpaytest-thirdparty

go 1.23

require github.com/silenceper/wechat/v2 v2.1.10

require (
	github.com/fatih/structs v1.1.0 // indirect
	github.com/spf13/cast v1.4.1 // indirect
	golang.org/x/crypto v0.0.0-20220622213112-05595931fe9d // indirect
)
