//go:build unix

package bench_test

import (
	"syscall"
	"testing"
	"time"
)

// cpuClock is the process's CPU time (user and system, every thread) when
// a benchmark started; report adds cpu-ns/op, which, unlike ns/op, does
// not count time spent waiting, and does count the garbage collector's
// work and a loopback server's.
type cpuClock time.Duration

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock(processCPU()) }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-time.Duration(c))/float64(b.N), "cpu-ns/op")
}
