package trust

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func newPair(t testing.TB, mode Mode, sa, sb string, now time.Time) (*Pairing, *Pairing) {
	t.Helper()
	a, err := NewPairing(Config{Mode: mode}, NewDetReader([]byte(sa)), now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewPairing(Config{Mode: mode}, NewDetReader([]byte(sb)), now)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestPairMutual(t *testing.T) {
	now := at(t0)
	a, b := newPair(t, ModeMutual, "t/a", "t/b", now)
	ex, err := PairOverPipe(a, b, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Records) != 4 {
		t.Fatalf("%d records, want 4", len(ex.Records))
	}
	ma, sa, oka := a.Result()
	mb, sb, okb := b.Result()
	if !oka || !okb || !bytes.Equal(ma, mb) || sa != sb || len(ma) != 32 {
		t.Fatalf("results differ: %v %v %x %x %q %q", oka, okb, ma, mb, sa, sb)
	}
	ra, _ := a.Role()
	rb, _ := b.Role()
	if ra == rb {
		t.Fatalf("both devices are %s", ra)
	}
	if len(sa) != SASDigits+SASDigits/SASGroup-1 {
		t.Fatalf("SAS %q", sa)
	}
	// Identity bootstrap.
	sealed, err := a.SealIdentity([]byte("identity of a"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.OpenIdentity(sealed)
	if err != nil || string(got) != "identity of a" {
		t.Fatalf("OpenIdentity: %q %v", got, err)
	}
	if _, err := a.OpenIdentity(sealed); !errors.Is(err, ErrIdentity) {
		t.Fatalf("a opens its own blob as the peer's: %v", err)
	}
	sealed[0] ^= 1
	if _, err := b.OpenIdentity(sealed); !errors.Is(err, ErrIdentity) {
		t.Fatalf("tampered blob: %v", err)
	}
}

func TestPairOneWayNeedsSAS(t *testing.T) {
	now := at(t0)
	a, b := newPair(t, ModeOneWay, "t/scanner", "t/shower", now)
	if _, err := PairOverPipe(a, b, now); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := a.Result(); ok {
		t.Fatal("a result before the SAS was confirmed")
	}
	sa, _ := a.SAS()
	sb, _ := b.SAS()
	if sa != sb || sa == "" {
		t.Fatalf("SAS %q vs %q", sa, sb)
	}
	if err := a.ConfirmSAS(); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := a.Result(); !ok {
		t.Fatal("no result after ConfirmSAS")
	}
	if err := b.RejectSAS(); !errors.Is(err, ErrSASRejected) {
		t.Fatalf("RejectSAS: %v", err)
	}
	out := b.Outbox()
	if len(out) != 1 {
		t.Fatalf("RejectSAS emitted %d records", len(out))
	}
	if _, err := a.Receive(out[0], now); !errors.Is(err, ErrAborted) {
		t.Fatalf("peer's ABORT: %v", err)
	}
	if _, _, ok := a.Result(); ok {
		t.Fatal("a keeps its result after the peer's ABORT")
	}
}

// TestMutualKeyBeforeScan: Bob receives Alice's KEY before scanning her
// code; he holds it and answers after the scan.
func TestMutualKeyBeforeScan(t *testing.T) {
	now := at(t0)
	a, b := newPair(t, ModeMutual, "t/a", "t/b", now)
	alice, bob := a, b
	if bytes.Compare(a.own, b.own) > 0 {
		alice, bob = b, a
	}
	if err := alice.ScanPeer(bob.Payload(), now); err != nil {
		t.Fatal(err)
	}
	out, err := bob.Receive(alice.Outbox()[0], now)
	if err != nil || len(out) != 0 {
		t.Fatalf("held KEY: %v, %d records", err, len(out))
	}
	if err := bob.ScanPeer(alice.Payload(), now); err != nil {
		t.Fatal(err)
	}
	if _, err := PairOverPipe(alice, bob, now); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := bob.Result(); !ok {
		t.Fatal("no result")
	}
}

func TestAbortByUser(t *testing.T) {
	a, _ := newPair(t, ModeMutual, "t/a", "t/b", at(t0))
	a.Abort(nil)
	if !errors.Is(a.Err(), ErrAborted) {
		t.Fatalf("Err: %v", a.Err())
	}
	out := a.Outbox()
	r, err := DecodeRecord(out[0])
	if err != nil || r.Type != RecordAbort || r.Reason != ReasonUser {
		t.Fatalf("abort record %+v %v", r, err)
	}
	if err := a.ScanPeer(nil, at(t0)); !errors.Is(err, ErrAborted) {
		t.Fatalf("call after abort: %v", err)
	}
}

func TestQRText(t *testing.T) {
	a, _ := newPair(t, ModeMutual, "t/a", "t/b", at(t0))
	s := EncodeQRText(a.Payload())
	b, err := DecodeQRText(s)
	if err != nil || !bytes.Equal(b, a.Payload()) {
		t.Fatalf("QR text round trip: %v", err)
	}
	for _, bad := range []string{"", "STRATA1:A", "STRATA1:abc", "STRATA1:GGW", "X" + s} {
		if _, err := DecodeQRText(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	term, err := QRTerminal(a.Payload())
	if err != nil || len(term) < 100 {
		t.Fatalf("QRTerminal: %v", err)
	}
	png, err := QRPNG(a.Payload(), 256)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("QRPNG: %v", err)
	}
	if _, err := QRPNG([]byte{9}, 256); !errors.Is(err, ErrVersion) {
		t.Fatalf("QRPNG of a bad payload: %v", err)
	}
}

func TestBase45RFC9285(t *testing.T) {
	for in, want := range map[string]string{"AB": "BB8", "Hello!!": "%69 VD92EX0", "base-45": "UJCLQE7W581", "ietf!": "QED8WEX0"} {
		if got := base45Encode([]byte(in)); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
		if back, err := base45Decode(want); err != nil || string(back) != in {
			t.Errorf("decode %q: %q %v", want, back, err)
		}
	}
}

func TestParseHint(t *testing.T) {
	h, err := ParseHint("/ip4/127.0.0.1/tcp/4001")
	if err != nil || h.Type != HintMultiaddr {
		t.Fatalf("%v %v", h, err)
	}
	h, err = ParseHint("127.0.0.1:7420")
	if err != nil || h.Type != HintLoopback || h.String() != "loopback 127.0.0.1:7420" {
		t.Fatalf("%v %v", h, err)
	}
	if _, err := ParseHint(""); !errors.Is(err, ErrMalformed) {
		t.Fatalf("empty hint: %v", err)
	}
}

// TestOneWayMitM: in one-way mode an adversary in the middle who answers
// the showing device (Bob) as Alice and relays towards the scanning device
// cannot make the SASs agree: Alice's keys come from Bob's real
// (committed) X25519 key, which the adversary cannot use.
func TestOneWayMitM(t *testing.T) {
	now := at(t0)
	alice, bob := newPair(t, ModeOneWay, "mitm/alice", "mitm/bob", now)
	mallory, err := NewPairing(Config{Mode: ModeOneWay}, NewDetReader([]byte("mitm/mallory")), now)
	if err != nil {
		t.Fatal(err)
	}
	// Mallory plays Alice towards Bob.
	if _, err := PairOverPipe(mallory, bob, now); err != nil {
		t.Fatal(err)
	}
	// Alice scans Bob's code; her KEY goes to Mallory, who answers with
	// Bob's KEY (the only one that opens Bob's commitment).
	if err := alice.ScanPeer(bob.Payload(), now); err != nil {
		t.Fatal(err)
	}
	alice.Outbox()
	out, err := alice.Receive(bob.keyB, now)
	if err != nil || len(out) != 1 {
		t.Fatalf("Alice on the relayed KEY: %v", err)
	}
	sa, _ := alice.SAS()
	sb, _ := bob.SAS()
	if sa == sb {
		t.Fatalf("the SASs agree under a man in the middle: %s", sa)
	}
}

// TestCallsAfterAbortAreErrAborted: after any abort every call fails
// with ErrAborted alone, and emits nothing.
func TestCallsAfterAbortAreErrAborted(t *testing.T) {
	now := at(t0)
	a, b := newPair(t, ModeMutual, "t/a", "t/b", now)
	if err := a.ScanPeer(a.Payload(), now); !errors.Is(err, ErrRoleConflict) {
		t.Fatalf("own payload: %v", err)
	}
	a.Outbox()
	for _, err := range []error{a.ScanPeer(b.Payload(), now), func() error { _, err := a.Receive([]byte{1}, now); return err }(), a.ConfirmSAS(), a.RejectSAS()} {
		if !errors.Is(err, ErrAborted) || errors.Is(err, ErrRoleConflict) {
			t.Errorf("after abort: %v", err)
		}
	}
	if out := a.Outbox(); len(out) != 0 {
		t.Errorf("%d records after abort", len(out))
	}
}
