package session

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"time"

	sessionpb "github.com/strata-lab/strata/layers/session/pb"
	"google.golang.org/protobuf/proto"
)

// DeviceID names one device of a user.
type DeviceID [DeviceIDSize]byte

// DeviceEntry is one device in a device list.
type DeviceEntry struct {
	ID       DeviceID
	Identity IdentityPublic
}

// DeviceList is a user's signed set of devices (SPEC.md, "Device lists").
type DeviceList struct {
	User    ed25519.PublicKey
	Counter uint64
	Devices []DeviceEntry // sorted by ID, unique
}

// UserKey is the long-term Ed25519 key that signs a user's device lists.
type UserKey struct{ priv ed25519.PrivateKey }

// NewUserKey draws a user key (a 32-byte Ed25519 seed) from r.
func NewUserKey(r io.Reader) (*UserKey, error) {
	var seed [ed25519.SeedSize]byte
	if err := readRand(r, seed[:]); err != nil {
		return nil, err
	}
	return &UserKey{ed25519.NewKeyFromSeed(seed[:])}, nil
}

// Public returns the user's public key.
func (u *UserKey) Public() ed25519.PublicKey { return u.priv.Public().(ed25519.PublicKey) }

// deviceListMessage is what the signature covers: label ‖ user key ‖
// counter (8) ‖ count (2) ‖ for each device: id (16) ‖ X25519 (32) ‖
// Ed25519 (32).
func deviceListMessage(user []byte, counter uint64, devs []DeviceEntry) []byte {
	m := append([]byte(labelDevices), user...)
	m = binary.BigEndian.AppendUint64(m, counter)
	m = binary.BigEndian.AppendUint16(m, uint16(len(devs)))
	for _, d := range devs {
		m = append(m, d.ID[:]...)
		m = append(m, d.Identity.DH[:]...)
		m = append(m, d.Identity.Sign[:]...)
	}
	return m
}

