package session

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"slices"
)

// Serialized device layout (SPEC.md, "Device state").
const (
	deviceMagic   = "STRD"
	deviceVersion = 2
	// maxPrekeys bounds each kind of prekey in a serialized device.
	maxPrekeys = 4096
)

func sortedIDs[V any](m map[uint32]V) []uint32 {
	ids := make([]uint32, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Marshal serializes the device's private keys and prekeys. Restore it
// with UnmarshalDevice. The bytes are secret.
func (d *Device) Marshal() []byte {
	b := append([]byte(deviceMagic), deviceVersion)
	b = append(b, d.id.dh.priv[:]...)
	b = append(b, d.id.sign.Seed()...)
	b = binary.BigEndian.AppendUint32(b, d.current)
	b = binary.BigEndian.AppendUint32(b, d.nextID)
	b = binary.BigEndian.AppendUint16(b, uint16(len(d.spk)))
	for _, id := range sortedIDs(d.spk) {
		k := d.spk[id]
		b = binary.BigEndian.AppendUint32(b, id)
		b = append(b, k.priv[:]...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(d.opk)))
	for _, id := range sortedIDs(d.opk) {
		k := d.opk[id]
		b = binary.BigEndian.AppendUint32(b, id)
		b = append(b, k.priv[:]...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(d.kem)))
	for _, id := range sortedIDs(d.kem) {
		k := d.kem[id]
		b = binary.BigEndian.AppendUint32(b, id)
		b = append(b, k.key.seed[:]...)
		var lr byte
		if k.lastResort {
			lr = 1
		}
		b = append(b, lr)
	}
	return b
}

// UnmarshalDevice restores a device serialized by Device.Marshal. It
// accepts only the canonical encoding (ids strictly increasing, each below
// the id counter, the current signed prekey present, a last-resort ML-KEM
// prekey present).
func UnmarshalDevice(data []byte) (*Device, error) {
	if len(data) < len(deviceMagic)+1 || string(data[:len(deviceMagic)]) != deviceMagic {
		return nil, fmt.Errorf("%w: not a device state", ErrMalformed)
	}
	if data[len(deviceMagic)] != deviceVersion {
		return nil, fmt.Errorf("%w: device state version %d", ErrVersion, data[len(deviceMagic)])
	}
	r := &stateReader{b: data[len(deviceMagic)+1:]}
	var dhPriv [KeySize]byte
	r.key(&dhPriv)
	seed := r.take(ed25519.SeedSize)
	current, next := r.u32(), r.u32()
	if r.err != nil {
		return nil, r.err
	}
	id := &IdentityKey{sign: ed25519.NewKeyFromSeed(seed)}
	var err error
	if id.dh, err = xkeyFrom(dhPriv); err != nil {
		return nil, err
	}
	id.pub.DH = id.dh.pub
	copy(id.pub.Sign[:], id.sign.Public().(ed25519.PublicKey))
	d := &Device{id: id, current: current, nextID: next, spk: map[uint32]xkey{}, opk: map[uint32]xkey{}, kem: map[uint32]kemPrekey{}}
	var last uint32
	seen := map[uint32]bool{}
	idOK := func(i uint32) error {
		if i == 0 || i >= next || seen[i] || i <= last {
			return fmt.Errorf("%w: device state: prekey id %d", ErrMalformed, i)
		}
		seen[i], last = true, i
		return nil
	}
	count := func() (int, error) {
		n := int(r.u16())
		if r.err != nil {
			return 0, r.err
		}
		if n > maxPrekeys {
			return 0, fmt.Errorf("%w: device state: %d prekeys", ErrMalformed, n)
		}
		last = 0
		return n, nil
	}
	n, err := count()
	if err != nil {
		return nil, err
	}
	// X25519 prekeys: the signed ones, then the one-time ones.
	xkeys := func(n int, into map[uint32]xkey) error {
		for range n {
			i := r.u32()
			var priv [KeySize]byte
			r.key(&priv)
			if r.err != nil {
				return r.err
			}
			if err := idOK(i); err != nil {
				return err
			}
			x, err := xkeyFrom(priv)
			if err != nil {
				return err
			}
			into[i] = x
		}
		return nil
	}
	if err := xkeys(n, d.spk); err != nil {
		return nil, err
	}
	if n, err = count(); err != nil {
		return nil, err
	}
	if err := xkeys(n, d.opk); err != nil {
		return nil, err
	}
	if n, err = count(); err != nil {
		return nil, err
	}
	hasLastResort := false
	for range n {
		i := r.u32()
		ks := r.take(KEMSeedSize)
		lr := r.take(1)
		if r.err != nil {
			return nil, r.err
		}
		if err := idOK(i); err != nil {
			return nil, err
		}
		if lr[0] > 1 {
			return nil, fmt.Errorf("%w: device state: last-resort flag %d", ErrMalformed, lr[0])
		}
		k, err := newKEMFromSeed(ks)
		if err != nil {
			return nil, err
		}
		d.kem[i] = kemPrekey{k, lr[0] == 1}
		hasLastResort = hasLastResort || lr[0] == 1
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: device state: %d trailing bytes", ErrMalformed, len(r.b))
	}
	if _, ok := d.spk[current]; !ok || !hasLastResort {
		return nil, fmt.Errorf("%w: device state lacks its current signed prekey or a last-resort ML-KEM prekey", ErrMalformed)
	}
	return d, nil
}
