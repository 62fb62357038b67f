package sync

import (
	"bytes"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	syncpb "github.com/strata-lab/strata/layers/sync/pb"
	"github.com/strata-lab/strata/layers/sync/reconcile"
)

// Frame is a decoded and validated wire frame (SPEC.md, "Wire format").
type Frame struct {
	Acks      []ID
	Offers    []ID
	Requests  []ID
	Messages  []Message
	Reconcile []GroupRound
}

// GroupRound is one reconciliation round over one group's items.
type GroupRound struct {
	Group GroupID
	Round reconcile.Round
}

// Empty reports whether the frame carries nothing.
func (f *Frame) Empty() bool {
	return len(f.Acks)+len(f.Offers)+len(f.Requests)+len(f.Messages)+len(f.Reconcile) == 0
}

// Decoding errors. Every error DecodeFrame returns wraps ErrMalformed and,
// where one applies, one of the more specific errors below.
var (
	// ErrMalformed: the bytes are not a valid frame.
	ErrMalformed = errors.New("sync: malformed frame")
	// ErrFrameTooLarge: the frame exceeds MaxFrameBytes.
	ErrFrameTooLarge = errors.New("sync: frame too large")
	// ErrVersion: the frame's version is not Version.
	ErrVersion = errors.New("sync: unsupported frame version")
	// ErrUnknownField: the frame carries a field this version does not define.
	ErrUnknownField = errors.New("sync: unknown field")
	// ErrBadID: an id is not IDSize bytes.
	ErrBadID = errors.New("sync: id is not 32 bytes")
	// ErrLimit: a list exceeds its limit.
	ErrLimit = errors.New("sync: limit exceeded")
	// ErrBodyTooLarge: a message body exceeds MaxBodyBytes.
	ErrBodyTooLarge = errors.New("sync: message body too large")
	// ErrParents: parents are too many, not ascending, or repeated.
	ErrParents = errors.New("sync: invalid parents")
	// ErrEphemeralParents: an ephemeral message names parents.
	ErrEphemeralParents = errors.New("sync: ephemeral message with parents")
	// ErrReconcile: a reconciliation round is invalid.
	ErrReconcile = errors.New("sync: invalid reconciliation round")
)

// malformed wraps a specific error under ErrMalformed.
func malformed(specific error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrMalformed, specific, fmt.Sprintf(format, args...))
}

// reconcileLimits are the limits a decoder enforces on reconciliation
// rounds: the specification's. An engine may use a smaller branch factor or
// threshold, never larger limits.
var reconcileLimits = reconcile.DefaultParams()

// DecodeFrame parses and validates a frame. It never panics; every error
// wraps ErrMalformed.
func DecodeFrame(b []byte) (*Frame, error) {
	if len(b) > MaxFrameBytes {
		return nil, malformed(ErrFrameTooLarge, "%d bytes, limit %d", len(b), MaxFrameBytes)
	}
	var pf syncpb.Frame
	if err := (proto.UnmarshalOptions{DiscardUnknown: false, RecursionLimit: 4}).Unmarshal(b, &pf); err != nil {
		return nil, malformed(ErrMalformed, "protobuf: %v", err)
	}
	return fromPB(&pf)
}

