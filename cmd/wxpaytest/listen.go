package main

import (
	"net"
	"sync"
)

// joinListeners makes one listener of several, for the server's -addr
// given more than once: Accept returns the connections of all of them,
// Addr is the first one's, and Close closes them all.
func joinListeners(lns []net.Listener) net.Listener {
	if len(lns) == 1 {
		return lns[0]
	}
	j := &joined{lns: lns, conns: make(chan net.Conn), done: make(chan struct{})}
	for _, ln := range lns {
		go j.accept(ln)
	}
	return j
}

type joined struct {
	lns   []net.Listener
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (j *joined) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by Close (or broken: the others go on)
		}
		select {
		case j.conns <- c:
		case <-j.done:
			c.Close()
			return
		}
	}
}

func (j *joined) Accept() (net.Conn, error) {
	select {
	case c := <-j.conns:
		return c, nil
	case <-j.done:
		return nil, net.ErrClosed
	}
}

func (j *joined) Close() error {
	j.once.Do(func() {
		close(j.done)
		for _, ln := range j.lns {
			ln.Close()
		}
	})
	return nil
}

func (j *joined) Addr() net.Addr { return j.lns[0].Addr() }
