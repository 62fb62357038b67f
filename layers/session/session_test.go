package session

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// pair sets up Alice (initiator) and Bob (responder) with a first message
// delivered; it returns both sessions.
func pair(t testing.TB, seed string, cfg Config) (*Session, *Session) {
	t.Helper()
	r := NewSeededReader(seed)
	alice, err := NewDevice(r)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := NewDevice(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.AddOneTimePrekeys(r, 1); err != nil {
		t.Fatal(err)
	}
	bundle, err := bob.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	sa, err := Initiate(r, alice, bundle)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sa.Encrypt([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	sb, pt, err := bob.Respond(r, cfg, t0, m)
	if err != nil {
		t.Fatal(err)
	}
	if string(pt) != "hello" {
		t.Fatalf("got %q", pt)
	}
	return sa, sb
}

func TestConversation(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PQInterval = 2
	sa, sb := pair(t, "conv", cfg)
	r := NewSeededReader("conv-run")
	for i := 0; i < 20; i++ {
		from, to := sa, sb
		if i%2 == 1 {
			from, to = sb, sa
		}
		for j := 0; j < 1+i%3; j++ {
			msg := []byte(fmt.Sprintf("msg %d/%d", i, j))
			c, err := from.Encrypt(msg)
			if err != nil {
				t.Fatal(err)
			}
			pt, err := to.Decrypt(r, cfg, t0, c)
			if err != nil {
				t.Fatalf("round %d/%d: %v", i, j, err)
			}
			if !bytes.Equal(pt, msg) {
				t.Fatalf("round %d: got %q", i, pt)
			}
			if _, err := to.Decrypt(r, cfg, t0, c); !errors.Is(err, ErrDuplicate) {
				t.Fatalf("replay: %v", err)
			}
		}
	}
	if sa.peerEK == nil || sb.peerEK == nil || sa.ownKEM == nil || sb.ownKEM == nil {
		t.Fatal("post-quantum ratchet never ran in both directions")
	}
}

func mustEnc(t testing.TB, s *Session, p string) []byte {
	t.Helper()
	c, err := s.Encrypt([]byte(p))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOutOfOrderAndSkipped(t *testing.T) {
	cfg := DefaultConfig()
	sa, sb := pair(t, "ooo", cfg)
	r := NewSeededReader("ooo-run")
	// Bob answers so that Alice's initial wrapping stops.
	if _, err := sa.Decrypt(r, cfg, t0, mustEnc(t, sb, "ack")); err != nil {
		t.Fatal(err)
	}
	var msgs [][]byte
	for i := range 6 {
		msgs = append(msgs, mustEnc(t, sa, fmt.Sprint("a", i)))
	}
	for _, i := range []int{5, 0, 3, 1, 4, 2} {
		pt, err := sb.Decrypt(r, cfg, t0, msgs[i])
		if err != nil || string(pt) != fmt.Sprint("a", i) {
			t.Fatalf("message %d: %q %v", i, pt, err)
		}
	}
	if sb.SkippedKeys() != 0 {
		t.Fatalf("%d skipped keys left", sb.SkippedKeys())
	}
	// A new chain from Bob while Alice still misses an old one.
	old := mustEnc(t, sb, "b-old")
	if _, err := sa.Decrypt(r, cfg, t0, mustEnc(t, sb, "b-new")); err != nil {
		t.Fatal(err)
	}
	m := mustEnc(t, sa, "a-next")
	if _, err := sb.Decrypt(r, cfg, t0, m); err != nil {
		t.Fatal(err)
	}
	b2 := mustEnc(t, sb, "b-chain2")
	if _, err := sa.Decrypt(r, cfg, t0, b2); err != nil {
		t.Fatal(err)
	}
	if pt, err := sa.Decrypt(r, cfg, t0, old); err != nil || string(pt) != "b-old" {
		t.Fatalf("late message: %q %v", pt, err)
	}
}

func TestSkipLimits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxSkip, cfg.MaxStoredKeys = 10, 5
	sa, sb := pair(t, "limits", cfg)
	r := NewSeededReader("limits-run")
	var msgs [][]byte
	for i := range 13 {
		msgs = append(msgs, mustEnc(t, sa, fmt.Sprint(i)))
	}
	before := sb.Marshal()
	if _, err := sb.Decrypt(r, cfg, t0, msgs[12]); !errors.Is(err, ErrTooManySkipped) {
		t.Fatalf("jump of 11: %v", err)
	}
	if !bytes.Equal(before, sb.Marshal()) {
		t.Fatal("state changed after a rejected message")
	}
	if _, err := sb.Decrypt(r, cfg, t0, msgs[10]); err != nil {
		t.Fatal(err)
	}
	if sb.SkippedKeys() != 5 {
		t.Fatalf("%d keys stored, want 5", sb.SkippedKeys())
	}
	// Keys 1..5 were evicted: message 2 is now refused as a duplicate.
	if _, err := sb.Decrypt(r, cfg, t0, msgs[2]); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("evicted key: %v", err)
	}
	if _, err := sb.Decrypt(r, cfg, t0, msgs[8]); err != nil {
		t.Fatal(err)
	}
	// Expiry by time.
	if _, err := sb.Decrypt(r, cfg, t0.Add(cfg.MaxKeyAge+time.Second), mustEnc(t, sa, "late")); err != nil {
		t.Fatal(err)
	}
	if sb.SkippedKeys() != 2 { // the 4 old ones expired; messages 12 and 13 were just skipped
		t.Fatalf("%d keys after expiry, want 2", sb.SkippedKeys())
	}
}

func TestRejectLeavesStateUnchanged(t *testing.T) {
	cfg := DefaultConfig()
	sa, sb := pair(t, "reject", cfg)
	r := NewSeededReader("reject-run")
	m := mustEnc(t, sa, "x")
	before := sb.Marshal()
	for i := range m {
		bad := bytes.Clone(m)
		bad[i] ^= 0x40
		if _, err := sb.Decrypt(r, cfg, t0, bad); err == nil {
			t.Fatalf("flip at %d accepted", i)
		}
		if !bytes.Equal(before, sb.Marshal()) {
			t.Fatalf("flip at %d changed the state", i)
		}
	}
	if pt, err := sb.Decrypt(r, cfg, t0, m); err != nil || string(pt) != "x" {
		t.Fatal(pt, err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PQInterval = 1
	sa, sb := pair(t, "marshal", cfg)
	r := NewSeededReader("marshal-run")
	pending := mustEnc(t, sa, "skipped")
	for i := range 6 {
		from, to := sa, sb
		if i%2 == 0 {
			from, to = sb, sa
		}
		if _, err := to.Decrypt(r, cfg, t0, mustEnc(t, from, "m")); err != nil {
			t.Fatal(i, err)
		}
		for _, s := range []*Session{sa, sb} {
			b := s.Marshal()
			s2, err := Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s2.Marshal(), b) {
				t.Fatal("Marshal(Unmarshal(b)) != b")
			}
		}
		b := sb.Marshal()
		s2, _ := Unmarshal(b)
		*sb = *s2
	}
	if pt, err := sb.Decrypt(r, cfg, t0, pending); err != nil || string(pt) != "skipped" {
		t.Fatalf("restored session lost a skipped key: %q %v", pt, err)
	}
}

func TestLowOrderKeys(t *testing.T) {
	rawPriv := [32]byte{1, 2, 3}
	priv, _ := xkeyFrom(rawPriv)
	for i, p := range lowOrder {
		if _, err := dh(priv, p); !errors.Is(err, ErrLowOrderKey) {
			t.Errorf("entry %d: %v", i, err)
		}
		p[31] |= 0x80
		if _, err := dh(priv, p); !errors.Is(err, ErrLowOrderKey) {
			t.Errorf("entry %d with bit 255: %v", i, err)
		}
	}
	// The list is right: each point gives the all-zero output.
	for i, p := range lowOrder[:4] {
		out, err := rawX25519(rawPriv, p)
		if err == nil && out != ([32]byte{}) {
			t.Errorf("entry %d is not of low order", i)
		}
	}
}

func TestMultiDevice(t *testing.T) {
	cfg := DefaultConfig()
	r := NewSeededReader("multi")
	alice, _ := NewDevice(r)
	bobUser, _ := NewUserKey(r)
	var bobDevs []*Device
	var entries []DeviceEntry
	for i := range 3 {
		d, _ := NewDevice(r)
		bobDevs = append(bobDevs, d)
		entries = append(entries, DeviceEntry{ID: DeviceID{byte(i + 1)}, Identity: d.Identity().Public()})
	}
	list1, err := bobUser.SignDeviceList(1, entries[:2])
	if err != nil {
		t.Fatal(err)
	}
	c := NewContact(bobUser.Public())
	if err := c.UpdateDeviceList(list1); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		bundle, _ := bobDevs[i].Bundle()
		if err := c.StartSession(r, alice, entries[i].ID, bundle); err != nil {
			t.Fatal(err)
		}
	}
	// A bundle of an unlisted device is refused.
	b3, _ := bobDevs[2].Bundle()
	if err := c.StartSession(r, alice, entries[0].ID, b3); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("wrong identity: %v", err)
	}
	out, missing, err := c.Encrypt([]byte("to all"))
	if err != nil || len(out) != 2 || len(missing) != 0 {
		t.Fatal(len(out), missing, err)
	}
	for i := range 2 {
		if _, pt, err := bobDevs[i].Respond(r, cfg, t0, out[entries[i].ID]); err != nil || string(pt) != "to all" {
			t.Fatal(i, err)
		}
	}
	// Add device 3, revoke device 1.
	list2, _ := bobUser.SignDeviceList(2, entries[1:])
	if err := c.UpdateDeviceList(list2); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateDeviceList(list1); !errors.Is(err, ErrStaleDeviceList) {
		t.Fatalf("rollback: %v", err)
	}
	out, missing, _ = c.Encrypt([]byte("after"))
	if _, ok := out[entries[0].ID]; ok || len(out) != 1 || len(missing) != 1 || missing[0] != entries[2].ID {
		t.Fatalf("fan-out after revocation: %d out, missing %v", len(out), missing)
	}
	if _, err := c.Decrypt(r, cfg, t0, entries[0].ID, out[entries[1].ID]); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("revoked device: %v", err)
	}
	// A list signed by someone else is refused.
	mallory, _ := NewUserKey(r)
	forged, _ := mallory.SignDeviceList(9, entries)
	if err := c.UpdateDeviceList(forged); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged list: %v", err)
	}
	tampered := bytes.Clone(list2)
	tampered[len(tampered)-70] ^= 1
	if err := c.UpdateDeviceList(tampered); err == nil {
		t.Fatal("tampered list accepted")
	}
}