func fromPB(pf *syncpb.Frame) (*Frame, error) {
	if len(pf.ProtoReflect().GetUnknown()) > 0 {
		return nil, malformed(ErrUnknownField, "frame")
	}
	if pf.Version != Version {
		return nil, malformed(ErrVersion, "version %d", pf.Version)
	}
	f := &Frame{}
	var err error
	if f.Acks, err = ids("acks", pf.Acks); err != nil {
		return nil, err
	}
	if f.Offers, err = ids("offers", pf.Offers); err != nil {
		return nil, err
	}
	if f.Requests, err = ids("requests", pf.Requests); err != nil {
		return nil, err
	}
	if len(pf.Messages) > MaxMessagesPerFrame {
		return nil, malformed(ErrLimit, "%d messages, limit %d", len(pf.Messages), MaxMessagesPerFrame)
	}
	f.Messages = make([]Message, 0, len(pf.Messages))
	for i, pm := range pf.Messages {
		m, err := messageFromPB(pm)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		f.Messages = append(f.Messages, m)
	}
	if len(pf.Reconcile) > MaxReconcilePerFrame {
		return nil, malformed(ErrLimit, "%d reconciliation rounds, limit %d", len(pf.Reconcile), MaxReconcilePerFrame)
	}
	for i, pr := range pf.Reconcile {
		gr, err := roundFromPB(pr)
		if err != nil {
			return nil, fmt.Errorf("reconcile %d: %w", i, err)
		}
		f.Reconcile = append(f.Reconcile, gr)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// Validate checks the frame against the limits and rules of SPEC.md,
// "Wire format". Every error wraps ErrMalformed.
func (f *Frame) Validate() error {
	for _, l := range []struct {
		what string
		n    int
	}{{"acks", len(f.Acks)}, {"offers", len(f.Offers)}, {"requests", len(f.Requests)}} {
		if l.n > MaxIDsPerList {
			return malformed(ErrLimit, "%d %s, limit %d", l.n, l.what, MaxIDsPerList)
		}
	}
	if len(f.Messages) > MaxMessagesPerFrame {
		return malformed(ErrLimit, "%d messages, limit %d", len(f.Messages), MaxMessagesPerFrame)
	}
	for i := range f.Messages {
		if err := f.Messages[i].Validate(); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	if len(f.Reconcile) > MaxReconcilePerFrame {
		return malformed(ErrLimit, "%d reconciliation rounds, limit %d", len(f.Reconcile), MaxReconcilePerFrame)
	}
	seen := make(map[GroupID]bool, len(f.Reconcile))
	for i := range f.Reconcile {
		gr := &f.Reconcile[i]
		if seen[gr.Group] {
			return malformed(ErrReconcile, "two rounds for group %s", Short(gr.Group))
		}
		seen[gr.Group] = true
		if err := gr.Round.Validate(reconcileLimits); err != nil {
			return fmt.Errorf("%w: %w: round %d: %w", ErrMalformed, ErrReconcile, i, err)
		}
	}
	return nil
}

// Validate checks a message against the limits of SPEC.md. Every error
// wraps ErrMalformed.
func (m *Message) Validate() error {
	if len(m.Body) > MaxBodyBytes {
		return malformed(ErrBodyTooLarge, "%d bytes, limit %d", len(m.Body), MaxBodyBytes)
	}
	if len(m.Parents) > MaxParents {
		return malformed(ErrParents, "%d parents, limit %d", len(m.Parents), MaxParents)
	}
	if m.Ephemeral && len(m.Parents) > 0 {
		return malformed(ErrEphemeralParents, "%d parents", len(m.Parents))
	}
	for i := 1; i < len(m.Parents); i++ {
		if bytes.Compare(m.Parents[i-1][:], m.Parents[i][:]) >= 0 {
			return malformed(ErrParents, "parents not strictly ascending at %d", i)
		}
	}
	return nil
}

func ids(what string, in [][]byte) ([]ID, error) {
	if len(in) > MaxIDsPerList {
		return nil, malformed(ErrLimit, "%d %s, limit %d", len(in), what, MaxIDsPerList)
	}
	out := make([]ID, len(in))
	for i, b := range in {
		if len(b) != IDSize {
			return nil, malformed(ErrBadID, "%s[%d] has %d bytes", what, i, len(b))
		}
		copy(out[i][:], b)
	}
	return out, nil
}

func messageFromPB(pm *syncpb.Message) (Message, error) {
	var m Message
	if len(pm.ProtoReflect().GetUnknown()) > 0 {
		return m, malformed(ErrUnknownField, "message")
	}
	if len(pm.GroupId) != IDSize {
		return m, malformed(ErrBadID, "group id has %d bytes", len(pm.GroupId))
	}
	copy(m.Group[:], pm.GroupId)
	if len(pm.Parents) > MaxParents {
		return m, malformed(ErrParents, "%d parents, limit %d", len(pm.Parents), MaxParents)
	}
	m.Timestamp = pm.Timestamp
	m.Body = bytes.Clone(pm.Body)
	if m.Body == nil {
		m.Body = []byte{}
	}
	m.Ephemeral = pm.Ephemeral
	if len(pm.Parents) > 0 {
		m.Parents = make([]ID, len(pm.Parents))
	}
	for i, p := range pm.Parents {
		if len(p) != IDSize {
			return m, malformed(ErrBadID, "parent %d has %d bytes", i, len(p))
		}
		copy(m.Parents[i][:], p)
	}
	return m, nil
}

func roundFromPB(pr *syncpb.Reconcile) (GroupRound, error) {
	var gr GroupRound
	if len(pr.ProtoReflect().GetUnknown()) > 0 {
		return gr, malformed(ErrUnknownField, "reconcile")
	}
	if len(pr.GroupId) != IDSize {
		return gr, malformed(ErrBadID, "group id has %d bytes", len(pr.GroupId))
	}
	copy(gr.Group[:], pr.GroupId)
	n := len(pr.Modes)
	lim := reconcileLimits
	if n == 0 || n > lim.MaxRanges {
		return gr, malformed(ErrReconcile, "%d ranges, must be in [1,%d]", n, lim.MaxRanges)
	}
	if len(pr.BoundTs) != n-1 || len(pr.BoundPrefixLen) != n-1 {
		return gr, malformed(ErrReconcile, "%d ranges need %d bounds, have %d timestamps and %d prefix lengths",
			n, n-1, len(pr.BoundTs), len(pr.BoundPrefixLen))
	}
	// Check the sizes of the concatenated fields before slicing them.
	prefixTotal, fps, lists := 0, 0, 0
	for i := 0; i < n-1; i++ {
		if pr.BoundPrefixLen[i] > reconcile.MaxPrefixLen {
			return gr, malformed(ErrReconcile, "bound %d prefix length %d", i, pr.BoundPrefixLen[i])
		}
		prefixTotal += int(pr.BoundPrefixLen[i])
	}
	for i, m := range pr.Modes {
		switch reconcile.Mode(m) {
		case reconcile.ModeSkip:
		case reconcile.ModeFingerprint:
			fps++
		case reconcile.ModeIDList, reconcile.ModeNeed:
			lists++
		default:
			return gr, malformed(ErrReconcile, "range %d has mode %d", i, m)
		}
	}
	if prefixTotal != len(pr.BoundPrefixes) {
		return gr, malformed(ErrReconcile, "bound prefixes hold %d bytes, lengths say %d", len(pr.BoundPrefixes), prefixTotal)
	}
	if len(pr.Fingerprints) != fps*reconcile.FingerprintSize {
		return gr, malformed(ErrReconcile, "%d fingerprint bytes for %d fingerprint ranges", len(pr.Fingerprints), fps)
	}
	if len(pr.IdCounts) != lists {
		return gr, malformed(ErrReconcile, "%d id counts for %d id ranges", len(pr.IdCounts), lists)
	}
	idTotal := 0
	for _, c := range pr.IdCounts {
		if c > uint32(lim.MaxIDs) {
			return gr, malformed(ErrReconcile, "id count %d, limit %d", c, lim.MaxIDs)
		}
		idTotal += int(c)
	}
	if idTotal > lim.MaxIDs || len(pr.Ids) != idTotal*reconcile.ShortIDSize {
		return gr, malformed(ErrReconcile, "%d short id bytes for %d ids (limit %d)", len(pr.Ids), idTotal, lim.MaxIDs)
	}
	r := reconcile.Round{Salt: pr.Salt, Ranges: make([]reconcile.Range, n)}
	var ts uint64
	pre, fp, li, id := 0, 0, 0, 0
	for i := range r.Ranges {
		rg := &r.Ranges[i]
		rg.Mode = reconcile.Mode(pr.Modes[i])
		if i < n-1 {
			d := pr.BoundTs[i]
			if ts+d < ts {
				return gr, malformed(ErrReconcile, "bound %d timestamp overflows", i)
			}
			ts += d
			l := int(pr.BoundPrefixLen[i])
			rg.Upper = reconcile.Bound{Timestamp: ts, Prefix: bytes.Clone(pr.BoundPrefixes[pre : pre+l])}
			pre += l
		}
		switch rg.Mode {
		case reconcile.ModeFingerprint:
			copy(rg.Fingerprint[:], pr.Fingerprints[fp:])
			fp += reconcile.FingerprintSize
		case reconcile.ModeIDList, reconcile.ModeNeed:
			c := int(pr.IdCounts[li])
			li++
			rg.IDs = make([]reconcile.ShortID, c)
			for j := range rg.IDs {
				copy(rg.IDs[j][:], pr.Ids[id:])
				id += reconcile.ShortIDSize
			}
		}
	}
	gr.Round = r
	return gr, nil
}

// EncodeFrame validates and encodes a frame deterministically, so that it
// never emits a frame a conforming peer must reject.
func EncodeFrame(f *Frame) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	pf := &syncpb.Frame{Version: Version}
	for _, l := range []struct {
		dst *[][]byte
		src []ID
	}{{&pf.Acks, f.Acks}, {&pf.Offers, f.Offers}, {&pf.Requests, f.Requests}} {
		for i := range l.src {
			*l.dst = append(*l.dst, l.src[i][:])
		}
	}
	for i := range f.Messages {
		m := &f.Messages[i]
		pm := &syncpb.Message{GroupId: m.Group[:], Timestamp: m.Timestamp, Body: m.Body, Ephemeral: m.Ephemeral}
		for j := range m.Parents {
			pm.Parents = append(pm.Parents, m.Parents[j][:])
		}
		pf.Messages = append(pf.Messages, pm)
	}
	for i := range f.Reconcile {
		pf.Reconcile = append(pf.Reconcile, roundToPB(&f.Reconcile[i]))
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(pf)
	if err != nil {
		return nil, fmt.Errorf("sync: encode: %w", err)
	}
	if len(b) > MaxFrameBytes {
		return nil, malformed(ErrFrameTooLarge, "%d bytes, limit %d", len(b), MaxFrameBytes)
	}
	return b, nil
}

func roundToPB(gr *GroupRound) *syncpb.Reconcile {
	pr := &syncpb.Reconcile{GroupId: gr.Group[:], Salt: gr.Round.Salt}
	var ts uint64
	n := len(gr.Round.Ranges)
	for i, rg := range gr.Round.Ranges {
		if i < n-1 {
			pr.BoundTs = append(pr.BoundTs, rg.Upper.Timestamp-ts)
			ts = rg.Upper.Timestamp
			pr.BoundPrefixLen = append(pr.BoundPrefixLen, uint32(len(rg.Upper.Prefix)))
			pr.BoundPrefixes = append(pr.BoundPrefixes, rg.Upper.Prefix...)
		}
		pr.Modes = append(pr.Modes, syncpb.RangeMode(rg.Mode))
		switch rg.Mode {
		case reconcile.ModeFingerprint:
			pr.Fingerprints = append(pr.Fingerprints, rg.Fingerprint[:]...)
		case reconcile.ModeIDList, reconcile.ModeNeed:
			pr.IdCounts = append(pr.IdCounts, uint32(len(rg.IDs)))
			for _, s := range rg.IDs {
				pr.Ids = append(pr.Ids, s[:]...)
			}
		}
	}
	return pr
}
