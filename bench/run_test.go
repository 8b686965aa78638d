package bench_test

import (
	"fmt"
	"testing"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// sequential runs call b.N times from one goroutine.
func sequential(call func() error) func(*testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		cpu := startCPU()
		for range b.N {
			if err := call(); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	}
}

// parallel runs call b.N times from GOMAXPROCS goroutines.
func parallel(call func() error) func(*testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		cpu := startCPU()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := call(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		cpu.report(b)
	}
}
