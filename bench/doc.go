// Package bench holds the benchmarks that compare this SDK with the most
// used peer SDK, github.com/go-pay/gopay, on the same work. It is a module
// of its own so that gopay stays out of the library's go.mod; it has no
// code but its tests.
package bench
