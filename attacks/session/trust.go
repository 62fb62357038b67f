package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/layers/trust"
)

// classifyTrust names the error that stopped an attempt ("unclassified"
// for an error the layer did not classify, which is itself a finding).
func classifyTrust(err error) string {
	if err == nil {
		return "none"
	}
	if name := trust.ErrorName(err); !strings.HasPrefix(name, "unclassified") {
		return name
	}
	return "unclassified"
}

var trustEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// device is one pairing with the name the attacks use for it.
type device struct {
	name string
	p    *trust.Pairing
}

func newDevice(name string, mode trust.Mode, seed int64, attempt int) (*device, error) {
	var s []byte
	s = binary.BigEndian.AppendUint64(s, uint64(seed))
	s = binary.BigEndian.AppendUint64(s, uint64(attempt))
	p, err := trust.NewPairing(trust.Config{Mode: mode}, trust.NewDetReader(append(s, name...)), trustEpoch)
	if err != nil {
		return nil, err
	}
	return &device{name: name, p: p}, nil
}

// relay moves records along the given links (from → to) until no record is
// left, applying tamper (which may alter or drop a record) on the way.
func relay(links map[*device]*device, tamper func(from *device, n int, rec []byte) []byte) {
	inbox := map[*device][][]byte{}
	order := func() []*device {
		var ds []*device
		for d := range links {
			ds = append(ds, d)
		}
		// Deterministic order: by name.
		for i := range ds {
			for j := i + 1; j < len(ds); j++ {
				if ds[j].name < ds[i].name {
					ds[i], ds[j] = ds[j], ds[i]
				}
			}
		}
		return ds
	}()
	sent := map[*device]int{}
	send := func(from *device, recs [][]byte) {
		for _, r := range recs {
			sent[from]++
			if tamper != nil {
				if r = tamper(from, sent[from], r); r == nil {
					continue
				}
			}
			inbox[links[from]] = append(inbox[links[from]], r)
		}
	}
	for _, d := range order {
		send(d, d.p.Outbox())
	}
	for step := 0; step < 32; step++ {
		moved := false
		for _, d := range order {
			recs := inbox[d]
			inbox[d] = nil
			for _, r := range recs {
				moved = true
				out, _ := d.p.Receive(r, trustEpoch)
				send(d, out)
			}
		}
		if !moved {
			return
		}
	}
}

// completed reports whether d ended with a master secret (confirming the
// SAS first in one-way mode when confirm is true).
func completed(d *device, confirm bool) ([]byte, bool) {
	if confirm {
		if _, ok := d.p.SAS(); ok {
			_ = d.p.ConfirmSAS()
		}
	}
	m, _, ok := d.p.Result()
	return m, ok
}

// stopped returns the classified error that stopped the devices: the first
// device's own finding, rather than the ErrAborted of a device that only
// received its peer's ABORT.
func stopped(ds ...*device) string {
	class := "no-result"
	for _, d := range ds {
		if err := d.p.Err(); err != nil {
			if c := classifyTrust(err); c != "ErrAborted" {
				return c
			}
			class = "ErrAborted"
		}
	}
	return class
}

func trustAttacks() []attacks.Attack {
	const layer = "trust"
	return []attacks.Attack{
		{Group: "session", Layer: layer, Name: "mitm-key-substitution", Property: "authentication",
			About:  "a man in the middle sees both QR codes and runs a pairing with each device, substituting its own keys",
			Anchor: "both devices committed to their keys in the QR codes they scanned (BQP commitments)", Run: mitmMutual},
		{Group: "session", Layer: layer, Name: "mitm-one-way", Property: "authentication",
			About:  "one-way mode: the adversary pairs with the device that did not scan, and the users compare the short authentication strings",
			Anchor: "a man in the middle shows different SASs (>= 40 bits) on the two screens", Run: mitmOneWay},
		{Group: "session", Layer: layer, Name: "low-order-keys", Property: "key agreement",
			About:  "the adversary, as the scanning device, commits to and sends an all-zero or low-order X25519 key",
			Anchor: "an all-zero or low-order DH result aborts", Run: lowOrder},
		{Group: "session", Layer: layer, Name: "tamper", Property: "integrity",
			About:  "bit flips and truncations of every record of an honest pairing",
			Anchor: "confirmation MACs bind both complete payloads and key records", Run: tamper},
		{Group: "session", Layer: layer, Name: "replay", Property: "freshness",
			About:  "records of an earlier pairing of the same peer are replayed into a new one",
			Anchor: "keys are fresh per pairing and committed in the QR code", Run: replay},
		{Group: "session", Layer: layer, Name: "expired-qr", Property: "freshness",
			About:  "a QR code is scanned (or shown again) more than 60 s after it was made",
			Anchor: "a payload expires after at most 60 s", Run: expired},
	}
}

