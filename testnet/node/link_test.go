package node

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/strata-lab/strata/layers/overlay"
)

// shapedPair returns a shaped client end and the raw server end of a TCP
// connection on loopback.
func shapedPair(t *testing.T, rule LinkRule) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.26.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-acc
	lt := newLinkTable([]LinkRule{rule}, nil, 1)
	w := lt.wrap(c, 0)
	t.Cleanup(func() { w.Close(); s.Close() })
	return w, s
}

// TestShapedBandwidth sends 64 KiB through a 256 KiB/s link: it takes at
// least a quarter of a second, and arrives whole and in order.
func TestShapedBandwidth(t *testing.T) {
	w, r := shapedPair(t, LinkRule{Bandwidth: 256 << 10})
	msg := make([]byte, 1024)
	start := time.Now()
	go func() {
		for i := range 64 {
			msg := append([]byte(nil), msg...)
			msg[0] = byte(i)
			w.Write(msg)
		}
	}()
	buf := make([]byte, 64<<10)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	// The link may not be faster than configured; slower only under load.
	if el < 240*time.Millisecond {
		t.Fatalf("64 KiB at 256 KiB/s took %v", el)
	}
	for i := range 64 {
		if buf[i*1024] != byte(i) {
			t.Fatalf("chunk %d out of order", i)
		}
	}
}

// TestShapedLossDelays checks that with loss every write is delayed by
// the retransmission timeout, and bytes still arrive in order.
func TestShapedLossDelays(t *testing.T) {
	w, r := shapedPair(t, LinkRule{Latency: overlay.Duration(10 * time.Millisecond), Loss: 0.999})
	start := time.Now()
	w.Write([]byte("a"))
	w.Write([]byte("b"))
	buf := make([]byte, 2)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	if string(buf) != "ab" {
		t.Fatalf("got %q", buf)
	}
	if el := time.Since(start); el < minRTO {
		t.Fatalf("lost writes arrived after %v, before one RTO (%v)", el, minRTO)
	}
}

// TestLinkRuleByClass picks the rule of the remote's class, else the
// wildcard, else none.
func TestLinkRuleByClass(t *testing.T) {
	lt := newLinkTable([]LinkRule{
		{Class: "phone", Latency: overlay.Duration(time.Second)},
		{Class: "*", Latency: overlay.Duration(time.Millisecond)},
	}, map[string]string{"127.0.0.9": "phone", "127.0.0.8": "desktop"}, 1)
	if lt.rule("127.0.0.9").Latency != overlay.Duration(time.Second) {
		t.Error("phone rule not chosen")
	}
	if lt.rule("127.0.0.8").Latency != overlay.Duration(time.Millisecond) {
		t.Error("wildcard rule not chosen for desktop")
	}
	if err := lt.set([]LinkRule{{Loss: 1}}, nil); err == nil {
		t.Error("loss 1 accepted")
	}
}
