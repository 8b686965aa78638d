//go:build !unix

package bench_test

import "testing"

// cpuClock reports nothing where getrusage is not available.
type cpuClock struct{}

func startCPU() cpuClock           { return cpuClock{} }
func (cpuClock) report(*testing.B) {}
