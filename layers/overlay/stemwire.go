package overlay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// StemFrame is one stem message on the wire (SPEC.md, "Stem frames"):
//
//	frame = u8 version (1) || u8 len(topic) || topic || u32be len(data) || data
//
// A frame carries the message and nothing else: no hop count, no origin,
// no timestamp, so that a relay cannot tell its place on the stem.
type StemFrame struct {
	Topic string
	Data  []byte
}

// stemHeader is the frame's fixed part: version, topic length, data length.
const stemHeader = 1 + 1 + 4

// Stem statuses: the one byte a relay answers with (SPEC.md, "Stem
// frames").
const (
	// StemAccepted: the relay holds the message and relays or fluffs it.
	StemAccepted byte = 0
	// StemMalformed: the frame did not parse (ErrStemFrame).
	StemMalformed byte = 1
	// StemInvalid: the message failed validation (topic, size, or the
	// topic's application validator).
	StemInvalid byte = 2
	// StemUnknownTopic: the relay did not join the topic.
	StemUnknownTopic byte = 3
)

// stemStatusNames names the statuses in errors.
var stemStatusNames = map[byte]string{
	StemAccepted: "accepted", StemMalformed: "malformed", StemInvalid: "invalid", StemUnknownTopic: "unknown topic",
}

// AppendStemFrame appends f's encoding to b. It checks f as DecodeStemFrame
// does, with maxBytes as the data limit.
func AppendStemFrame(b []byte, f StemFrame, maxBytes int) ([]byte, error) {
	if err := Validate(f.Topic, f.Data, maxBytes); err != nil {
		return nil, err
	}
	b = append(b, StemVersion, byte(len(f.Topic)))
	b = append(b, f.Topic...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(f.Data)))
	return append(b, f.Data...), nil
}

// DecodeStemFrame parses one whole frame whose data may be at most
// maxBytes long. Structural faults are ErrStemFrame; a frame that parses
// but carries a message the overlay's rules refuse gives Validate's error
// (ErrTopic, ErrEmpty, ErrTooLarge).
func DecodeStemFrame(b []byte, maxBytes int) (StemFrame, error) {
	f, n, err := decodeStemPrefix(b, maxBytes)
	if err != nil {
		return StemFrame{}, err
	}
	if n != len(b) {
		return StemFrame{}, fmt.Errorf("%w: %d trailing bytes", ErrStemFrame, len(b)-n)
	}
	if err := Validate(f.Topic, f.Data, maxBytes); err != nil {
		return StemFrame{}, err
	}
	return f, nil
}

// decodeStemPrefix parses the structure of the frame at the start of b
// (bounding the data length by maxBytes) and returns its length; the
// message itself is not validated.
func decodeStemPrefix(b []byte, maxBytes int) (StemFrame, int, error) {
	if len(b) < 2 {
		return StemFrame{}, 0, fmt.Errorf("%w: %d bytes, shorter than a header", ErrStemFrame, len(b))
	}
	if b[0] != StemVersion {
		return StemFrame{}, 0, fmt.Errorf("%w: version %d, this node speaks %d", ErrStemFrame, b[0], StemVersion)
	}
	tl := int(b[1])
	if tl > MaxTopicLen {
		return StemFrame{}, 0, fmt.Errorf("%w: topic of %d bytes, at most %d", ErrStemFrame, tl, MaxTopicLen)
	}
	if len(b) < 2+tl+4 {
		return StemFrame{}, 0, fmt.Errorf("%w: truncated header (%d bytes)", ErrStemFrame, len(b))
	}
	topic := string(b[2 : 2+tl])
	dl := uint64(binary.BigEndian.Uint32(b[2+tl:]))
	if maxBytes < 0 || dl > uint64(maxBytes) {
		return StemFrame{}, 0, fmt.Errorf("%w: %d bytes on %s, at most %d", ErrTooLarge, dl, topic, maxBytes)
	}
	start := 2 + tl + 4
	if uint64(len(b)-start) < dl {
		return StemFrame{}, 0, fmt.Errorf("%w: data truncated (%d of %d bytes)", ErrStemFrame, len(b)-start, dl)
	}
	return StemFrame{Topic: topic, Data: b[start : start+int(dl)]}, start + int(dl), nil
}

// readStemFrame reads one frame from r, which must end after it (the
// sender closes its side): the header first, so that no length beyond the
// bounds is ever allocated.
func readStemFrame(r io.Reader, maxBytes int) (StemFrame, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return StemFrame{}, fmt.Errorf("%w: reading header: %w", ErrStemFrame, err)
	}
	if hdr[0] != StemVersion || int(hdr[1]) > MaxTopicLen {
		_, _, err := decodeStemPrefix(hdr[:], maxBytes)
		if err == nil {
			err = fmt.Errorf("%w: bad header", ErrStemFrame)
		}
		return StemFrame{}, err
	}
	rest := make([]byte, int(hdr[1])+4)
	if _, err := io.ReadFull(r, rest); err != nil {
		return StemFrame{}, fmt.Errorf("%w: reading topic: %w", ErrStemFrame, err)
	}
	dl := uint64(binary.BigEndian.Uint32(rest[len(rest)-4:]))
	if maxBytes < 0 || dl > uint64(maxBytes) {
		return StemFrame{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, dl, maxBytes)
	}
	buf := make([]byte, 0, 2+len(rest)+int(dl)+1)
	buf = append(append(buf, hdr[:]...), rest...)
	buf = buf[:len(buf)+int(dl)]
	if _, err := io.ReadFull(r, buf[2+len(rest):]); err != nil {
		return StemFrame{}, fmt.Errorf("%w: reading data: %w", ErrStemFrame, err)
	}
	var one [1]byte
	if n, err := r.Read(one[:]); n > 0 {
		return StemFrame{}, fmt.Errorf("%w: bytes after the frame", ErrStemFrame)
	} else if err != nil && !errors.Is(err, io.EOF) {
		return StemFrame{}, fmt.Errorf("%w: after the frame: %w", ErrStemFrame, err)
	}
	return DecodeStemFrame(buf, maxBytes)
}

// stemStatusError turns a relay's status byte into an error (nil for
// StemAccepted).
func stemStatusError(s byte) error {
	if s == StemAccepted {
		return nil
	}
	name, ok := stemStatusNames[s]
	if !ok {
		name = fmt.Sprintf("unknown status %d", s)
	}
	return fmt.Errorf("%w: %s", ErrStemRefused, name)
}

// stemStatus is the status a relay answers for err.
func stemStatus(err error) byte {
	switch {
	case err == nil:
		return StemAccepted
	case errors.Is(err, ErrStemFrame):
		return StemMalformed
	case errors.Is(err, ErrUnknownTopic):
		return StemUnknownTopic
	}
	return StemInvalid
}