func mitmMutual(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	for i := range o.Attempts(20, 200) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err1 := newDevice("a", trust.ModeMutual, o.Seed, i)
		b, err2 := newDevice("b", trust.ModeMutual, o.Seed, i)
		m1, err3 := newDevice("m1", trust.ModeMutual, o.Seed, i) // faces a
		m2, err4 := newDevice("m2", trust.ModeMutual, o.Seed, i) // faces b
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, err
		}
		// The honest devices scan each other; the adversary sees both codes.
		_ = a.p.ScanPeer(b.p.Payload(), trustEpoch)
		_ = b.p.ScanPeer(a.p.Payload(), trustEpoch)
		_ = m1.p.ScanPeer(a.p.Payload(), trustEpoch)
		_ = m2.p.ScanPeer(b.p.Payload(), trustEpoch)
		relay(map[*device]*device{a: m1, m1: a, b: m2, m2: b}, nil)
		out.Attempts++
		_, okA := completed(a, false)
		_, okB := completed(b, false)
		if okA || okB {
			out.Accepted++
		} else {
			out.Reject(stopped(a, b))
		}
	}
	return out, nil
}

func mitmOneWay(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	for i := range o.Attempts(20, 200) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err1 := newDevice("a", trust.ModeOneWay, o.Seed, i) // scans b
		b, err2 := newDevice("b", trust.ModeOneWay, o.Seed, i)
		m1, err3 := newDevice("m1", trust.ModeOneWay, o.Seed, i) // plays b to a
		m2, err4 := newDevice("m2", trust.ModeOneWay, o.Seed, i) // plays a to b
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, err
		}
		_ = a.p.ScanPeer(b.p.Payload(), trustEpoch)
		_ = m2.p.ScanPeer(b.p.Payload(), trustEpoch)
		relay(map[*device]*device{a: m1, m1: a, b: m2, m2: b}, nil)
		out.Attempts++
		// The users confirm only if both screens show the same string.
		sasA, okA := a.p.SAS()
		sasB, okB := b.p.SAS()
		if okA && okB && sasA == sasB {
			_, accA := completed(a, true)
			_, accB := completed(b, true)
			if accA || accB {
				out.Accepted++
				continue
			}
		}
		if okB && (!okA || sasA != sasB) {
			_ = b.p.RejectSAS()
		}
		out.Reject(stopped(a, b))
	}
	return out, nil
}

// lowOrderPoints are the X25519 public keys of small order (and their
// non-canonical encodings) that yield an all-zero or predictable result.
var lowOrderPoints = func() [][32]byte {
	var out [][32]byte
	for _, h := range []string{
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	} {
		b, _ := hex.DecodeString(h)
		out = append(out, [32]byte(b))
	}
	return out
}()

func lowOrder(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	rounds := o.Attempts(3, 20)
	for i := range rounds * len(lowOrderPoints) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pt := lowOrderPoints[i%len(lowOrderPoints)]
		b, err1 := newDevice("b", trust.ModeOneWay, o.Seed, i)
		m, err2 := newDevice("m", trust.ModeOneWay, o.Seed, i)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		// The adversary scans b, then rewrites its KEY: a low-order key,
		// with a payload that commits to it.
		_ = m.p.ScanPeer(b.p.Payload(), trustEpoch)
		recs := m.p.Outbox()
		out.Attempts++
		if len(recs) != 1 {
			return nil, fmt.Errorf("low-order: the adversary's device produced %d records", len(recs))
		}
		rec, err := trust.DecodeRecord(recs[0])
		if err != nil {
			return nil, err
		}
		pl, err := trust.DecodePayload(rec.Payload)
		if err != nil {
			return nil, err
		}
		rec.X25519 = pt
		pl.Commitment = trust.Commit(pt[:], rec.XWingPub)
		if rec.Payload, err = trust.EncodePayload(pl); err != nil {
			return nil, err
		}
		forged, err := trust.EncodeRecord(rec)
		if err != nil {
			return nil, err
		}
		_, err = b.p.Receive(forged, trustEpoch)
		if _, ok := completed(b, true); ok || err == nil {
			out.Accepted++
			continue
		}
		out.Reject(classifyTrust(err))
	}
	return out, nil
}