func sortDevices(devs []DeviceEntry) []DeviceEntry {
	out := slices.Clone(devs)
	slices.SortFunc(out, func(a, b DeviceEntry) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return out
}

// SignDeviceList signs a device list. Devices are sorted by id; ids must
// be unique and at most MaxDevices.
func (u *UserKey) SignDeviceList(counter uint64, devices []DeviceEntry) ([]byte, error) {
	devs := sortDevices(devices)
	if len(devs) > MaxDevices {
		return nil, fmt.Errorf("%w: %d devices > %d", ErrMalformed, len(devs), MaxDevices)
	}
	for i := 1; i < len(devs); i++ {
		if devs[i].ID == devs[i-1].ID {
			return nil, fmt.Errorf("%w: duplicate device id", ErrMalformed)
		}
	}
	user := u.Public()
	pb := &sessionpb.DeviceList{Version: ProtocolVersion, UserKey: user, Counter: counter,
		Signature: ed25519.Sign(u.priv, deviceListMessage(user, counter, devs))}
	for _, d := range devs {
		pb.Devices = append(pb.Devices, &sessionpb.Device{Id: bytes.Clone(d.ID[:]), IdentityDh: bytes.Clone(d.Identity.DH[:]), IdentitySign: bytes.Clone(d.Identity.Sign[:])})
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(pb)
}

// ParseDeviceList decodes a device list and verifies its signature with
// the user key it carries; the caller compares that key with the one it
// trusts (Contact does).
func ParseDeviceList(data []byte) (*DeviceList, error) {
	if len(data) > maxDeviceListBytes {
		return nil, fmt.Errorf("%w: device list of %d bytes", ErrMalformed, len(data))
	}
	var pb sessionpb.DeviceList
	if err := proto.Unmarshal(data, &pb); err != nil {
		return nil, fmt.Errorf("%w: device list: %w", ErrMalformed, err)
	}
	if len(pb.ProtoReflect().GetUnknown()) > 0 {
		return nil, fmt.Errorf("%w: device list has unknown fields", ErrMalformed)
	}
	if pb.Version != ProtocolVersion {
		return nil, fmt.Errorf("%w: device list version %d", ErrVersion, pb.Version)
	}
	if len(pb.UserKey) != ed25519.PublicKeySize || len(pb.Signature) != SignatureSize {
		return nil, fmt.Errorf("%w: user key or signature length", ErrMalformed)
	}
	if len(pb.Devices) > MaxDevices {
		return nil, fmt.Errorf("%w: %d devices > %d", ErrMalformed, len(pb.Devices), MaxDevices)
	}
	l := &DeviceList{User: bytes.Clone(pb.UserKey), Counter: pb.Counter}
	for i, d := range pb.Devices {
		var e DeviceEntry
		if len(d.Id) != DeviceIDSize {
			return nil, fmt.Errorf("%w: device id length", ErrMalformed)
		}
		copy(e.ID[:], d.Id)
		if err := copy32(&e.Identity.DH, d.IdentityDh, "device identity_dh"); err != nil {
			return nil, err
		}
		if err := copy32(&e.Identity.Sign, d.IdentitySign, "device identity_sign"); err != nil {
			return nil, err
		}
		if err := checkPublic(e.Identity.DH); err != nil {
			return nil, err
		}
		if i > 0 && bytes.Compare(l.Devices[i-1].ID[:], e.ID[:]) >= 0 {
			return nil, fmt.Errorf("%w: device ids not strictly increasing", ErrMalformed)
		}
		l.Devices = append(l.Devices, e)
	}
	if !ed25519.Verify(l.User, deviceListMessage(l.User, l.Counter, l.Devices), pb.Signature) {
		return nil, fmt.Errorf("%w: device list", ErrBadSignature)
	}
	return l, nil
}

// Lookup returns the entry of device id.
func (l *DeviceList) Lookup(id DeviceID) (DeviceEntry, bool) {
	for _, d := range l.Devices {
		if d.ID == id {
			return d, true
		}
	}
	return DeviceEntry{}, false
}

// Contact is what one device knows about a remote user: the user key it
// trusts, the newest device list it accepted and one session per device.
// Sending fans out to every device's session (Sesame-like).
type Contact struct {
	user     ed25519.PublicKey
	list     *DeviceList
	sessions map[DeviceID]*Session
}

// NewContact trusts user (learned out of band, e.g. through the trust
// layer).
func NewContact(user ed25519.PublicKey) *Contact {
	return &Contact{user: bytes.Clone(user), sessions: map[DeviceID]*Session{}}
}

// Devices returns the accepted device list, or nil.
func (c *Contact) Devices() *DeviceList { return c.list }

// UpdateDeviceList accepts a signed device list of the contact whose
// counter exceeds the accepted one, and deletes the sessions of devices
// it no longer lists (revocation) or lists with another identity key.
func (c *Contact) UpdateDeviceList(data []byte) error {
	l, err := ParseDeviceList(data)
	if err != nil {
		return err
	}
	if !bytes.Equal(l.User, c.user) {
		return fmt.Errorf("%w: device list of another user", ErrBadSignature)
	}
	if c.list != nil && l.Counter <= c.list.Counter {
		return fmt.Errorf("%w: counter %d ≤ %d", ErrStaleDeviceList, l.Counter, c.list.Counter)
	}
	c.list = l
	for id, s := range c.sessions {
		if e, ok := l.Lookup(id); !ok || e.Identity != s.remote {
			delete(c.sessions, id)
		}
	}
	return nil
}

func (c *Contact) entry(id DeviceID) (DeviceEntry, error) {
	if c.list == nil {
		return DeviceEntry{}, fmt.Errorf("%w: no device list", ErrUnknownDevice)
	}
	e, ok := c.list.Lookup(id)
	if !ok {
		return DeviceEntry{}, fmt.Errorf("%w: %x", ErrUnknownDevice, id[:4])
	}
	return e, nil
}

// StartSession initiates a session with one of the contact's devices from
// its bundle; the bundle's identity must be the listed one.
func (c *Contact) StartSession(r io.Reader, self *Device, id DeviceID, bundle []byte) error {
	e, err := c.entry(id)
	if err != nil {
		return err
	}
	b, err := ParseBundle(bundle)
	if err != nil {
		return err
	}
	if b.Identity != e.Identity {
		return fmt.Errorf("%w: bundle identity is not the listed device's", ErrUnknownDevice)
	}
	s, _, err := initiate(r, self.id, b)
	if err != nil {
		return err
	}
	c.sessions[id] = s
	return nil
}

// AcceptSession attaches a session that Device.Respond created to device
// id, after checking that its remote identity is the listed one.
func (c *Contact) AcceptSession(id DeviceID, s *Session) error {
	e, err := c.entry(id)
	if err != nil {
		return err
	}
	if s.remote != e.Identity {
		return fmt.Errorf("%w: session identity is not the listed device's", ErrUnknownDevice)
	}
	c.sessions[id] = s
	return nil
}

// Session returns the session with device id, if any.
func (c *Contact) Session(id DeviceID) (*Session, bool) {
	s, ok := c.sessions[id]
	return s, ok
}

// Encrypt encrypts plaintext once per listed device that has a session.
// missing lists the listed devices without a session (fetch their
// bundles). Revoked devices are not listed, so they get nothing.
func (c *Contact) Encrypt(plaintext []byte) (out map[DeviceID][]byte, missing []DeviceID, err error) {
	if c.list == nil {
		return nil, nil, fmt.Errorf("%w: no device list", ErrUnknownDevice)
	}
	if len(plaintext) > MaxPlaintext {
		return nil, nil, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, len(plaintext), MaxPlaintext)
	}
	out = map[DeviceID][]byte{}
	for _, d := range c.list.Devices {
		s, ok := c.sessions[d.ID]
		if !ok {
			missing = append(missing, d.ID)
			continue
		}
		m, err := s.Encrypt(plaintext)
		if err != nil {
			return nil, nil, err
		}
		out[d.ID] = m
	}
	return out, missing, nil
}

// Decrypt decrypts a message from device id; a revoked device's messages
// are refused.
func (c *Contact) Decrypt(r io.Reader, cfg Config, now time.Time, id DeviceID, msg []byte) ([]byte, error) {
	if _, err := c.entry(id); err != nil {
		return nil, err
	}
	s, ok := c.sessions[id]
	if !ok {
		return nil, fmt.Errorf("%w: no session with device", ErrUnknownDevice)
	}
	return s.Decrypt(r, cfg, now, msg)
}