func TestStateFlagValues(t *testing.T) {
	// SPEC.md "Session state" lists these values.
	got := []int{fInitiator, fHasDHr, fHasCKs, fHasCKr, fHasHKs, fHasHKr, fSendPQ, fOwnKEM, fPeerEK, fPendingCT, fInitial, fInitDigest}
	for i, v := range got {
		if v != 1<<i {
			t.Fatalf("flag %d is %#x", i, v)
		}
	}
}

func TestDeviceKeyReplacedDropsSession(t *testing.T) {
	r := NewSeededReader("replace")
	alice, _ := NewDevice(r)
	user, _ := NewUserKey(r)
	d1, _ := NewDevice(r)
	d2, _ := NewDevice(r)
	id := DeviceID{9}
	c := NewContact(user.Public())
	l1, _ := user.SignDeviceList(1, []DeviceEntry{{ID: id, Identity: d1.Identity().Public()}})
	if err := c.UpdateDeviceList(l1); err != nil {
		t.Fatal(err)
	}
	b1, _ := d1.Bundle()
	if err := c.StartSession(r, alice, id, b1); err != nil {
		t.Fatal(err)
	}
	l2, _ := user.SignDeviceList(2, []DeviceEntry{{ID: id, Identity: d2.Identity().Public()}})
	if err := c.UpdateDeviceList(l2); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Session(id); ok {
		t.Fatal("session with the replaced key survives")
	}
	if _, missing, _ := c.Encrypt([]byte("x")); len(missing) != 1 {
		t.Fatal("device with a new key should need a new session")
	}
}