func tamper(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x7a3))
	for i := range o.Attempts(40, 400) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mode := trust.ModeMutual
		if i%2 == 1 {
			mode = trust.ModeOneWay
		}
		a, err1 := newDevice("a", mode, o.Seed, i)
		b, err2 := newDevice("b", mode, o.Seed, i)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		_ = a.p.ScanPeer(b.p.Payload(), trustEpoch)
		if mode == trust.ModeMutual {
			_ = b.p.ScanPeer(a.p.Payload(), trustEpoch)
		}
		// Alter the k-th record on the link (k in 1..4), by a bit flip or
		// a truncation.
		target, truncate := 1+r.IntN(4), r.IntN(4) == 0
		n := 0
		relay(map[*device]*device{a: b, b: a}, func(from *device, _ int, rec []byte) []byte {
			n++
			if n != target {
				return rec
			}
			bad := bytes.Clone(rec)
			if truncate {
				return bad[:r.IntN(len(bad))]
			}
			bad[r.IntN(len(bad))] ^= byte(1 + r.IntN(255))
			return bad
		})
		out.Attempts++
		mA, okA := completed(a, true)
		mB, okB := completed(b, true)
		switch {
		case n < target:
			// The pairing ended before the record to alter: it failed for
			// another reason, which the honest run never does.
			return nil, fmt.Errorf("tamper: only %d records on the link (%s, %s)", n, stopped(a), stopped(b))
		case okA && okB && bytes.Equal(mA, mB):
			// Nothing was accepted that was not sent: a flip that leaves the
			// keys and MACs valid would be a finding.
			out.Accepted++
		case okA || okB:
			out.Accepted++
		default:
			out.Reject(stopped(a, b))
		}
	}
	return out, nil
}

func replay(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	for i := range o.Attempts(20, 200) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// An earlier, honest pairing of b with a1 is recorded.
		a1, err1 := newDevice("a1", trust.ModeMutual, o.Seed, i)
		b1, err2 := newDevice("b", trust.ModeMutual, o.Seed, 2*i)
		a2, err3 := newDevice("a2", trust.ModeMutual, o.Seed, i)
		b2, err4 := newDevice("b", trust.ModeMutual, o.Seed, 2*i+1)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, err
		}
		var recorded [][]byte
		_ = a1.p.ScanPeer(b1.p.Payload(), trustEpoch)
		_ = b1.p.ScanPeer(a1.p.Payload(), trustEpoch)
		relay(map[*device]*device{a1: b1, b1: a1}, func(from *device, _ int, rec []byte) []byte {
			if from == b1 {
				recorded = append(recorded, rec)
			}
			return rec
		})
		// Later a2 pairs with b2 (b's new session), but the adversary
		// answers a2 with b's old records.
		_ = a2.p.ScanPeer(b2.p.Payload(), trustEpoch)
		out.Attempts++
		var err error
		for _, rec := range recorded {
			if _, err = a2.p.Receive(rec, trustEpoch); err != nil {
				break
			}
		}
		if _, ok := completed(a2, false); ok {
			out.Accepted++
			continue
		}
		out.Reject(classifyTrust(errors.Join(err, a2.p.Err())))
	}
	return out, nil
}

func expired(ctx context.Context, o attacks.Options) (*attacks.Outcome, error) {
	out := &attacks.Outcome{}
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0xe4))
	for i := range o.Attempts(20, 200) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err1 := newDevice("a", trust.ModeMutual, o.Seed, i)
		b, err2 := newDevice("b", trust.ModeMutual, o.Seed, i)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		late := trustEpoch.Add(60*time.Second + time.Duration(1+r.Int64N(int64(time.Hour))))
		out.Attempts++
		err := a.p.ScanPeer(b.p.Payload(), late)
		if err == nil {
			out.Accepted++
			continue
		}
		out.Reject(classifyTrust(err))
	}
	return out, nil
}
