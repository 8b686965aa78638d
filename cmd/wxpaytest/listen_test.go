package main

import (
	"errors"
	"net"
	"testing"
)

// TestJoinListeners: connections to every address come out of Accept,
// and Close closes them all.
func TestJoinListeners(t *testing.T) {
	var lns []net.Listener
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
	}
	j := joinListeners(lns)
	if j.Addr() != lns[0].Addr() {
		t.Fatalf("Addr %v, want the first listener's %v", j.Addr(), lns[0].Addr())
	}
	for _, ln := range lns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got, err := j.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if got.LocalAddr().String() != ln.Addr().String() {
			t.Fatalf("accepted a connection to %v, want %v", got.LocalAddr(), ln.Addr())
		}
		got.Close()
	}
	j.Close()
	if _, err := j.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
	for _, ln := range lns {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Close()
			t.Fatalf("%v still listening after Close", ln.Addr())
		}
	}
}