func TestZeroSessionDoesNotPanic(t *testing.T) {
	var s Session
	if _, err := s.Encrypt([]byte("x")); !errors.Is(err, ErrMalformed) {
		t.Fatal(err)
	}
	// A header sealed under the all-zero next header key reaches the
	// ratchet step of a zero session; it must fail cleanly.
	var z Session
	z.hks, z.hasHKs, z.hasCKs = [32]byte{}, true, true
	z.dhs, _ = xkeyFrom([32]byte{7})
	z.local, z.remote = s.remote, s.local
	z.initiator = true
	m, err := z.Encrypt([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decrypt(NewSeededReader("z"), DefaultConfig(), t0, m); err == nil || !classified(err) {
		t.Fatalf("zero session: %v", err)
	}
}

// TestClassicalHealing: an adversary who copied Alice's whole state (and
// follows the conversation passively with that copy) reads Bob's messages
// until Alice has sent on a DH key drawn after the theft and Bob has
// answered on a chain keyed with it; not after (post-compromise security).
func TestClassicalHealing(t *testing.T) {
	cfg := DefaultConfig()
	sa, sb := pair(t, "heal", cfg)
	r := NewSeededReader("heal-run")
	if _, err := sa.Decrypt(r, cfg, t0, mustEnc(t, sb, "b0")); err != nil {
		t.Fatal(err)
	}
	eve, _ := Unmarshal(sa.Marshal())
	er := NewSeededReader("eve")
	deliver := func(to *Session, m []byte, eveReads bool) {
		t.Helper()
		if _, err := to.Decrypt(r, cfg, t0, m); err != nil {
			t.Fatal(err)
		}
		if to != sa {
			return
		}
		_, err := eve.Decrypt(er, cfg, t0, m)
		if eveReads && err != nil {
			t.Fatalf("the stolen state should still read this message: %v", err)
		}
		if !eveReads && err == nil {
			t.Fatal("the stolen state still reads after healing")
		}
	}
	deliver(sa, mustEnc(t, sb, "b1"), true)  // same chain as before the theft
	deliver(sb, mustEnc(t, sa, "a1"), false) // Alice's chain keyed before the theft
	deliver(sa, mustEnc(t, sb, "b2"), true)  // Bob's answer to a key Eve holds
	deliver(sb, mustEnc(t, sa, "a2"), false) // Alice's fresh DH key: Eve lacks it
	deliver(sa, mustEnc(t, sb, "b3"), false) // healed
	deliver(sa, mustEnc(t, sb, "b4"), false)
}

func TestDeviceMarshal(t *testing.T) {
	r := NewSeededReader("device-state")
	d, _ := NewDevice(r)
	_ = d.AddOneTimePrekeys(r, 3)
	_ = d.RotateSignedPrekey(r)
	b := d.Marshal()
	d2, err := UnmarshalDevice(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d2.Marshal(), b) {
		t.Fatal("Marshal(UnmarshalDevice(b)) != b")
	}
	b1, _ := d.Bundle()
	b2, _ := d2.Bundle()
	if !bytes.Equal(b1, b2) {
		t.Fatal("restored device publishes another bundle")
	}
	// The restored device answers a handshake made against the original.
	alice, _ := NewDevice(r)
	sa, err := Initiate(r, alice, b1)
	if err != nil {
		t.Fatal(err)
	}
	if _, pt, err := d2.Respond(r, DefaultConfig(), t0, mustEnc(t, sa, "hi")); err != nil || string(pt) != "hi" {
		t.Fatal(pt, err)
	}
	for _, bad := range [][]byte{b[:len(b)-1], append(bytes.Clone(b), 0), append([]byte("STRD\x01"), b[5:]...)} {
		if _, err := UnmarshalDevice(bad); err == nil {
			t.Fatal("bad device state accepted")
		}
	}
}

func TestRollbackRefused(t *testing.T) {
	cfg := DefaultConfig()
	sa, sb := pair(t, "rollback", cfg)
	r := NewSeededReader("rollback-run")
	backup := sb.Marshal()
	m := mustEnc(t, sa, "after the backup")
	if _, err := sb.Decrypt(r, cfg, t0, m); err != nil {
		t.Fatal(err)
	}
	last := sb.Generation()
	if _, err := UnmarshalAtLeast(backup, last); !errors.Is(err, ErrRollback) {
		t.Fatalf("restoring an older state: %v, want ErrRollback", err)
	}
	if _, err := UnmarshalAtLeast(sb.Marshal(), last); err != nil {
		t.Fatalf("the current state: %v", err)
	}
	// Without the check, the restored state would decrypt m a second time.
	old, err := Unmarshal(backup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Decrypt(r, cfg, t0, m); err != nil {
		t.Fatalf("the unchecked backup refuses the message (%v): the attack model is wrong", err)
	}
}
